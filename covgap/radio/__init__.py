"""The radio engine: path loss over terrain, at points and over areas.

- :mod:`~covgap.radio.propagation` and :mod:`~covgap.radio.models`: the numpy reference of
  every formula and model (free space, Bullington, ITU-R P.1812-style, Hata);
- :mod:`~covgap.radio.kernels`: their numba loops on plain arrays;
- :mod:`~covgap.radio.point`: the point engine (every sector in range at every village
  point, best servers) and :mod:`~covgap.radio.links` (one path explained);
- :mod:`~covgap.radio.area`: the area engine (every cell around one site), with its radial
  sweeps (:mod:`~covgap.radio.sweep`, :mod:`~covgap.radio.sweep_fast`,
  :mod:`~covgap.radio.sweep_loss`);
- :mod:`~covgap.radio.parallel`: many sites on a process pool or a dask cluster;
- :mod:`~covgap.radio.rasters`: best-server composites, classes and COG files.

Import rule: this stage imports :mod:`covgap.io` and the top-level core
(:mod:`~covgap.errors`, :mod:`~covgap.schema`, :mod:`~covgap.config`), nothing above.
"""

from .area import SitePrediction, predict_site
from .links import Link, predict_link
from .models import MODELS
from .parallel import predict_area
from .point import best_servers, nearest_sites
from .rasters import AreaRasters

__all__ = [
    "MODELS",
    "AreaRasters",
    "Link",
    "SitePrediction",
    "best_servers",
    "nearest_sites",
    "predict_area",
    "predict_link",
    "predict_site",
]
