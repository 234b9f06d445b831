r"""Village classification: covered, low-signal or white, and why.

The class of a village comes from 4G (2G ends in 09/2026, 3G in 09/2028), from the best
carrier at the village centre and at its population clusters (DOMAIN.md, "Village
classes"):

.. math::

    \text{class} = \begin{cases}
      \text{white} & R_c < T_{low} \text{ or no 4G sector in range} \\
      \text{low\_signal} & T_{low} \le R_c < T_{cov}
          \text{ or } (R_c \ge T_{cov} \text{ and } \min_k R_k < T_{cov}) \\
      \text{covered} & \text{otherwise}
    \end{cases}

where :math:`R_c` is the best 4G RSRP at the centre, :math:`R_k` at cluster :math:`k`, and
the thresholds :math:`T` include the location-variability margin
:math:`z(p)\,\sigma` of :class:`covgap.config.Radio`.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from ..config import Radio, Thresholds
from ..schema import CARRIERS, CLASSES, COVERED, LOW_SIGNAL, WHITE, carrier_slug

__all__ = ["add_district", "classify_points", "classify_villages", "summarise", "village_points"]

logger = logging.getLogger(__name__)

CENTRE = "centre"
_CLUSTERS = (
    ("cluster_1", "cluster_1_lon", "cluster_1_lat"),
    ("cluster_2", "cluster_2_lon", "cluster_2_lat"),
)


def village_points(villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """List the reference points of every village: its centre and its clusters.

    Parameters
    ----------
    villages
        Canonical village table (see :func:`covgap.io.read_villages`).

    Returns
    -------
    pandas.DataFrame
        ``point_id`` (0..n-1), ``village_id``, ``role`` (``"centre"``, ``"cluster_1"``,
        ``"cluster_2"``), ``lon``, ``lat``; centres first, in village order.
    """
    frames = [
        pd.DataFrame(
            {
                "village_id": villages["village_id"].to_numpy(),
                "role": CENTRE,
                "lon": villages.geometry.x.to_numpy(),
                "lat": villages.geometry.y.to_numpy(),
            }
        )
    ]
    for role, lon_col, lat_col in _CLUSTERS:
        if lon_col not in villages or lat_col not in villages:
            continue
        lon = pd.to_numeric(villages[lon_col], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(villages[lat_col], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        frames.append(
            pd.DataFrame(
                {
                    "village_id": villages["village_id"].to_numpy()[ok],
                    "role": role,
                    "lon": lon[ok],
                    "lat": lat[ok],
                }
            )
        )
    points = pd.concat(frames, ignore_index=True)
    points.insert(0, "point_id", np.arange(len(points), dtype=np.int64))
    return points


def classify_points(
    signal_dbm: np.ndarray | pd.Series,
    *,
    thresholds: Thresholds = Thresholds(),
    radio: Radio = Radio(),
) -> np.ndarray:
    """Class of single points from their best 4G RSRP (NaN = no sector in range).

    Parameters
    ----------
    signal_dbm
        Median RSRP predictions in dBm.
    thresholds, radio
        Class thresholds, and the location-variability margin added to them.

    Returns
    -------
    numpy.ndarray
        Object array of ``"covered"``, ``"low_signal"`` or ``"white"``.
    """
    rsrp = np.asarray(signal_dbm, dtype=float)
    margin = radio.location_margin_db
    out = np.full(rsrp.shape, WHITE, dtype=object)
    out[rsrp >= thresholds.low_signal_dbm + margin] = LOW_SIGNAL
    out[rsrp >= thresholds.covered_dbm + margin] = COVERED
    return out


def _best(servers: pd.DataFrame, technology: str, *, by_carrier: bool) -> pd.DataFrame:
    """Best row per point (and carrier) for one technology."""
    rows = servers[servers["technology"] == technology]
    keys = ["point_id", "carrier"] if by_carrier else ["point_id"]
    idx = rows.groupby(keys, sort=False)["signal_dbm"].idxmax()
    return rows.loc[idx.to_numpy()].set_index(keys)


def _village_class(
    points: pd.DataFrame, signal: pd.Series, thresholds: Thresholds, radio: Radio
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Class, centre RSRP and weakest cluster RSRP per village from per-point signals."""
    sig = points["point_id"].map(signal).astype(float)
    centre = points["role"] == CENTRE
    centre_rsrp = pd.Series(sig[centre].to_numpy(), index=points.loc[centre, "village_id"])
    clusters = pd.DataFrame(
        {"village_id": points.loc[~centre, "village_id"], "rsrp": sig[~centre].fillna(-np.inf)}
    )
    weakest = clusters.groupby("village_id")["rsrp"].min().reindex(centre_rsrp.index)
    cls = pd.Series(
        classify_points(centre_rsrp.to_numpy(), thresholds=thresholds, radio=radio),
        index=centre_rsrp.index,
    )
    cluster_weak = weakest < thresholds.covered_dbm + radio.location_margin_db
    cls[(cls == COVERED) & cluster_weak.fillna(False)] = LOW_SIGNAL
    return cls, centre_rsrp, weakest.replace(-np.inf, np.nan)


def classify_villages(
    villages: gpd.GeoDataFrame,
    points: pd.DataFrame,
    servers: pd.DataFrame,
    nearest: pd.DataFrame,
    *,
    thresholds: Thresholds = Thresholds(),
    radio: Radio = Radio(),
) -> gpd.GeoDataFrame:
    """Classify every village from the best servers at its points.

    Parameters
    ----------
    villages
        Canonical village table.
    points
        Its reference points, from :func:`village_points`.
    servers
        Best server per point, carrier and technology, from
        :func:`covgap.radio.point.best_servers`.
    nearest
        Nearest site of any carrier per point (``point_id``, ``site_id``, ``carrier``,
        ``dist_km``), from :func:`covgap.radio.point.nearest_sites` with ``by=None``.
    thresholds, radio
        Class thresholds and radio settings (location-variability margin, range).

    Returns
    -------
    geopandas.GeoDataFrame
        The villages with the columns described in ``docs/design.md`` ("Classified
        villages"): ``coverage_class``, ``rsrp_dbm``, serving and nearest sites, the main
        obstacle, per-carrier RSRP and class, 2G/3G signal, ``services`` and a plain-words
        ``reason`` (English) / ``reason_vi`` (Vietnamese).
    """
    out = villages.copy()
    vid = out["village_id"]
    best4 = _best(servers, "4G", by_carrier=False)
    cls, centre_rsrp, weakest = _village_class(points, best4["signal_dbm"], thresholds, radio)
    out["coverage_class"] = vid.map(cls).to_numpy()
    out["rsrp_dbm"] = vid.map(centre_rsrp).to_numpy(dtype=float)
    out["min_cluster_rsrp_dbm"] = vid.map(weakest).to_numpy(dtype=float)

    centre_pid = points.loc[points["role"] == CENTRE].set_index("village_id")["point_id"]
    pid = vid.map(centre_pid)
    serving = best4.reindex(pid.to_numpy())
    for col, src in (
        ("best_carrier", "carrier"),
        ("best_site_id", "site_id"),
        ("best_site_km", "dist_km"),
        ("los", "los"),
        ("obstacle_lon", "obstacle_lon"),
        ("obstacle_lat", "obstacle_lat"),
        ("obstacle_height_m", "obstacle_height_m"),
        ("obstacle_dist_km", "obstacle_dist_km"),
    ):
        if src in serving:
            out[col] = serving[src].to_numpy()
    out["los"] = out["los"].astype("boolean") if "los" in out else pd.NA
    near = nearest.set_index("point_id").reindex(pid.to_numpy())
    out["nearest_site_id"] = near["site_id"].to_numpy()
    out["nearest_site_carrier"] = near["carrier"].to_numpy()
    out["nearest_site_km"] = near["dist_km"].to_numpy(dtype=float)

    by_carrier = _best(servers, "4G", by_carrier=True)["signal_dbm"]
    present = set(by_carrier.index.get_level_values("carrier"))
    for carrier in CARRIERS:
        slug = carrier_slug(carrier)
        sig = (
            by_carrier.xs(carrier, level="carrier")
            if carrier in present
            else pd.Series(dtype=float)
        )
        c_cls, c_rsrp, _ = _village_class(points, sig, thresholds, radio)
        out[f"rsrp_{slug}_dbm"] = vid.map(c_rsrp).to_numpy(dtype=float)
        out[f"class_{slug}"] = vid.map(c_cls).to_numpy()

    tech_signal = {"4G": out["rsrp_dbm"].to_numpy()}
    for tech in ("2G", "3G"):
        best = _best(servers, tech, by_carrier=False)["signal_dbm"]
        tech_signal[tech] = pid.map(best).to_numpy(dtype=float)
        out[f"best_{tech.lower()}_dbm"] = tech_signal[tech]
    floors = {
        "2G": thresholds.min_2g_dbm,
        "3G": thresholds.min_3g_dbm,
        "4G": thresholds.low_signal_dbm + radio.location_margin_db,
    }
    usable = {t: np.nan_to_num(s, nan=-np.inf) >= floors[t] for t, s in tech_signal.items()}
    out["services"] = [
        " ".join(t for t in ("2G", "3G", "4G") if usable[t][i]) for i in range(len(out))
    ]
    covered_floor = thresholds.covered_dbm + radio.location_margin_db
    reasons = [_reason(row, radio, covered_floor) for row in out.itertuples(index=False)]
    out["reason"] = [r[0] for r in reasons]
    out["reason_vi"] = [r[1] for r in reasons]
    counts = out["coverage_class"].value_counts().reindex(list(CLASSES), fill_value=0)
    logger.info("classified %d villages: %s", len(out), dict(counts))
    return out


def _fmt_vi(value: float, decimals: int = 1) -> str:
    """Format a number the Vietnamese way: 1.450 and 3,2."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _reason(row: object, radio: Radio, covered_floor: float) -> tuple[str, str]:
    """Plain-words reason (English, Vietnamese) why a village is not covered."""
    cls = row.coverage_class
    services = row.services.split()
    only = [t for t in services if t != "4G"] if "4G" not in services else []
    only_en = f"; only {' and '.join(only)}" if only else ""
    only_vi = f"; chỉ có sóng {' và '.join(only)}" if only else ""
    if cls == COVERED:
        return "", ""
    if pd.isna(row.rsrp_dbm):
        r = _fmt_vi(radio.max_range_km, 0)
        return (
            f"no 4G site within {radio.max_range_km:g} km{only_en}",
            f"không có trạm 4G trong bán kính {r} km{only_vi}",
        )
    if cls == LOW_SIGNAL and row.rsrp_dbm >= covered_floor:
        return (
            "covered at the centre but not at every population cluster",
            "có sóng ở trung tâm thôn nhưng không phải ở mọi cụm dân cư",
        )
    site_km = float(row.best_site_km)
    if not bool(row.los) and pd.notna(row.obstacle_height_m):
        h, d = float(row.obstacle_height_m), float(row.obstacle_dist_km)
        return (
            f"blocked by a ridge {h:,.0f} m high {d:.1f} km from the village "
            f"({site_km:.1f} km from site {row.best_site_id}){only_en}",
            f"bị che khuất bởi dãy núi cao {_fmt_vi(h, 0)} m cách thôn {_fmt_vi(d)} km "
            f"(cách trạm {row.best_site_id} {_fmt_vi(site_km)} km){only_vi}",
        )
    return (
        f"weak signal {site_km:.1f} km from the best 4G site {row.best_site_id}{only_en}",
        f"sóng yếu, cách trạm 4G tốt nhất {row.best_site_id} {_fmt_vi(site_km)} km{only_vi}",
    )


def add_district(
    villages: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame | None = None,
    communes: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Fill missing ``district`` and ``commune`` names from polygons containing the village.

    Parameters
    ----------
    villages
        Canonical village table; names it already has are kept.
    districts, communes
        Polygon layers with a ``district`` (resp. ``commune``) column, in any CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with the gaps filled where a polygon contains the village centre.
    """
    out = villages.copy()
    for layer, col in ((districts, "district"), (communes, "commune")):
        if layer is None or col not in layer:
            continue
        if col not in out:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="object")
        missing = out[col].isna() | (out[col].astype(str).str.strip() == "")
        if not missing.any():
            continue
        joined = gpd.sjoin(
            out.loc[missing, ["geometry"]],
            layer[[col, "geometry"]].to_crs(out.crs),
            how="left",
            predicate="within",
        )
        found = joined[~joined.index.duplicated()][col]
        out.loc[missing, col] = found.reindex(out.index[missing]).to_numpy()
    return out


def summarise(villages: gpd.GeoDataFrame, *, by: str = "district") -> pd.DataFrame:
    """Count villages, households and people by class, per district (or commune).

    Parameters
    ----------
    villages
        Classified villages (:func:`classify_villages`).
    by
        Column to group by (``"district"`` or ``"commune"``).

    Returns
    -------
    pandas.DataFrame
        One row per group plus a ``Total`` row: ``villages``, ``villages_<class>``,
        ``households_<class>``, ``population_<class>``, ``pct_villages_covered`` and,
        per carrier, ``villages_covered_<carrier>``.
    """
    df = pd.DataFrame(villages.drop(columns="geometry"))
    df[by] = df[by].fillna("?") if by in df else "?"
    groups = df.groupby(by, sort=True)
    table = pd.DataFrame({"villages": groups.size()})
    for measure in ("villages", "households", "population"):
        for cls in CLASSES:
            hit = df["coverage_class"] == cls
            if measure == "villages":
                values = hit.astype(int)
            else:
                values = pd.to_numeric(df.get(measure), errors="coerce").where(hit, 0)
            table[f"{measure}_{cls}"] = values.groupby(df[by]).sum()
    for carrier in CARRIERS:
        col = f"class_{carrier_slug(carrier)}"
        if col in df:
            table[f"villages_covered_{carrier_slug(carrier)}"] = (
                (df[col] == COVERED).groupby(df[by]).sum()
            )
    table.loc["Total"] = table.sum()
    table["pct_villages_covered"] = (100 * table["villages_covered"] / table["villages"]).round(1)
    return table.reset_index(names=by)
