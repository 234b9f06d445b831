r"""A small landscape-evolution model for the synthetic terrain (stream power + diffusion).

The fluvial part is the implicit O(n) scheme of Braun & Willett (2013, "FastScape"):
each step priority-floods the surface from the outlets (so closed depressions fill and
drain), takes D8 steepest-descent receivers and the stack order from the flood, sums
drainage areas down the stack and lowers every cell towards its receiver,

.. math:: h_i \leftarrow \frac{h_i + U_i\,\Delta t + F_i\,h_{r(i)}}{1 + F_i},
          \qquad F_i = \frac{K_i\,\Delta t\,A_i^m}{\Delta x_{i,r(i)}},

from the outlets upwards (n = 1, unconditionally stable). A few explicit steps of linear
hillslope diffusion round the ridge crests. Outlets keep their heights (base levels).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

import covgap.sample.kernels as K

logger = logging.getLogger(__name__)

__all__ = ["ErosionParams", "erode"]


@dataclass(frozen=True)
class ErosionParams:
    r"""Parameters of :func:`erode` (areas in km², lengths in km, heights in m).

    Attributes
    ----------
    steps
        Number of implicit stream-power steps.
    kdt
        :math:`K\,\Delta t` per step (multiplied by the erodibility field).
    m
        Area exponent of the stream-power law.
    diffusion
        Explicit diffusion coefficient per step, in units of the cell size squared
        (stable below 0.25).
    eps
        Height step (m) the priority-flood leaves across filled depressions.
    adjust_every
        Steps between two rescalings of the uplift towards the crest levels.
    jitter
        Amplitude (m) of the white noise added at every step.
    """

    steps: int = 60
    kdt: float = 0.02
    m: float = 0.5
    diffusion: float = 0.05
    eps: float = 0.05
    adjust_every: int = 8
    jitter: float = 3.0


def _steer(h, crest, udt, dx_km, dy_km) -> np.ndarray:
    """Uplift multiplied by how far the ~5 km relief envelope is from ``crest``."""
    size = (max(3, round(5.0 / dy_km)), max(3, round(5.0 / dx_km)))
    envelope = ndimage.maximum_filter(h, size=size, mode="nearest")
    envelope = ndimage.uniform_filter(envelope, size=size, mode="nearest")
    ratio = np.clip((crest - 250.0) / np.maximum(envelope - 250.0, 50.0), 0.6, 1.6)
    return udt.reshape(h.shape) * ratio


def erode(
    h0: np.ndarray,
    outlet: np.ndarray,
    erodibility: np.ndarray,
    uplift: np.ndarray,
    dx_km: float,
    dy_km: float,
    params: ErosionParams,
    *,
    crest: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Run the model from ``h0``; return the heights and the drainage area (km²).

    ``uplift`` is the rise per step (m); ``erodibility`` multiplies ``params.kdt``.
    Outlet cells keep their heights. With ``crest`` (target ridge level, m), the uplift is
    rescaled every few steps so that the local maxima of the relief (over ~5 km) follow it:
    the steady-state relief of the stream-power law grows with U/K, so this steers the
    ranges to their heights while the model draws the valleys. With ``rng``, every step
    adds ``params.jitter`` m of white noise, which breaks the parallel straight channels
    that D8 routing draws on smooth slopes.
    """
    h = h0.astype(np.float64).copy()
    cell = np.full(h.size, dx_km * dy_km)
    kdt = (params.kdt * erodibility).ravel().astype(np.float64)
    udt = np.where(outlet, 0.0, uplift).ravel().astype(np.float64)
    free = ~outlet
    acc = cell
    for step in range(params.steps):
        if rng is not None and params.jitter > 0:
            h = np.where(free, h + rng.uniform(0.0, params.jitter, h.shape), h)
        filled, order, rec, length = K.flood_receivers(h, outlet, params.eps, dx_km, dy_km)
        acc = K.drainage_area(order, rec, cell)
        h = K.stream_power_step(filled.ravel(), order, rec, length, acc, kdt, params.m, udt)
        h = h.reshape(h0.shape)
        if params.diffusion > 0:
            lap = ndimage.laplace(h, mode="nearest")
            h = np.where(free, h + params.diffusion * lap, h)
        if crest is not None and step % params.adjust_every == params.adjust_every - 1:
            udt = _steer(h, crest, udt, dx_km, dy_km).ravel()
        if step % 10 == 0:
            logger.debug("erosion step %d: mean %.0f m", step, h.mean())
    filled, order, rec, _ = K.flood_receivers(h, outlet, params.eps, dx_km, dy_km)
    acc = K.drainage_area(order, rec, cell)
    return filled, acc.reshape(h0.shape)
