"""The business case for people: the three lists in a few lines, and the tornado chart.

:func:`list_lines` says, in Vietnamese or English, how many sites (or villages) fall on
each list, the people they serve and the money at stake, for the terminal and the cover
sheets. :func:`tornado_chart` draws, for each parameter of
:func:`covgap.analysis.economics.sensitivity`, the change of the total NPV when the
parameter is lower and when it is higher, widest bar on top, with how many sites change
list at each end: the figure that shows the Ministry how robust the split between the
carriers' list and the public-utility request is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.locale import check_lang, format_number
from .labels import label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["list_lines", "tornado_chart"]

#: Okabe–Ito colours: lower (vermilion) and higher (bluish green) parameter values.
_LOW, _HIGH = "#D55E00", "#009E73"


def tornado_chart(
    table: pd.DataFrame, *, base_npv_usd: float, lang: str = "vi", unit: str = "sites"
) -> Figure:
    """Draw the tornado chart of a sensitivity table.

    Parameters
    ----------
    table
        :func:`covgap.analysis.economics.sensitivity` output (``parameter``, ``side``,
        ``factor``, ``npv_usd``, ``moved``).
    base_npv_usd
        The total NPV of the base case: bars show the change from it.
    lang
        ``"vi"`` or ``"en"``.
    unit
        ``"sites"`` or ``"villages"``: what moves between lists.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`covgap.outputs.static_maps.save_static_map` (PNG or PDF).
    """
    from matplotlib.figure import Figure

    check_lang(lang)
    need = {"parameter", "side", "factor", "npv_usd", "moved"}
    if need - set(table.columns) or table.empty:
        raise InputError(f"tornado chart: the table needs rows with {sorted(need)}")
    wide = table.pivot(index="parameter", columns="side", values=["npv_usd", "moved", "factor"])
    low = (wide[("npv_usd", "low")] - base_npv_usd) / 1e6
    high = (wide[("npv_usd", "high")] - base_npv_usd) / 1e6
    order = np.argsort(np.abs(high - low).to_numpy())  # widest last = on top
    params = wide.index.to_numpy()[order]
    pct = round(abs(float(wide[("factor", "high")].iloc[0]) - 1) * 100)

    fig = Figure(figsize=(10.0, 0.7 * len(params) + 1.8))
    ax = fig.add_subplot()
    y = np.arange(len(params))
    ax.barh(y, low.to_numpy()[order], color=_LOW, label=f"−{pct} % ({label('econ_low', lang)})")
    ax.barh(y, high.to_numpy()[order], color=_HIGH, label=f"+{pct} % ({label('econ_high', lang)})")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [label(f"econ_param_{p}", lang) for p in params])
    ax.set_xlabel(label("econ_tornado_axis", lang))
    ax.set_title(label("econ_tornado_title", lang).format(pct=pct))
    span = float(np.nanmax(np.abs(np.concatenate([low.to_numpy(), high.to_numpy()])))) or 1.0
    ax.set_xlim(-2.1 * span, 2.1 * span)  # room for the counts beside the bars
    for i, p in enumerate(params):
        for side, value in (("low", low[p]), ("high", high[p])):
            moved = int(wide.loc[p, ("moved", side)])
            text = label(f"econ_moved_{unit}", lang).format(n=format_number(moved, 0, lang))
            ax.annotate(
                text,
                (value, i),
                xytext=(4 if value >= 0 else -4, 0),
                textcoords="offset points",
                ha="left" if value >= 0 else "right",
                va="center",
                fontsize=8,
            )
    ax.xaxis.set_major_formatter(lambda v, _: format_number(v, 2, lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def list_lines(
    summary: pd.DataFrame, *, usd_vnd: float, unit: str = "sites", lang: str = "vi"
) -> list[str]:
    """Describe each list in one line: count, people, CAPEX or grant, in USD and đồng.

    Parameters
    ----------
    summary
        :func:`covgap.analysis.economics.list_summary` output.
    usd_vnd
        VND per USD, for the đồng figures.
    unit
        ``"sites"`` or ``"villages"``: what the rows are.
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    list of str
        One line per list present, in the order commercial, public-utility, power first.
    """
    check_lang(lang)
    lines = []
    for row in summary.itertuples(index=False):
        name = label(f"list_{row.economic_list}", lang)
        n = format_number(row.sites, 0, lang)
        people = format_number(row.people_new, 0, lang)
        money_usd = row.grant_usd if row.economic_list != "commercial" else row.capex_usd
        usd = format_number(money_usd / 1e6, 2, lang)
        vnd = format_number(money_usd * usd_vnd / 1e9, 1, lang)
        key = "econ_line_grant" if row.economic_list != "commercial" else "econ_line_capex"
        text = label(key, lang).format(usd=usd, vnd=vnd)
        what = label(f"econ_unit_{unit}", lang)
        lines.append(f"{name}: {n} {what}, {people} {label('econ_people', lang)}, {text}")
    return lines
