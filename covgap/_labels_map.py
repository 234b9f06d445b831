"""Labels (vi, en) of the map outputs, merged into :data:`covgap.labels.LABELS`."""

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
        "Trạm BTS, hình quạt, đường nối (bấm để xem)",
        "BTS sites, wedges, lines (click to show)",
    ),
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
}
