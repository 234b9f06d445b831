r"""Per-village status for every carrier and technology, the 2G/3G switch-off, and summaries.

:func:`village_status` lists, for every village, carrier (Viettel, VNPT, MobiFone and
``"any"``: the best operator counts, as in ITU SDG 9.c.1) and technology (2G, 3G, 4G), the
best signal at the village centre, the serving and nearest sites and why the village is
not covered, in plain words. 4G statuses are those of
:func:`covgap.analysis.classify.classify_villages`
(population clusters included); 2G RxLev and 3G RSCP use the VNPT drive-test bins around
the usable floor :math:`F` (``Thresholds.min_2g_dbm`` / ``min_3g_dbm``):

.. math::

    \text{status}_{2G/3G} = \begin{cases}
      \text{covered} & S \ge F + 10 \text{ dB ("medium" or better)} \\
      \text{low\_signal} & F \le S < F + 10 \text{ ("poor")} \\
      \text{white} & S < F \text{ or no sector in range}
    \end{cases}

A technology is *usable* when its status is not white. :func:`sunset_impact` finds the
villages whose only usable service is 2G (everything stops at the 2G shutdown, 09/2026)
or 2G/3G without 4G (everything stops at the 3G shutdown, 09/2028), and
:func:`coverage_summary` counts villages, households and people by commune, new unit or
former district.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..config import Radio, Thresholds
from ..io.locale import format_number
from ..radio.point import nearest_sites
from ..schema import CARRIERS, CLASSES, COVERED, LOW_SIGNAL, TECHNOLOGIES, WHITE, carrier_slug
from .classify import CENTRE

if TYPE_CHECKING:
    import geopandas as gpd

    from .result import Result

__all__ = [
    "ANY_CARRIER",
    "SUNSET_DATES",
    "coverage_summary",
    "service_table",
    "status_table",
    "sunset_impact",
    "village_status",
]

logger = logging.getLogger(__name__)

#: Value of the ``carrier`` column for the best operator (SDG 9.c.1 "any carrier").
ANY_CARRIER = "any"
#: Sunset category -> month from which the village has no mobile service left.
SUNSET_DATES: dict[str, str] = {"2g_only": "09/2026", "2g_3g_only": "09/2028"}
#: Width of the "poor" 2G/3G bin above the usable floor (VNPT drive-test bins, dB).
POOR_BIN_DB = 10.0
_ID_COLUMNS = ("village_id", "name", "commune", "commune_2025", "district")
_PEOPLE = ("households", "population")


def village_status(result: Result) -> pd.DataFrame:
    """Status of every village for each carrier (and any carrier) and technology.

    Parameters
    ----------
    result
        A finished analysis (:func:`covgap.pipeline.run`).

    Returns
    -------
    pandas.DataFrame
        See :func:`status_table`.
    """
    return status_table(
        result.villages,
        result.points,
        result.servers,
        result.sites,
        thresholds=result.scenario.thresholds,
        radio=result.scenario.radio,
    )


def status_table(
    villages: gpd.GeoDataFrame | pd.DataFrame,
    points: pd.DataFrame,
    servers: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    thresholds: Thresholds = Thresholds(),
    radio: Radio = Radio(),
) -> pd.DataFrame:
    """Status of every village for each carrier and technology, from the analysis' parts.

    Parameters
    ----------
    villages
        Classified villages (:func:`covgap.analysis.classify.classify_villages`).
    points
        Village reference points (:func:`covgap.analysis.classify.village_points`).
    servers
        Best server per point, carrier and technology (:func:`covgap.radio.point.best_servers`).
    sites
        The site table (for the nearest site of each carrier and technology).
    thresholds, radio
        Class thresholds and radio settings used for the classification.

    Returns
    -------
    pandas.DataFrame
        One row per village x carrier (``"any"``, Viettel, VNPT, MobiFone) x technology:
        the village's ids and names, ``households``, ``population``, ``carrier``,
        ``technology``, ``signal_dbm`` (best at the centre; 4G RSRP, 3G RSCP, 2G RxLev),
        ``status`` (covered / low_signal / white), ``usable``, ``serving_carrier``,
        ``serving_site_id``, ``serving_km``, ``los``, ``obstacle_height_m``,
        ``obstacle_dist_km``, ``nearest_site_id``, ``nearest_site_carrier``,
        ``nearest_site_km`` (nearest site of that carrier with that technology),
        ``services`` (usable technologies for that carrier), ``reason`` and ``reason_vi``.
    """
    centre = points.loc[points["role"] == CENTRE, ["point_id", "village_id", "lon", "lat"]]
    pid = villages["village_id"].map(centre.set_index("village_id")["point_id"])
    frames = []
    for tech in TECHNOLOGIES:
        near = _nearest_by_carrier(centre, sites, tech)
        for carrier in (ANY_CARRIER, *CARRIERS):
            frames.append(_one(villages, pid, servers, near, carrier, tech, thresholds, radio))
    table = pd.concat(frames, ignore_index=True)
    services = service_table(table)
    table = table.merge(services, on=["village_id", "carrier"], how="left")
    table["reason"], table["reason_vi"] = _reasons(table, villages, radio)
    order = {c: i for i, c in enumerate((ANY_CARRIER, *CARRIERS))}
    table = table.sort_values(
        ["village_id", "carrier", "technology"],
        key=lambda s: s.map(order) if s.name == "carrier" else s,
        kind="stable",
        ignore_index=True,
    )
    logger.info("status of %d villages x %d carriers x 3 technologies", len(villages), 4)
    return table


def _nearest_by_carrier(centre: pd.DataFrame, sites: pd.DataFrame, tech: str) -> pd.DataFrame:
    """Nearest site with ``tech`` per centre point, per carrier and for any carrier."""
    with_tech = sites[sites["technology"] == tech]
    if len(with_tech) == 0:
        return pd.DataFrame(columns=["point_id", "carrier", "site_id", "dist_km", "key"])
    per = nearest_sites(centre, with_tech, by="carrier").assign(key=lambda d: d["carrier"])
    anyc = nearest_sites(centre, with_tech, by=None).assign(key=ANY_CARRIER)
    return pd.concat([per, anyc], ignore_index=True)


def _one(
    villages: pd.DataFrame,
    pid: pd.Series,
    servers: pd.DataFrame,
    near: pd.DataFrame,
    carrier: str,
    tech: str,
    thresholds: Thresholds,
    radio: Radio,
) -> pd.DataFrame:
    """Status rows of one carrier and technology for every village."""
    rows = servers[servers["technology"] == tech]
    if carrier != ANY_CARRIER:
        rows = rows[rows["carrier"] == carrier]
    best = rows.loc[rows.groupby("point_id")["signal_dbm"].idxmax().to_numpy()]
    serving = best.set_index("point_id").reindex(pid.to_numpy())
    out = pd.DataFrame(
        {c: villages[c].to_numpy() for c in (*_ID_COLUMNS, *_PEOPLE) if c in villages}
    )
    out["carrier"], out["technology"] = carrier, tech
    if tech == "4G":
        slug = "" if carrier == ANY_CARRIER else f"_{carrier_slug(carrier)}"
        signal = villages[f"rsrp{slug}_dbm"].to_numpy(dtype=float)
        status = villages["coverage_class" if not slug else f"class{slug}"].to_numpy()
    else:
        signal = serving["signal_dbm"].to_numpy(dtype=float)
        floor = thresholds.min_2g_dbm if tech == "2G" else thresholds.min_3g_dbm
        status = np.full(len(signal), WHITE, dtype=object)
        status[np.nan_to_num(signal, nan=-np.inf) >= floor] = LOW_SIGNAL
        status[np.nan_to_num(signal, nan=-np.inf) >= floor + POOR_BIN_DB] = COVERED
    out["signal_dbm"], out["status"] = signal, status
    out["usable"] = out["status"] != WHITE
    out["serving_carrier"] = serving["carrier"].to_numpy()
    out["serving_site_id"] = serving["site_id"].to_numpy()
    out["serving_km"] = serving["dist_km"].to_numpy(dtype=float)
    out["los"] = serving["los"].astype("boolean").to_numpy()
    out["obstacle_height_m"] = serving["obstacle_height_m"].to_numpy(dtype=float)
    out["obstacle_dist_km"] = serving["obstacle_dist_km"].to_numpy(dtype=float)
    mine = near[near["key"] == carrier].set_index("point_id").reindex(pid.to_numpy())
    out["nearest_site_id"] = mine["site_id"].to_numpy()
    out["nearest_site_carrier"] = mine["carrier"].to_numpy()
    out["nearest_site_km"] = mine["dist_km"].to_numpy(dtype=float)
    return out


def service_table(status: pd.DataFrame) -> pd.DataFrame:
    """Usable technologies per village and carrier, e.g. ``"2G 3G"``.

    Parameters
    ----------
    status
        Rows with ``village_id``, ``carrier``, ``technology`` and ``usable``.

    Returns
    -------
    pandas.DataFrame
        ``village_id``, ``carrier``, ``services`` (technologies in order, space-separated;
        ``""`` when none).
    """
    ok = status[status["usable"].astype(bool)]
    joined = (
        ok.sort_values("technology")
        .groupby(["village_id", "carrier"], sort=False)["technology"]
        .agg(" ".join)
    )
    keys = status[["village_id", "carrier"]].drop_duplicates()
    services = keys.join(joined, on=["village_id", "carrier"])["technology"].fillna("")
    return keys.assign(services=services.to_numpy()).reset_index(drop=True)


def _reasons(table: pd.DataFrame, villages: pd.DataFrame, radio: Radio) -> tuple[list, list]:
    """Plain-words reasons (English, Vietnamese) for every row not covered."""
    any4 = villages.set_index("village_id")[["reason", "reason_vi"]]
    en, vi = [], []
    for row in table.itertuples(index=False):
        if row.status == COVERED:
            en.append("")
            vi.append("")
        elif row.carrier == ANY_CARRIER and row.technology == "4G" and row.village_id in any4.index:
            en.append(any4.at[row.village_id, "reason"])
            vi.append(any4.at[row.village_id, "reason_vi"])
        else:
            e, v = _reason(row, radio)
            en.append(e)
            vi.append(v)
    return en, vi


def _reason(row: object, radio: Radio) -> tuple[str, str]:
    """Reason for one carrier and technology (English, Vietnamese)."""
    tech = row.technology
    who = "" if row.carrier == ANY_CARRIER else f"{row.carrier} "
    if pd.isna(row.signal_dbm):
        if pd.isna(row.nearest_site_km):
            en, vi = f"no {who}{tech} site", f"không có trạm {tech} {who}".rstrip()
        else:
            d = float(row.nearest_site_km)
            en = f"beyond {d:,.0f} km of any {who}{tech} site (nearest: {row.nearest_site_id})"
            vi = (
                f"cách trạm {tech} {who}gần nhất {format_number(d, 0, 'vi')} km, ngoài tầm phủ "
                f"(trạm {row.nearest_site_id})"
            )
    elif row.los is not pd.NA and not bool(row.los) and pd.notna(row.obstacle_height_m):
        h, d, s = float(row.obstacle_height_m), float(row.obstacle_dist_km), float(row.serving_km)
        en = (
            f"blocked by a ridge {h:,.0f} m high {d:.1f} km from the village "
            f"({s:.1f} km from {tech} site {row.serving_site_id})"
        )
        vi = (
            f"bị che khuất bởi dãy núi cao {format_number(h, 0, 'vi')} m cách thôn "
            f"{format_number(d, 1, 'vi')} km "
            f"(cách trạm {tech} {row.serving_site_id} {format_number(s, 1, 'vi')} km)"
        )
    else:
        s = float(row.serving_km)
        en = f"weak signal {s:.1f} km from {tech} site {row.serving_site_id}"
        vi = f"sóng yếu, cách trạm {tech} {row.serving_site_id} {format_number(s, 1, 'vi')} km"
    if tech == "4G" and row.services and "4G" not in row.services.split():
        only = row.services.split()
        en += f"; only {' and '.join(only)}"
        vi += f"; chỉ có sóng {' và '.join(only)}"
    return en, vi


def sunset_impact(villages: pd.DataFrame, services: pd.DataFrame | None = None) -> pd.DataFrame:
    """Villages that lose all mobile service when 2G (09/2026) or 3G (09/2028) ends.

    Parameters
    ----------
    villages
        Village table with ``village_id`` (and ``name``, ``commune``, ``district``,
        ``households``, ``population`` when known). When ``services`` is ``None`` its
        ``services`` column (usable technologies of the best operator, as written by
        :func:`covgap.analysis.classify.classify_villages`) is used, for ``carrier="any"`` only.
    services
        Usable technologies per village and carrier (:func:`service_table`).

    Returns
    -------
    pandas.DataFrame
        One row per affected village and carrier: the village's ids, names,
        ``households``, ``population``, ``carrier``, ``services``, ``sunset``
        (``"2g_only"``: only 2G, nothing left from 09/2026; ``"2g_3g_only"``: 3G but no
        4G, nothing left from 09/2028) and ``no_service_from`` (``"09/2026"`` or
        ``"09/2028"``). Villages with 4G, or with no service at all, are not listed.
    """
    if services is None:
        services = pd.DataFrame(
            {"village_id": villages["village_id"].to_numpy(), "carrier": ANY_CARRIER,
             "services": villages["services"].fillna("").to_numpy()}
        )  # fmt: skip
    techs = services["services"].fillna("").str.split()
    has = {t: techs.map(lambda s, t=t: t in s) for t in TECHNOLOGIES}
    sunset = np.select([has["4G"], has["3G"], has["2G"]], ["", "2g_3g_only", "2g_only"], default="")
    hit = services.assign(sunset=sunset)[sunset != ""]
    keep = [c for c in (*_ID_COLUMNS, *_PEOPLE) if c in villages]
    out = hit.merge(pd.DataFrame(villages[keep]), on="village_id", how="left")
    out["no_service_from"] = out["sunset"].map(SUNSET_DATES)
    order = {c: i for i, c in enumerate((ANY_CARRIER, *CARRIERS))}
    out = out.sort_values(
        ["carrier", "sunset", "village_id"],
        key=lambda s: s.map(order) if s.name == "carrier" else s,
        kind="stable",
        ignore_index=True,
    )
    cols = [*keep, "carrier", "services", "sunset", "no_service_from"]
    return out[cols]


def coverage_summary(
    status: pd.DataFrame, impact: pd.DataFrame, *, by: str = "commune"
) -> pd.DataFrame:
    """Count villages, households and people by 4G status and switch-off impact.

    Parameters
    ----------
    status
        :func:`status_table` (only its 4G rows are used).
    impact
        :func:`sunset_impact` for the same villages (all carriers).
    by
        Grouping column: ``"commune"`` (pre-2025, listed with its former district),
        ``"commune_2025"`` (07/2025 units) or ``"district"`` (former districts).

    Returns
    -------
    pandas.DataFrame
        One row per group and carrier (``"any"`` first) plus ``Total`` rows:
        ``villages``, ``households``, ``population``, ``{measure}_{class}`` for the three
        4G classes, and ``{measure}_2g_only`` / ``{measure}_2g_3g_only`` for the villages
        that lose all service in 09/2026 / 09/2028.
    """
    four = status[status["technology"] == "4G"].copy()
    if by not in four:
        four[by] = pd.NA
    keys = [by, "district"] if by == "commune" and "district" in four else [by]
    for k in keys:
        four[k] = four[k].astype("object").fillna("?")
    for m in _PEOPLE:
        four[m] = pd.to_numeric(four.get(m, np.nan), errors="coerce").fillna(0.0)
    four["villages"] = 1
    lost = impact[["village_id", "carrier", "sunset"]]
    four = four.merge(lost, on=["village_id", "carrier"], how="left")
    cols = {}
    for measure in ("villages", *_PEOPLE):
        cols[measure] = four[measure]
        for cls in CLASSES:
            cols[f"{measure}_{cls}"] = four[measure].where(four["status"] == cls, 0)
        for cat in SUNSET_DATES:
            cols[f"{measure}_{cat}"] = four[measure].where(four["sunset"] == cat, 0)
    values = pd.DataFrame(cols)
    grouped = values.groupby([four[k] for k in keys] + [four["carrier"]], sort=True).sum()
    totals = values.groupby(four["carrier"]).sum()
    totals.index = pd.MultiIndex.from_tuples(
        [(*(["Total"] + [""] * (len(keys) - 1)), c) for c in totals.index],
        names=[*keys, "carrier"],
    )
    table = pd.concat([grouped, totals]).reset_index()
    order = {c: i for i, c in enumerate((ANY_CARRIER, *CARRIERS))}
    table["_total"] = table[by] == "Total"
    table = table.sort_values(
        ["_total", *keys, "carrier"],
        key=lambda s: s.map(order) if s.name == "carrier" else s,
        kind="stable",
        ignore_index=True,
    ).drop(columns="_total")
    int_cols = [c for c in table.columns if c.startswith("villages")]
    table[int_cols] = table[int_cols].astype("int64")
    return table
