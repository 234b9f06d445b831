"""Numba loops of the synthetic sample generator (terrain drainage, line of sight).

They live apart from :mod:`covgap.radio.kernels` (the radio kernels) because only
:mod:`covgap.sample` uses them. Plain ndarrays in, plain ndarrays out.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "drainage_area",
    "flood_receivers",
    "flow_accumulation",
    "polyline_field",
    "priority_flood",
    "stream_power_step",
    "visible_counts",
]

_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)


@njit(nogil=True, cache=True)
def polyline_field(xs, ys, px, py, values):  # pragma: no cover - numba
    """Distance (km) from every cell centre to a polyline and the value interpolated there.

    ``xs`` (cols) and ``ys`` (rows) are the cell centres in km; ``px``, ``py`` the
    vertices in km and ``values`` one value per vertex, interpolated along the line.
    """
    nr, nc = ys.shape[0], xs.shape[0]
    dist = np.empty((nr, nc), dtype=np.float64)
    val = np.empty((nr, nc), dtype=np.float64)
    nseg = px.shape[0] - 1
    for r in range(nr):
        y = ys[r]
        for c in range(nc):
            x = xs[c]
            best = 1e30
            bval = values[0]
            for s in range(nseg):
                ax, ay = px[s], py[s]
                bx, by = px[s + 1], py[s + 1]
                vx, vy = bx - ax, by - ay
                ll = vx * vx + vy * vy
                t = ((x - ax) * vx + (y - ay) * vy) / ll if ll > 0 else 0.0
                t = min(1.0, max(0.0, t))
                qx, qy = ax + t * vx - x, ay + t * vy - y
                d2 = qx * qx + qy * qy
                if d2 < best:
                    best = d2
                    bval = values[s] + t * (values[s + 1] - values[s])
            dist[r, c] = np.sqrt(best)
            val[r, c] = bval
    return dist, val


@njit(nogil=True, cache=True)
def _heap_push(keys, vals, size, key, val):  # pragma: no cover - numba
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        p = (i - 1) // 2
        if keys[p] < keys[i] or (keys[p] == keys[i] and vals[p] <= vals[i]):
            break
        keys[p], keys[i] = keys[i], keys[p]
        vals[p], vals[i] = vals[i], vals[p]
        i = p
    return size + 1


@njit(nogil=True, cache=True)
def _heap_pop(keys, vals, size):  # pragma: no cover - numba
    key, val = keys[0], vals[0]
    size -= 1
    keys[0], vals[0] = keys[size], vals[size]
    i = 0
    while True:
        a, b, m = 2 * i + 1, 2 * i + 2, i
        if a < size and (keys[a] < keys[m] or (keys[a] == keys[m] and vals[a] < vals[m])):
            m = a
        if b < size and (keys[b] < keys[m] or (keys[b] == keys[m] and vals[b] < vals[m])):
            m = b
        if m == i:
            break
        keys[m], keys[i] = keys[i], keys[m]
        vals[m], vals[i] = vals[i], vals[m]
        i = m
    return key, val, size


@njit(nogil=True, cache=True)
def priority_flood(h, eps, breach):  # pragma: no cover - numba
    """Make every cell drain to the grid border (priority-flood, Barnes et al. 2014).

    With ``breach`` false, depressions are filled: a flooded cell ends at least ``eps``
    above the cell it was reached from. With ``breach`` true, the path from the spill
    point back towards the outlet is lowered instead (a gorge through the rim), so a pit
    keeps its depth and drains through a carved channel.
    """
    nr, nc = h.shape
    out = h.copy()
    closed = np.zeros((nr, nc), dtype=np.bool_)
    parent = np.full(nr * nc, -1, dtype=np.int64)
    n = nr * nc
    keys = np.empty(n, dtype=np.float64)
    vals = np.empty(n, dtype=np.int64)
    size = 0
    for r in range(nr):
        for c in range(nc):
            if r == 0 or c == 0 or r == nr - 1 or c == nc - 1:
                closed[r, c] = True
                size = _heap_push(keys, vals, size, out[r, c], r * nc + c)
    while size > 0:
        key, idx, size = _heap_pop(keys, vals, size)
        r, c = idx // nc, idx % nc
        for k in range(8):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or cc < 0 or rr >= nr or cc >= nc or closed[rr, cc]:
                continue
            closed[rr, cc] = True
            nidx = rr * nc + cc
            parent[nidx] = idx
            if out[rr, cc] < out[r, c] + eps:
                if breach:
                    target = out[rr, cc]
                    p = idx
                    while p >= 0:
                        target -= eps
                        pr, pc = p // nc, p % nc
                        if out[pr, pc] <= target:
                            break
                        out[pr, pc] = target
                        p = parent[p]
                else:
                    out[rr, cc] = out[r, c] + eps
            size = _heap_push(keys, vals, size, max(out[rr, cc], key), nidx)
    return out


@njit(nogil=True, cache=True)
def flow_accumulation(filled, order, dx, dy):  # pragma: no cover - numba
    """Upstream area (km²) of every cell with D8 steepest-descent routing.

    ``order`` lists the flat cell indices from the highest to the lowest ``filled`` value.
    """
    nr, nc = filled.shape
    area = dx * dy
    acc = np.full((nr, nc), area)
    diag = np.sqrt(dx * dx + dy * dy)
    for i in range(order.shape[0]):
        idx = order[i]
        r, c = idx // nc, idx % nc
        best, br, bc = 0.0, -1, -1
        for k in range(8):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or cc < 0 or rr >= nr or cc >= nc:
                continue
            dist = diag if (_DR[k] != 0 and _DC[k] != 0) else (dx if _DR[k] == 0 else dy)
            s = (filled[r, c] - filled[rr, cc]) / dist
            if s > best:
                best, br, bc = s, rr, cc
        if br >= 0:
            acc[br, bc] += acc[r, c]
    return acc


@njit(nogil=True, cache=True)
def visible_counts(h, cand_r, cand_c, mast_m, pts_r, pts_c, pts_w, dx, dy, max_km, ae_km):
    """Weight of points each candidate mast sees (line of sight over the DEM).

    Returns a (n_candidates, n_points) boolean matrix of visibility within ``max_km``;
    the ray is sampled once per cell and earth curvature uses radius ``ae_km``.
    """  # pragma: no cover - numba
    nc_ = cand_r.shape[0]
    npts = pts_r.shape[0]
    seen = np.zeros((nc_, npts), dtype=np.bool_)
    for i in range(nc_):
        r0, c0 = cand_r[i], cand_c[i]
        z0 = h[r0, c0] + mast_m
        for j in range(npts):
            if pts_w[j] <= 0:
                continue
            r1, c1 = pts_r[j], pts_c[j]
            ddx, ddy = (c1 - c0) * dx, (r1 - r0) * dy
            d = np.sqrt(ddx * ddx + ddy * ddy)
            if d > max_km:
                continue
            z1 = h[r1, c1] + 2.0
            steps = int(max(abs(c1 - c0), abs(r1 - r0)))
            ok = True
            for s in range(1, steps):
                t = s / steps
                rr = int(r0 + t * (r1 - r0) + 0.5)
                cc = int(c0 + t * (c1 - c0) + 0.5)
                ds = t * d
                bulge = ds * (d - ds) / (2.0 * ae_km) * 1000.0
                if h[rr, cc] + bulge > z0 + t * (z1 - z0):
                    ok = False
                    break
            seen[i, j] = ok
    return seen


@njit(nogil=True, cache=True)
def flood_receivers(h, outlet, eps, dx, dy):  # pragma: no cover - numba
    """Priority-flood from the ``outlet`` cells and steepest-descent (D8) receivers.

    Returns the filled heights (every cell at least ``eps`` above the cell it drains to),
    the flat cell indices in flood order (every cell after its receiver: the *stack*
    of Braun & Willett 2013), the receiver of every cell (-1 for outlets) and the
    distance to it (km). Cells no outlet can reach keep their height and receiver -1.
    """
    nr, nc = h.shape
    n = nr * nc
    out = h.copy()
    closed = np.zeros((nr, nc), dtype=np.bool_)
    keys = np.empty(n, dtype=np.float64)
    vals = np.empty(n, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    size = 0
    for r in range(nr):
        for c in range(nc):
            if outlet[r, c]:
                closed[r, c] = True
                size = _heap_push(keys, vals, size, out[r, c], r * nc + c)
    k_out = 0
    while size > 0:
        _key, idx, size = _heap_pop(keys, vals, size)
        order[k_out] = idx
        k_out += 1
        r, c = idx // nc, idx % nc
        for k in range(8):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or cc < 0 or rr >= nr or cc >= nc or closed[rr, cc]:
                continue
            closed[rr, cc] = True
            if out[rr, cc] < out[r, c] + eps:
                out[rr, cc] = out[r, c] + eps
            size = _heap_push(keys, vals, size, out[rr, cc], rr * nc + cc)
    rec = np.full(n, -1, dtype=np.int64)
    length = np.ones(n, dtype=np.float64)
    diag = np.sqrt(dx * dx + dy * dy)
    for i in range(k_out):
        idx = order[i]
        r, c = idx // nc, idx % nc
        if outlet[r, c]:
            continue
        best = 0.0
        for k in range(8):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or cc < 0 or rr >= nr or cc >= nc:
                continue
            dist = diag if (_DR[k] != 0 and _DC[k] != 0) else (dx if _DR[k] == 0 else dy)
            s = (out[r, c] - out[rr, cc]) / dist
            if s > best:
                best = s
                rec[idx] = rr * nc + cc
                length[idx] = dist
    return out, order[:k_out], rec, length


@njit(nogil=True, cache=True)
def drainage_area(order, rec, cell_km2):  # pragma: no cover - numba
    """Upstream area (km²) of every cell from the stack ``order`` and receivers ``rec``."""
    acc = cell_km2.copy()
    for i in range(order.shape[0] - 1, -1, -1):
        idx = order[i]
        if rec[idx] >= 0:
            acc[rec[idx]] += acc[idx]
    return acc


@njit(nogil=True, cache=True)
def stream_power_step(filled, order, rec, length, acc, kdt, m, udt):  # pragma: no cover
    r"""One implicit stream-power step (Braun & Willett 2013), n = 1, flat arrays.

    .. math:: h_i \leftarrow (h_i + U_i\,dt + F_i h_r) / (1 + F_i),\quad
              F_i = K_i\,dt\,A_i^m / \Delta x_{ir}

    Outlets (``rec < 0``) keep their height.
    """
    out = filled.copy()
    for i in range(order.shape[0]):
        idx = order[i]
        r = rec[idx]
        if r < 0:
            continue
        f = kdt[idx] * acc[idx] ** m / length[idx]
        out[idx] = (filled[idx] + udt[idx] + f * out[r]) / (1.0 + f)
    return out
