"""Labels (vi, en) of the business case, merged into :data:`covgap.outputs.labels.LABELS`.

Vietnamese money is written in *triệu đồng* / *tỷ đồng* (millions / thousands of millions of
đồng); the three lists are *danh sách thương mại* (the carriers' own rollout),
*danh sách đề nghị hỗ trợ công ích* (the request to the Ministry) and *cần điện lưới trước*
(the dossier's own words for "power first").
"""

from __future__ import annotations

#: key -> (Vietnamese, English)
LABELS: dict[str, tuple[str, str]] = {
    # the three lists
    "list_commercial": (
        "Thương mại (doanh nghiệp tự đầu tư)",
        "Commercial (carrier's own rollout)",
    ),
    "list_public_utility": ("Đề nghị hỗ trợ viễn thông công ích", "Public-utility request"),
    "list_power_first": ("Cần điện lưới trước", "Power first"),
    "economic_list": ("Danh sách", "List"),
    # business-case columns
    "econ_carriers": ("Doanh nghiệp khai thác", "Carriers served"),
    "power": ("Nguồn điện", "Power"),
    "power_grid": ("lưới điện", "grid"),
    "power_offgrid": ("điện mặt trời/ắc quy", "off-grid (solar, batteries)"),
    "power_existing": ("điện của trạm hiện có", "the existing site's"),
    "power_none": ("chưa có", "none"),
    "subscribers": ("Số thuê bao dự kiến", "Expected subscribers"),
    "revenue_usd_year": ("Doanh thu/năm (USD)", "Revenue a year (USD)"),
    "capex_site_usd": ("Đầu tư trạm (USD)", "Site CAPEX (USD)"),
    "capex_power_usd": ("Đầu tư nguồn điện (USD)", "Power CAPEX (USD)"),
    "capex_backhaul_usd": ("Đầu tư truyền dẫn (USD)", "Backhaul CAPEX (USD)"),
    "capex_usd": ("Tổng vốn đầu tư (USD)", "Total CAPEX (USD)"),
    "opex_usd_year": ("Chi phí vận hành/năm (USD)", "OPEX a year (USD)"),
    "npv_usd": ("Giá trị hiện tại ròng NPV (USD)", "NPV (USD)"),
    "npv_vnd": ("Giá trị hiện tại ròng NPV (đồng)", "NPV (VND)"),
    "payback_year": ("Năm hoàn vốn", "Payback year"),
    "grant_usd": ("Hỗ trợ một lần để hòa vốn (USD)", "One-off grant to break even (USD)"),
    "support_usd_year": ("Hoặc hỗ trợ hằng năm (USD/năm)", "Or yearly support (USD a year)"),
    "grant_per_person_usd": ("Hỗ trợ trên một người dân (USD)", "Grant per person (USD)"),
    "list_flips": ("Đổi danh sách khi tham số ±20 %", "Changes list within ±20 %"),
    "p_commercial": ("Xác suất có lãi", "Probability commercial"),
    # the tornado chart
    "econ_tornado_title": (
        "Độ nhạy của NPV tổng theo từng tham số (±{pct} %)",
        "Sensitivity of the total NPV to each parameter (±{pct} %)",
    ),
    "econ_tornado_axis": ("Thay đổi NPV tổng (triệu USD)", "Change in total NPV (million USD)"),
    "econ_param_arpu": ("Doanh thu bình quân/thuê bao (ARPU)", "ARPU"),
    "econ_param_penetration": ("Tỷ lệ dùng dịch vụ", "Penetration"),
    "econ_param_capex": ("Vốn đầu tư (CAPEX)", "CAPEX"),
    "econ_param_opex": ("Chi phí vận hành (OPEX)", "OPEX"),
    "econ_low": ("thấp hơn", "lower"),
    "econ_high": ("cao hơn", "higher"),
    "econ_moved_sites": ("{n} vị trí đổi danh sách", "{n} sites change list"),
    "econ_moved_villages": ("{n} thôn đổi danh sách", "{n} villages change list"),
    # the list summary and the sensitivity table
    "sites": ("Số vị trí", "Sites"),
    "parameter": ("Tham số", "Parameter"),
    "side": ("Chiều thay đổi", "Side"),
    "factor": ("Hệ số", "Factor"),
    "n_commercial": ("Số vị trí thương mại", "Commercial sites"),
    "n_public_utility": ("Số vị trí đề nghị hỗ trợ", "Public-utility sites"),
    "n_power_first": ("Số vị trí cần điện trước", "Power-first sites"),
    "moved": ("Số vị trí đổi danh sách", "Sites that change list"),
    # calibration: the villages to check in the field
    "map_layer_field_check": (
        "Cần kiểm tra thực địa (phân loại đổi trong ±1σ)",
        "To check in the field (class changes within ±1σ)",
    ),
    "sheet_field_check": ("Cần kiểm tra thực địa", "Field check"),
    "contents_field_check": (
        "Thôn có phân loại thay đổi trong khoảng ±1σ của sai số dự báo đã hiệu chỉnh: cử "
        "đoàn đo kiểm tra trước",
        "Villages whose class changes within ±1σ of the calibrated error: survey them first",
    ),
    "p_covered": ("Xác suất có sóng 4G", "Probability of 4G coverage"),
    "field_check": ("Cần kiểm tra", "To check"),
    "class_low": ("Phân loại ở −1σ", "Class at −1σ"),
    "class_high": ("Phân loại ở +1σ", "Class at +1σ"),
    # the plan map's popups
    "plan_business": ("Hiệu quả kinh tế", "Business case"),
    "plan_business_npv": (
        "NPV {npv} tỷ đồng trong {years} năm",
        "NPV VND {npv} billion over {years} years",
    ),
    "plan_business_grant": (
        "cần hỗ trợ {grant} tỷ đồng để hòa vốn",
        "break-even needs VND {grant} billion of support",
    ),
    # the dossier's sheet and cover
    "sheet_business": ("Hiệu quả kinh tế", "Business case"),
    "contents_business": (
        "Hiệu quả kinh tế của giải pháp cho từng thôn: thương mại, đề nghị hỗ trợ công ích "
        "(xếp theo số dân trên mỗi đồng hỗ trợ), cần điện lưới trước",
        "Each village's solution priced: commercial, public-utility request (most people per "
        "unit of support first), power first",
    ),
    "econ_cover_lists": ("Phân loại theo hiệu quả kinh tế", "Lists by business case"),
    "econ_cover_params": (
        "Thông số kinh tế (giả định của covgap)",
        "Business-case parameters (covgap's assumptions)",
    ),
    "econ_cover_params_text": (
        "{years} năm, chiết khấu {rate} %/năm, tỷ lệ dùng dịch vụ {penetration} %, ARPU "
        "(đồng/tháng) {arpu}, thị phần {share}, tỷ giá {usd_vnd} đồng/USD",
        "{years} years at {rate} % a year, penetration {penetration} %, ARPU (VND a month) "
        "{arpu}, market shares {share}, VND {usd_vnd} per USD",
    ),
    # one line per list (terminal, cover sheets)
    "econ_unit_sites": ("vị trí", "sites"),
    "econ_unit_villages": ("thôn", "villages"),
    "econ_people": ("người", "people"),
    "econ_line_capex": (
        "vốn đầu tư {usd} triệu USD ({vnd} tỷ đồng), doanh nghiệp tự đầu tư có lãi",
        "CAPEX USD {usd} million (VND {vnd} billion), paid back by the carriers",
    ),
    "econ_line_grant": (
        "cần hỗ trợ {usd} triệu USD ({vnd} tỷ đồng) để hòa vốn",
        "needs USD {usd} million (VND {vnd} billion) of support to break even",
    ),
}
