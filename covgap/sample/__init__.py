"""The bundled sample: a synthetic scenario modelled on Lai Châu, and its generator.

:func:`sample_scenario` points at the bundled files; :func:`generate_sample` makes them
again, byte for byte, from terrain (:mod:`~covgap.sample.terrain`,
:mod:`~covgap.sample.landscape`), administrative units, villages, roads and the three
carriers' sites, written by :mod:`~covgap.sample.writers`.

:mod:`~covgap.sample.measurements` makes a synthetic drive test and field survey from the
engine's own prediction plus a documented truth, for calibration to recover.

Import rule: this stage imports :mod:`covgap.radio`, :mod:`covgap.io` and the top-level
core; the analysis, the plan, the pipeline and the CLI use it for their defaults.
"""

from .generate import DEFAULT_SEED, SAMPLE_FILES, generate_sample, sample_scenario

__all__ = ["DEFAULT_SEED", "SAMPLE_FILES", "generate_sample", "sample_scenario"]
