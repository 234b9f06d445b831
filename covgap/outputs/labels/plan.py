"""Labels (vi, en) of the plan outputs, merged into :data:`covgap.outputs.labels.LABELS`.

Telecom terms follow Vietnamese usage: *trạm BTS đề xuất* (proposed site), *truyền dẫn
cáp quang* (fibre backhaul), *viba* (microwave), *vệ tinh* (satellite).
"""

from __future__ import annotations

#: key -> (Vietnamese, English)
LABELS: dict[str, tuple[str, str]] = {
    # columns of the candidates and the proposed sites
    "candidate_id": ("Mã vị trí ứng viên", "Candidate ID"),
    "kind": ("Loại đề xuất", "Kind"),
    "ground_m": ("Độ cao mặt đất (m)", "Ground elevation (m)"),
    "azimuths_deg": ("Các góc phương vị (°)", "Azimuths (°)"),
    "road_km": ("Khoảng cách đến đường bộ (km)", "Distance to a road (km)"),
    "power_km": ("Khoảng cách đến lưới điện (km)", "Distance to grid power (km)"),
    "n_visible": ("Số thôn trong tầm nhìn", "Villages in view"),
    "visible_weight": ("Trọng số trong tầm nhìn", "Weight in view"),
    "note": ("Ghi chú", "Note"),
    "villages_cover": ("Số thôn phủ sóng mới (riêng vị trí này)", "Villages it alone newly covers"),
    "weight_cover": ("Trọng số phủ sóng mới (riêng vị trí này)", "Weight it alone newly covers"),
    "chosen": ("Được chọn", "Chosen"),
    "backhaul_needed": ("Cần truyền dẫn mới", "Needs new backhaul"),
    "cost_usd": ("Chi phí (USD)", "Cost (USD)"),
    "villages_new": ("Số thôn được phủ sóng mới", "Villages newly covered"),
    "households_new": ("Số hộ được phủ sóng mới", "Households newly covered"),
    "people_new": ("Số dân được phủ sóng mới", "People newly covered"),
    "village_ids": ("Mã các thôn được phủ sóng mới", "IDs of the villages newly covered"),
    "site_usd": ("Chi phí trạm (USD)", "Site cost (USD)"),
    "backhaul": ("Truyền dẫn", "Backhaul"),
    "backhaul_km": ("Chiều dài truyền dẫn (km)", "Backhaul length (km)"),
    "backhaul_usd": ("Chi phí truyền dẫn (USD)", "Backhaul cost (USD)"),
    "total_usd": ("Tổng chi phí (USD)", "Total cost (USD)"),
    "usd_per_person": ("Chi phí trên một người dân (USD)", "Cost per person (USD)"),
    "fibre_km": ("Chiều dài cáp quang (km)", "Fibre length (km)"),
    "fibre_usd": ("Chi phí truyền dẫn cáp quang (USD)", "Fibre cost (USD)"),
    "mw_site_id": ("Trạm đầu xa tuyến viba", "Microwave far-end site"),
    "mw_km": ("Chiều dài tuyến viba (km)", "Microwave hop (km)"),
    "mw_usd": ("Chi phí viba (USD)", "Microwave cost (USD)"),
    "satellite_usd": ("Chi phí truyền dẫn vệ tinh (USD)", "Satellite cost (USD)"),
    # fibre roll-out
    "fibre_node_id": ("Điểm cáp quang đấu nối", "Fibre node"),
    "reachable": ("Có đường bộ đến điểm cáp quang", "Road to a fibre node"),
    "usd_per_household": ("Chi phí trên một hộ (USD)", "Cost per household (USD)"),
    # backhaul routes
    "route_id": ("Mã tuyến", "Route ID"),
    "from_id": ("Từ", "From"),
    "to_id": ("Đến", "To"),
    "km": ("Chiều dài (km)", "Length (km)"),
    "usd": ("Chi phí (USD)", "Cost (USD)"),
    # before / after
    "covered_before": ("Có sóng – trước", "Covered – before"),
    "covered_after": ("Có sóng – sau", "Covered – after"),
    "low_signal_before": ("Vùng lõm – trước", "Low signal – before"),
    "low_signal_after": ("Vùng lõm – sau", "Low signal – after"),
    "white_before": ("Vùng trắng – trước", "White zone – before"),
    "white_after": ("Vùng trắng – sau", "White zone – after"),
    "people_covered_before": ("Số dân có sóng – trước", "People covered – before"),
    "people_covered_after": ("Số dân có sóng – sau", "People covered – after"),
    # coded values
    "plan_kind_new_site": ("Trạm BTS mới", "New site"),
    "plan_kind_user": ("Vị trí do địa phương đề xuất", "User's candidate site"),
    "plan_kind_add_4g": ("Bổ sung 4G cho trạm hiện có", "4G added to an existing site"),
    "plan_kind_add_sector": ("Bổ sung sector cho trạm hiện có", "Sector added to an existing site"),
    "plan_backhaul_fibre": ("Cáp quang", "Fibre"),
    "plan_backhaul_microwave": ("Viba", "Microwave"),
    "plan_backhaul_satellite": ("Vệ tinh", "Satellite"),
    "plan_backhaul_existing": ("Truyền dẫn hiện có", "Existing backhaul"),
    "plan_shared": ("Dùng chung cho cả 3 nhà mạng", "Shared by the three carriers"),
    # workbook
    "plan_title": ("Kế hoạch trạm BTS đề xuất và truyền dẫn", "Proposed sites and backhaul plan"),
    "plan_subtitle": (
        "Trạm BTS mới, nâng cấp trạm hiện có và truyền dẫn để phủ sóng các thôn vùng lõm, "
        "vùng trắng; chi phí là ước tính theo đơn giá dưới đây",
        "New sites, upgrades of existing sites and their backhaul to cover the low-signal "
        "and white-zone villages; costs are estimates from the unit costs below",
    ),
    "plan_sheet_summary": ("Tóm tắt kế hoạch", "Plan summary"),
    "plan_sheet_proposed": ("Trạm BTS đề xuất", "Proposed sites"),
    "plan_sheet_district": ("Trước-sau theo huyện", "Before-after by district"),
    "plan_sheet_commune": ("Trước-sau theo xã", "Before-after by commune"),
    "plan_sheet_fibre": ("Thứ tự kéo cáp quang", "Fibre rollout"),
    "plan_candidates_not_printed": (
        "{n} vị trí ứng viên để tra cứu trên máy (lọc, sắp xếp) – không in: vùng in của trang "
        "này chỉ gồm dòng này. Trên bản đồ: plan_map.html; GIS: proposed_sites.gpkg, lớp "
        "candidates.",
        "{n} candidate sites to look up on screen (filter, sort) – not printed: this sheet's "
        "print area is this line only. On the map: plan_map.html; GIS: proposed_sites.gpkg, "
        "layer candidates.",
    ),
    "plan_sheet_candidates": ("Các vị trí ứng viên", "Candidates"),
    "plan_page_district": ("Trước / sau theo huyện", "Before / after by district"),
    "plan_page_commune": ("Trước / sau theo xã", "Before / after by commune"),
    "plan_headline": ("Kết quả chính", "Headline figures"),
    "plan_options": ("Tùy chọn lập kế hoạch", "Planning options"),
    "plan_costs": ("Đơn giá (ước tính, có thể thay đổi)", "Unit costs (assumptions, configurable)"),
    "plan_solver": ("Bài toán tối ưu (phủ sóng cực đại)", "Optimisation (maximal covering)"),
    "plan_analysis": ("Phân tích vùng phủ", "Coverage analysis"),
    "plan_contents": ("Nội dung", "Contents"),
    "plan_sites": ("Số trạm BTS đề xuất", "Number of proposed sites"),
    "plan_candidates": ("Số vị trí ứng viên đã xét", "Candidates considered"),
    "people_per_million_usd": (
        "Số dân được phủ sóng mới trên 1 triệu USD",
        "People newly covered per million USD",
    ),
    "plan_before_after_villages": (
        "Số thôn có sóng / vùng lõm / vùng trắng: trước / sau",
        "Villages covered / low signal / white: before / after",
    ),
    "objective": ("Giá trị mục tiêu (lời giải chính xác)", "Objective (exact solution)"),
    "greedy_objective": ("Giá trị mục tiêu (thuật toán tham lam)", "Objective (greedy heuristic)"),
    "greedy_gap": ("Thuật toán tham lam kém hơn tối ưu", "Greedy heuristic below the optimum"),
    "solver_status": ("Trạng thái lời giải", "Solver status"),
    "solve_s": ("Thời gian giải (giây)", "Solve time (s)"),
    "plan_run_s": ("Tổng thời gian lập kế hoạch (giây)", "Planning time (s)"),
    "plan_opt_k": ("Số trạm cần chọn", "Sites to choose"),
    "plan_opt_budget_usd": ("Ngân sách (USD)", "Budget (USD)"),
    "plan_opt_carrier": ("Kế hoạch cho nhà mạng", "Plan for carrier"),
    "plan_opt_weight": ("Tối đa hóa theo", "Maximise"),
    "plan_opt_generate": ("Sinh vị trí ứng viên từ DEM", "Candidates generated from the DEM"),
    "plan_opt_upgrades": ("Xét nâng cấp trạm hiện có", "Upgrades of existing sites considered"),
    "plan_opt_max_candidates": ("Số vị trí ứng viên tối đa", "Most candidates generated"),
    "plan_opt_radius_km": ("Bán kính tìm vị trí ứng viên (km)", "Candidate search radius (km)"),
    "plan_opt_height_m": ("Độ cao anten trạm mới (m)", "Antenna height of new sites (m)"),
    "plan_cost_new_site_usd": ("Trạm BTS mới (USD)", "New site (USD)"),
    "plan_cost_add_4g_usd": ("Bổ sung 4G cho trạm hiện có (USD)", "4G added to a site (USD)"),
    "plan_cost_add_sector_usd": ("Bổ sung một sector (USD)", "One sector added (USD)"),
    "plan_cost_fibre_per_km_usd": (
        "Truyền dẫn cáp quang theo đường bộ (USD/km)",
        "Fibre along roads (USD/km)",
    ),
    "plan_cost_fibre_per_point_usd": (
        "Đấu nối cáp quang một điểm (USD)",
        "Fibre connection per point (USD)",
    ),
    "plan_cost_routing_factor": ("Hệ số chiều dài tuyến cáp", "Fibre routing factor"),
    "plan_cost_microwave_link_usd": ("Một tuyến viba, hai đầu (USD)", "One microwave link (USD)"),
    "plan_cost_microwave_max_km": (
        "Chiều dài tối đa tuyến viba (km)",
        "Longest microwave hop (km)",
    ),
    "plan_cost_microwave_freq_mhz": ("Tần số viba (MHz)", "Microwave band (MHz)"),
    "plan_cost_fresnel_clearance": (
        "Tỷ lệ thông thoáng miền Fresnel thứ nhất",
        "First Fresnel zone clearance",
    ),
    "plan_cost_satellite_usd": (
        "Truyền dẫn vệ tinh (VSAT) (USD)",
        "Satellite (VSAT) backhaul (USD)",
    ),
    "plan_contents_proposed": (
        "Trạm BTS đề xuất theo thứ tự số dân được phủ sóng mới, với truyền dẫn và chi phí",
        "Proposed sites by people newly covered, with their backhaul and cost",
    ),
    "plan_contents_before_after": (
        "Số thôn theo phân loại và số dân có sóng, trước / sau kế hoạch",
        "Villages by class and people covered, before / after the plan",
    ),
    "plan_contents_fibre": (
        "Thôn vùng lõm, vùng trắng xếp theo chi phí kéo cáp quang",
        "Low-signal and white-zone villages ranked by the cost of fibre to them",
    ),
    "plan_contents_candidates": (
        "Mọi vị trí ứng viên đã xét, với chi phí và số thôn mỗi vị trí phủ được",
        "Every candidate considered, with its cost and the villages it covers",
    ),
    # map
    "plan_map_title": (
        "Trạm BTS đề xuất và vùng phủ sóng mới",
        "Proposed sites and the coverage they add",
    ),
    "plan_proposed_site": ("Trạm BTS đề xuất", "Proposed site"),
    "plan_layer_proposed": ("Trạm BTS đề xuất ({n})", "Proposed sites ({n})"),
    "plan_layer_links": (
        "Đường từ trạm đề xuất đến thôn được phủ sóng mới",
        "Lines from proposed sites to the villages they newly cover",
    ),
    "plan_layer_fibre": ("Truyền dẫn cáp quang ({n} tuyến)", "Fibre backhaul ({n} routes)"),
    "plan_layer_microwave": ("Truyền dẫn viba ({n} tuyến)", "Microwave backhaul ({n} links)"),
    "plan_layer_newly": ("Thôn được phủ sóng mới ({n})", "Villages newly covered ({n})"),
    "plan_layer_coverage": (
        "Vùng phủ 4G dự kiến của trạm đề xuất (RSRP, dBm)",
        "Predicted 4G coverage of the proposed sites (RSRP, dBm)",
    ),
    "plan_legend_title": ("Kế hoạch", "Plan"),
    "plan_legend_proposed": ("Trạm BTS đề xuất", "Proposed site"),
    "plan_legend_newly": ("Thôn được phủ sóng mới", "Village newly covered"),
    "plan_legend_coverage": (
        "Vùng trạm đề xuất phủ sóng (RSRP 4G ≥ {dbm} dBm)",
        "Area the proposed sites cover (4G RSRP ≥ {dbm} dBm)",
    ),
    "plan_legend_fibre": ("Truyền dẫn cáp quang (theo đường bộ)", "Fibre backhaul (along roads)"),
    "plan_legend_microwave": ("Truyền dẫn viba", "Microwave backhaul"),
    "plan_legend_links": (
        "Trạm đề xuất – thôn được phủ sóng mới (tắt khi mở bản đồ)",
        "Proposed site – village newly covered (off when the map opens)",
    ),
}
