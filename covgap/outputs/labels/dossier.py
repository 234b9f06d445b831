"""Labels (vi, en) of the dossier outputs, merged into :data:`covgap.outputs.labels.LABELS`."""

from __future__ import annotations

_CLASS_WORDS = {
    "covered": ("có sóng", "covered"),
    "low_signal": ("vùng lõm", "low signal"),
    "white": ("vùng trắng", "white zone"),
    "2g_only": ("chỉ có 2G, mất sóng 09/2026", "only 2G, no service from 09/2026"),
    "2g_3g_only": ("chỉ có 2G/3G, mất sóng 09/2028", "only 2G/3G, no service from 09/2028"),
}
_MEASURES = {
    "villages": ("Số thôn", "Villages"),
    "households": ("Số hộ", "Households"),
    "population": ("Nhân khẩu", "Population"),
}

#: key -> (Vietnamese, English)
LABELS: dict[str, tuple[str, str]] = {
    # list columns
    "rank": ("Thứ tự ưu tiên", "Rank"),
    "priority_score": ("Điểm ưu tiên", "Priority score"),
    "commune_2025": ("Xã/phường (từ 07/2025)", "Commune (from 07/2025)"),
    "commune_2025_code": ("Mã xã/phường (từ 07/2025)", "Commune code (from 07/2025)"),
    "commune_old": ("Xã (trước 07/2025)", "Commune (before 07/2025)"),
    "district_old": ("Huyện (trước 07/2025)", "District (before 07/2025)"),
    "easting_m": ("Tọa độ Y – hướng Đông (m)", "Easting (m)"),
    "northing_m": ("Tọa độ X – hướng Bắc (m)", "Northing (m)"),
    "solution": ("Loại giải pháp", "Solution type"),
    "solution_site_id": ("Trạm đề xuất", "Proposed site"),
    "solution_carrier": ("Nhà mạng của trạm đề xuất", "Carrier of the proposed site"),
    "solution_km": ("Khoảng cách đến trạm đề xuất (km)", "Distance to the proposed site (km)"),
    "solution_rsrp_dbm": ("RSRP dự kiến (dBm)", "Expected RSRP (dBm)"),
    "solution_text": ("Giải pháp đề xuất", "Proposed solution"),
    "solution_text_vi": ("Giải pháp đề xuất", "Proposed solution (Vietnamese)"),
    "reason_en": ("Lý do (tiếng Anh)", "Reason"),
    # status and sunset columns
    "signal_dbm": ("Mức tín hiệu tốt nhất (dBm)", "Best signal (dBm)"),
    "status": ("Tình trạng", "Status"),
    "usable": ("Dùng được", "Usable"),
    "serving_carrier": ("Nhà mạng phục vụ", "Serving carrier"),
    "serving_site_id": ("Trạm phục vụ", "Serving site"),
    "serving_km": ("Khoảng cách đến trạm phục vụ (km)", "Distance to the serving site (km)"),
    "sunset": ("Ảnh hưởng khi tắt sóng 2G/3G", "2G/3G switch-off impact"),
    "no_service_from": ("Mất sóng từ", "No service from"),
    # values
    "any": ("Mọi nhà mạng", "Any carrier"),
    "remote_sector": ("Sector từ xa (remote)", "Remote sector"),
    "new_bts": ("Trạm BTS mới", "New BTS"),
    "power_first": ("Cần điện lưới trước", "Power first"),
    "total": ("Tổng cộng", "Total"),
    "2g_only": ("Chỉ có 2G – mất sóng từ 09/2026", "Only 2G – no service from 09/2026"),
    "2g_3g_only": ("Chỉ có 2G/3G – mất sóng từ 09/2028", "Only 2G/3G – no service from 09/2028"),
    "2g_only_short": ("Chỉ có 2G", "Only 2G"),
    "2g_3g_only_short": ("Chỉ có 2G/3G", "Only 2G/3G"),
    # sheets (Excel sheet names: at most 31 characters, no []:*?/\)
    "sheet_cover": ("Thông tin chung", "Cover"),
    "sheet_request": ("Danh sách đề nghị", "Request list"),
    "sheet_unpowered": ("Chưa có điện lưới", "No grid power"),
    "sheet_sunset": ("Tắt sóng 2G-3G", "2G-3G switch-off"),
    "sheet_summary_commune_2025": ("Tổng hợp theo xã mới", "Summary by commune"),
    "sheet_summary_commune": ("Tổng hợp theo xã cũ", "By former commune"),
    "sheet_summary_district": ("Tổng hợp theo huyện cũ", "By former district"),
    "sheet_appendix": ("Phụ lục", "Appendix"),
    # the printed appendix (an official attachment to a letter, "công văn")
    "motto_state": ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SOCIALIST REPUBLIC OF VIETNAM"),
    "motto_words": ("Độc lập - Tự do - Hạnh phúc", "Independence - Freedom - Happiness"),
    "appendix_heading": ("PHỤ LỤC", "APPENDIX"),
    "appendix_title": (
        "DANH SÁCH THÔN, BẢN VÙNG TRẮNG, VÙNG LÕM SÓNG DI ĐỘNG ĐỀ NGHỊ HỖ TRỢ "
        "TRẠM VIỄN THÔNG CÔNG ÍCH",
        "VILLAGES IN MOBILE WHITE AND LOW-SIGNAL ZONES PROPOSED FOR PUBLIC-UTILITY "
        "TELECOM STATIONS",
    ),
    "appendix_letter": (
        "(Kèm theo Công văn số {number} {date}{agency})",
        "(Attached to Official Letter No. {number} {date}{agency})",
    ),
    "appendix_letter_agency": (" của {agency}", " of {agency}"),
    "appendix_note": (
        "Danh sách gồm các thôn, bản có điện lưới quốc gia; phân loại theo RSRP 4G mô phỏng "
        "(có sóng ≥ {covered} dBm; vùng trắng < {low} dBm) – cần đo kiểm tra thực địa.",
        "Villages with national grid power; classes from the modelled 4G RSRP (covered ≥ "
        "{covered} dBm; white < {low} dBm) – to be confirmed by field measurement.",
    ),
    "appendix_no": ("STT", "No."),
    "appendix_village": ("Thôn, bản", "Village"),
    "appendix_commune": ("Xã, phường (07/2025) (xã cũ)", "Commune (07/2025) (former)"),
    "appendix_district": ("Huyện (cũ)", "Former district"),
    "appendix_class": ("Phân loại", "Class"),
    "appendix_rsrp": ("RSRP 4G tốt nhất (dBm)", "Best 4G RSRP (dBm)"),
    "appendix_solution": ("Giải pháp đề xuất", "Proposed solution"),
    "appendix_total": ("Tổng cộng: {n} thôn, bản", "Total: {n} villages"),
    "appendix_white": ("Vùng trắng", "White zone"),
    "appendix_low_signal": ("Vùng lõm", "Low signal"),
    "appendix_maker": ("NGƯỜI LẬP BIỂU", "PREPARED BY"),
    "appendix_head": ("GIÁM ĐỐC", "DIRECTOR"),
    "appendix_sign": ("(Ký, ghi rõ họ tên)", "(Signature and full name)"),
    "appendix_place_date": ("{place}, {date}", "{place}, {date}"),
    "request_households": ("Số hộ trong danh sách đề nghị", "Households in the request list"),
    "request_population": ("Nhân khẩu trong danh sách đề nghị", "People in the request list"),
    "unpowered_households": (
        "Số hộ của các thôn chưa có điện lưới",
        "Households of the villages without grid power",
    ),
    "unpowered_population": (
        "Nhân khẩu của các thôn chưa có điện lưới",
        "People of the villages without grid power",
    ),
    "contents_appendix": (
        "Phụ lục in kèm công văn: danh sách đề nghị rút gọn, tổng cộng, chữ ký",
        "The appendix printed with the letter: short request list, totals, signatures",
    ),
    # cover sheet
    "dossier_title": (
        "Danh sách thôn, bản vùng lõm, vùng trắng sóng di động đề nghị hỗ trợ "
        "trạm viễn thông công ích",
        "Villages in mobile white and low-signal zones proposed for public-utility "
        "telecom stations",
    ),
    "dossier_subtitle": (
        "Kết quả mô phỏng của covgap – cần kiểm tra thực địa (đo sóng, i-Speed) trước khi gửi",
        "Modelled by covgap – confirm with field measurements (signal, i-Speed) before sending",
    ),
    "cover_parameters": ("Thông số tính toán", "Analysis parameters"),
    "cover_contents": ("Nội dung", "Contents"),
    "cover_counts": ("Kết quả", "Results"),
    "local_crs": ("Hệ tọa độ quốc gia", "National grid"),
    "weights": ("Trọng số ưu tiên", "Priority weights"),
    "priority_formula": ("Công thức điểm ưu tiên", "Priority score formula"),
    "priority_formula_text": (
        "Điểm = {per_100_households:g}×(số hộ/100) + {per_1000_people:g}×(nhân khẩu/1.000) "
        "+ {especially_difficult:g}×(đặc biệt khó khăn) + {white:g}×(vùng trắng) "
        "+ {per_10_km:g}×(khoảng cách đến trạm gần nhất, tối đa {max_km:g} km)/10"
        "{white_first_text}",
        "Score = {per_100_households:g}×(households/100) + {per_1000_people:g}×(people/1,000) "
        "+ {especially_difficult:g}×(especially difficult) + {white:g}×(white zone) "
        "+ {per_10_km:g}×(km to the nearest site, at most {max_km:g})/10{white_first_text}",
    ),
    "white_first_text": (
        "; các thôn vùng trắng được xếp trước vùng lõm",
        "; white-zone villages rank before low-signal ones",
    ),
    "remote_rule": ("Điều kiện sector từ xa", "Remote-sector rule"),
    "remote_rule_text": (
        "Trạm hiện có trong bán kính {max_remote_km:g} km, nhìn thẳng đến thôn hoặc suy hao "
        "nhiễu xạ ≤ {max_diffraction_db:g} dB, RSRP dự kiến đạt ngưỡng có sóng",
        "An existing site within {max_remote_km:g} km with line of sight to the village or "
        "at most {max_diffraction_db:g} dB of diffraction, and an expected RSRP at the "
        "covered threshold",
    ),
    "villages_analysed": ("Số thôn được phân tích", "Villages analysed"),
    "request_count": (
        "Số thôn đề nghị (vùng lõm/trắng, có điện lưới)",
        "Villages requested (white/low signal, grid power)",
    ),
    "unpowered_count": (
        "Số thôn vùng lõm/trắng chưa có điện lưới",
        "White/low-signal villages without grid power",
    ),
    "sunset_count": (
        "Số thôn mất sóng khi tắt 2G/3G (tốt nhất các nhà mạng)",
        "Villages losing all service at the 2G/3G switch-off (any carrier)",
    ),
    "synthetic_flag": ("Dữ liệu giả lập", "Synthetic data"),
    "page_footer": ("Trang &P/&N", "Page &P of &N"),
    "contents_request": (
        "Đầy đủ các cột: thôn vùng lõm, vùng trắng (4G) có điện lưới, xếp theo điểm ưu tiên",
        "Every column: white and low-signal villages (4G) with grid power, by priority",
    ),
    "contents_unpowered": (
        "Thôn vùng lõm, vùng trắng chưa có điện lưới (gửi ngành điện)",
        "White and low-signal villages without grid power (for the power utility)",
    ),
    "contents_sunset": (
        "Thôn chỉ có sóng 2G hoặc 2G/3G, theo nhà mạng",
        "Villages with only 2G or 2G/3G service, by carrier",
    ),
    "contents_summary": (
        "Số thôn, hộ, nhân khẩu có sóng / vùng lõm / vùng trắng theo từng nhà mạng và "
        "theo mọi nhà mạng (nhà mạng tốt nhất được tính, như chỉ tiêu SDG 9.c.1); số thôn "
        "mất sóng khi tắt 2G (09/2026) và 3G (09/2028)",
        "Villages, households and people covered / low / white per carrier and for any "
        "carrier (the best operator counts, as in SDG 9.c.1); villages losing all service "
        "at the 2G (09/2026) and 3G (09/2028) switch-offs",
    ),
}

for _m, (_mvi, _men) in _MEASURES.items():
    LABELS[_m] = (_mvi, _men)
    for _c, (_cvi, _cen) in _CLASS_WORDS.items():
        LABELS[f"{_m}_{_c}"] = (f"{_mvi}: {_cvi}", f"{_men}: {_cen}")
