"""Labels (vi, en) of the static outputs, merged into :data:`covgap.outputs.labels.LABELS`."""

from __future__ import annotations

#: key -> (Vietnamese, English)
LABELS: dict[str, tuple[str, str]] = {
    "static_highlight": ("Thôn được đánh dấu", "Highlighted villages"),
    "static_rank_note": (
        "Số trên bản đồ là thứ tự ưu tiên",
        "Numbers on the map are priority ranks",
    ),
    "static_more_unlabelled": (
        "… và {n} thôn khác không ghi nhãn",
        "… and {n} more without a label",
    ),
    "static_more": ("… và {n} thôn khác", "… and {n} more"),
    "static_villages_n": ("{n} thôn", "{n} villages"),
    "static_boundaries": ("Ranh giới", "Boundaries"),
    "static_province_boundary": ("Ranh giới tỉnh", "Province boundary"),
    "static_district_boundary": ("Ranh giới huyện", "District boundary"),
    "static_commune_boundary": ("Ranh giới xã", "Commune boundary"),
    "static_relief": (
        "Nền: địa hình bóng đổ từ mô hình số độ cao",
        "Background: shaded relief of the elevation model",
    ),
    "static_relief_tint": (
        "Nền: địa hình bóng đổ, màu theo độ cao",
        "Background: shaded relief, tinted by elevation",
    ),
    "static_projection": (
        "Toạ độ WGS 84 (độ). Phép chiếu trụ đều, đúng tỷ lệ tại vĩ độ {lat}°B",
        "WGS 84 coordinates (degrees). Equirectangular, true scale at {lat}°N",
    ),
    "static_made_with": ("Lập bằng covgap {version}", "Made with covgap {version}"),
    "static_scenario_facts": ("Thông tin kịch bản", "Scenario"),
}
