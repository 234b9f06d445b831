r"""Which gap villages come first: the priority score and the ranked lists.

The request list holds the white and low-signal villages (4G, best operator) that **have
grid power**; :func:`rank_villages` selects them (or, with ``powered=False``, the ones
without grid power, for the power utility) and ranks each list by a priority score
:math:`S`:

.. math::

    S = w_h \frac{H}{100} + w_p \frac{P}{1000} + w_d D + w_w W
        + w_k \frac{\min(d, d_{max})}{10}

with :math:`H` households and :math:`P` people (0 when unknown), :math:`D = 1` for an
especially-difficult area, :math:`W = 1` for a white zone (0 for low signal) and
:math:`d` the distance to the nearest site of any carrier in km (farther villages are
less likely to be served by a carrier on its own). With ``white_first`` (the default)
every white village ranks before every low-signal village, and :math:`S` orders the
villages within each class; ties go to more households, then to the village id. The
weights are :class:`PriorityWeights`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import LOW_SIGNAL, WHITE

__all__ = ["PriorityWeights", "priority_score", "rank_villages", "request_ids"]


@dataclass(frozen=True)
class PriorityWeights:
    """Weights of the priority score (see the module docstring for the formula).

    Attributes
    ----------
    per_100_households
        Points per 100 households (:math:`w_h`).
    per_1000_people
        Points per 1,000 people (:math:`w_p`).
    especially_difficult
        Points for an especially-difficult area (:math:`w_d`).
    white
        Points for a white zone rather than a low-signal one (:math:`w_w`).
    per_10_km
        Points per 10 km to the nearest site (:math:`w_k`).
    max_km
        Distances beyond this count as this (:math:`d_{max}`).
    white_first
        Rank every white village before every low-signal village.
    """

    per_100_households: float = 1.0
    per_1000_people: float = 1.0
    especially_difficult: float = 1.0
    white: float = 2.0
    per_10_km: float = 1.0
    max_km: float = 30.0
    white_first: bool = True

    def __post_init__(self) -> None:
        bad = [
            name
            for name, value in asdict(self).items()
            if name != "white_first" and not (math.isfinite(value) and value >= 0)
        ]
        if bad:
            raise InputError(f"PriorityWeights: {bad} must be finite and not negative")


def priority_score(
    villages: pd.DataFrame, weights: PriorityWeights = PriorityWeights()
) -> pd.Series:
    """Priority score :math:`S` of every village (module docstring).

    Parameters
    ----------
    villages
        Classified villages; uses ``households``, ``population``,
        ``especially_difficult``, ``coverage_class`` and ``nearest_site_km`` when present
        (a missing value counts 0).
    weights
        The weights.

    Returns
    -------
    pandas.Series
        Float scores, rounded to 3 decimals, on the villages' index.
    """

    def num(col: str) -> pd.Series:
        values = villages[col] if col in villages else pd.Series(np.nan, index=villages.index)
        return pd.to_numeric(values, errors="coerce").fillna(0.0).astype(float)

    difficult = (
        villages["especially_difficult"].astype("boolean").fillna(False).astype(float)
        if "especially_difficult" in villages
        else 0.0
    )
    white = (villages["coverage_class"] == WHITE).astype(float)
    score = (
        weights.per_100_households * num("households") / 100.0
        + weights.per_1000_people * num("population") / 1000.0
        + weights.especially_difficult * difficult
        + weights.white * white
        + weights.per_10_km * num("nearest_site_km").clip(upper=weights.max_km) / 10.0
    )
    return score.round(3)


def rank_villages(
    villages: pd.DataFrame,
    *,
    weights: PriorityWeights = PriorityWeights(),
    powered: bool = True,
) -> pd.DataFrame:
    """White and low-signal villages with (or without) grid power, ranked.

    Parameters
    ----------
    villages
        Classified villages (``coverage_class``, ``grid_power``, ...). A geometry, if
        any, becomes ``lon``/``lat``.
    weights
        Priority weights.
    powered
        ``True``: villages with grid power (the request list). ``False``: villages without
        it or where it is unknown (the list for the power utility).

    Returns
    -------
    pandas.DataFrame
        The selected villages with ``rank`` (1 = first) and ``priority_score`` first,
        best first.
    """
    table = pd.DataFrame(villages).copy()
    if "geometry" in table:
        geom = villages.geometry
        table["lon"], table["lat"] = geom.x.round(6).to_numpy(), geom.y.round(6).to_numpy()
        table = table.drop(columns="geometry")
    power = (
        table["grid_power"].astype("boolean")
        if "grid_power" in table
        else pd.Series(pd.NA, index=table.index, dtype="boolean")
    )
    gap = table["coverage_class"].isin([WHITE, LOW_SIGNAL])
    keep = gap & (power.fillna(False) if powered else ~power.fillna(False))
    table = table[keep.to_numpy()].copy()
    table.insert(0, "priority_score", priority_score(table, weights))
    households = pd.to_numeric(table.get("households"), errors="coerce")
    table["_white"] = table["coverage_class"] == WHITE if weights.white_first else False
    table["_hh"] = households.fillna(-1.0) if households is not None else -1.0
    table = table.sort_values(
        ["_white", "priority_score", "_hh", "village_id"],
        ascending=[False, False, False, True],
        kind="stable",
        ignore_index=True,
    ).drop(columns=["_white", "_hh"])
    table.insert(0, "rank", np.arange(1, len(table) + 1, dtype=np.int64))
    return table


def request_ids(
    villages: pd.DataFrame, *, weights: PriorityWeights = PriorityWeights()
) -> list[str]:
    """Village ids of the request list (white or low-signal with grid power), best first."""
    return rank_villages(villages, weights=weights)["village_id"].tolist()
