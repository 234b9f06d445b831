"""Labels (vi, en) of the map outputs, merged into :data:`covgap.outputs.labels.LABELS`."""

from __future__ import annotations

#: key -> (Vietnamese, English)
LABELS: dict[str, tuple[str, str]] = {
    # base layers and overlays
    "map_base_osm": ("Bản đồ OpenStreetMap", "OpenStreetMap"),
    "map_base_light": ("Bản đồ nền sáng (CARTO Positron)", "Light basemap (CARTO Positron)"),
    "map_base_none": ("Không có bản đồ nền (ngoại tuyến)", "No basemap (offline)"),
    "map_layer_relief": ("Địa hình (bóng đổ từ DEM)", "Terrain (DEM hillshade)"),
    "map_layer_request": ("Thôn trong danh sách đề nghị", "Request-list villages"),
    # popups
    "map_request_list": ("Danh sách đề nghị", "Request list"),
    "map_in_request_list": ("Có trong danh sách đề nghị", "In the request list"),
    # tools
    "map_search": ("Tìm thôn/bản…", "Find a village…"),
    "map_search_none": ("Không tìm thấy thôn/bản", "No village found"),
    "map_cancel": ("Hủy", "Cancel"),
    "map_fullscreen": ("Toàn màn hình", "Full screen"),
    "map_fullscreen_exit": ("Thoát toàn màn hình", "Exit full screen"),
    "map_measure": (
        "Đo khoảng cách: bấm các điểm, bấm đúp để kết thúc, Esc để xóa",
        "Measure a distance: click points, double-click to finish, Esc to clear",
    ),
    "map_minimap_show": ("Hiện bản đồ nhỏ", "Show the overview map"),
    "map_minimap_hide": ("Ẩn bản đồ nhỏ", "Hide the overview map"),
    # legend
    "map_legend_clusters": (
        "Vòng tròn có số: các thôn có sóng được gộp lại; phóng to để tách ra",
        "Numbered circles: covered villages grouped together; zoom in to separate them",
    ),
    "map_legend_more": (
        "Chi tiết: ngưỡng, trạm BTS, hình quạt, đường nối",
        "More: class rules, BTS sites, wedges, lines",
    ),
    "map_details": ("Thông số tính toán", "Analysis parameters"),
    "map_legend_request": ("Thôn trong danh sách đề nghị", "Village in the request list"),
    "map_legend_wedges": (
        "Hình quạt (khi phóng to): hướng và độ rộng búp sóng của từng cell; độ dài:",
        "Wedges (when zoomed in): azimuth and beamwidth of each sector; length:",
    ),
    "map_legend_serving": (
        "Bấm vào thôn: đường đến trạm phục vụ",
        "Click a village: line to its serving site",
    ),
    "map_legend_nearest": ("đường đến trạm gần nhất", "line to the nearest site"),
    "map_legend_obstacle": ("vật cản che sóng", "the obstacle blocking the signal"),
    # area layers: signal overlays and zones
    "map_any_carrier": ("mọi nhà mạng", "any carrier"),
    "map_layer_signal": ("Sóng {tech} ({kind}) – {carrier}", "{tech} signal ({kind}) – {carrier}"),
    "map_layer_zone_white": ("Vùng trắng: khu vực ({n})", "White zones: areas ({n})"),
    "map_layer_zone_low_signal": ("Vùng lõm: khu vực ({n})", "Low-signal zones: areas ({n})"),
    "map_zone_id": ("Mã vùng", "Zone ID"),
    "map_zone_class": ("Loại vùng", "Zone class"),
    "map_zone_area": ("Diện tích (phần trong xã)", "Area (part in this commune)"),
    "map_zone_total_area": ("Diện tích cả vùng", "Area of the whole zone"),
    "map_zone_villages": ("Số thôn bên trong", "Villages inside"),
    "map_zone_households": ("Số hộ bên trong", "Households inside"),
    "map_zone_people": ("Số dân bên trong", "People inside"),
    "map_zone_village_ids": ("Mã các thôn bên trong", "IDs of the villages inside"),
    "map_legend_signal": (
        "Lớp phủ sóng: RSRP 4G mô phỏng của trạm mạnh nhất (dBm)",
        "Signal overlay: modelled best-server 4G RSRP (dBm)",
    ),
    "map_ramp_classes": (
        "Xanh lá: có sóng (≥ {covered} dBm) · cam: vùng lõm ({low} đến {covered} dBm) · đỏ: "
        "vùng trắng (< {low} dBm) · trong suốt: không trạm nào trong tầm",
        "Green: covered (≥ {covered} dBm) · orange: low signal ({low} to {covered} dBm) · "
        "red: white zone (< {low} dBm) · transparent: no site in range",
    ),
    "map_ramp_note": (
        "Lớp 2G (RxLev), 3G (RSCP) dùng cùng thang màu; ngưỡng chỉ áp dụng cho 4G.",
        "2G (RxLev) and 3G (RSCP) layers use the same colours; the thresholds are 4G's.",
    ),
    "map_ramp_margin": (
        "Ngưỡng đã cộng biên {margin} dB cho xác suất vị trí.",
        "Thresholds include a {margin} dB location-variability margin.",
    ),
    "map_legend_zones": ("Khu vực vùng trắng, vùng lõm", "White and low-signal zones (areas)"),
    "map_legend_zone_white": ("Vùng trắng", "White zone"),
    "map_legend_zone_low_signal": ("Vùng lõm", "Low-signal zone"),
    "map_legend_zone_note": (
        "Từ lớp phủ 4G; bỏ vùng nhỏ hơn {min} km². Bấm vào vùng: diện tích, số thôn, hộ, dân.",
        "From the 4G overlay; zones under {min} km² left out. Click a zone: area, villages, "
        "households, people.",
    ),
}
