"""Labels (vi, en) of the dossier outputs, merged into :data:`covgap.labels.LABELS`."""

from __future__ import annotations

#: key -> (Vietnamese, English)
LABELS: dict[str, tuple[str, str]] = {}
