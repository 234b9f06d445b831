"""The manifest of an output folder: which files one run wrote, replaced together.

Every command that writes a folder (``covgap run``, ``covgap predict``) writes it with
:func:`run_folder`: the files go to a temporary folder first (:func:`atomic_folder`),
then ``covgap_manifest.json`` is added (command, time, covgap version, each file's size
and SHA-256), everything is moved into place, and the files that the *previous*
manifest listed and this run did not write are removed, if they are still as that run
wrote them. Only such files are ever removed, never other files of the user's (an
earlier run's file edited since is kept, with a warning). Readers of a results folder
(``covgap map --results``) call :func:`verify_manifest` and use only the files listed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import DataFileError
from .atomic import atomic_folder, signals_deferred

__all__ = ["MANIFEST_NAME", "read_manifest", "run_folder", "verify_manifest", "write_manifest"]

logger = logging.getLogger(__name__)

#: File name of the manifest in an output folder.
MANIFEST_NAME = "covgap_manifest.json"
#: Format version of the manifest.
_FORMAT = 1
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(
    folder: str | os.PathLike[str], *, command: str, extra: Mapping[str, Any] | None = None
) -> Path:
    """Write ``covgap_manifest.json`` listing every file directly in ``folder``.

    Parameters
    ----------
    folder
        The folder whose files are listed (hidden files and subfolders are not).
    command
        What wrote the files, e.g. ``"covgap run"``.
    extra
        More facts to record (e.g. the scenario's name).

    Returns
    -------
    pathlib.Path
        The manifest.
    """
    folder = Path(folder)
    files = {
        p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and _plain_name(p.name) and p.name != MANIFEST_NAME
    }
    doc = {
        "covgap_manifest": _FORMAT,
        "command": command,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "covgap_version": __version__,
        **dict(extra or {}),
        "files": files,
    }
    path = folder / MANIFEST_NAME
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the manifest of ``folder``, or ``None`` when it has none.

    Raises
    ------
    DataFileError
        The manifest exists but is not one covgap wrote (not JSON, no file list, or a
        file name with a folder in it).
    """
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        files = doc["files"]
        ok = isinstance(files, dict) and all(
            _plain_name(n) and isinstance(v, dict) and {"bytes", "sha256"} <= set(v)
            for n, v in files.items()
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"{path}: not a covgap manifest ({exc})") from exc
    if not ok:
        raise DataFileError(f"{path}: not a covgap manifest (bad file list)")
    return doc


def verify_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Check that the files of ``folder`` are those its manifest lists, unchanged.

    Parameters
    ----------
    folder
        An output folder.

    Returns
    -------
    dict or None
        The manifest; ``None`` for a folder without one (written by covgap < 0.x or by
        hand), whose files cannot be checked.

    Raises
    ------
    DataFileError
        A listed file is missing or its size or SHA-256 differs: the folder mixes
        files of different runs, or a file was edited.
    """
    folder = Path(folder)
    doc = read_manifest(folder)
    if doc is None:
        return None
    missing, changed = [], []
    for name, facts in doc["files"].items():
        path = folder / name
        if not path.is_file():
            missing.append(name)
        elif path.stat().st_size != facts["bytes"] or file_sha256(path) != facts["sha256"]:
            changed.append(name)
    if missing or changed:
        parts = [f"missing: {', '.join(missing)}"] if missing else []
        parts += [f"changed since the run: {', '.join(changed)}"] if changed else []
        raise DataFileError(
            f"{folder}: the files do not match {MANIFEST_NAME} ({'; '.join(parts)}); the "
            f"folder mixes runs or a file was edited. Run `{doc.get('command', 'covgap')}` "
            "again into this folder (or a new one)"
        )
    return doc


@contextmanager
def run_folder(
    out_dir: str | os.PathLike[str], *, command: str, extra: Mapping[str, Any] | None = None
) -> Iterator[Path]:
    """Yield a temporary folder whose files replace the previous run's in ``out_dir``.

    On success the manifest is written, every file is moved into ``out_dir``, and the
    files of the previous manifest that this run did not write are removed (those
    still unchanged since; an edited one is kept with a warning). On failure
    (or Ctrl-C) ``out_dir`` is left as it was.

    Parameters
    ----------
    out_dir
        The output folder, created if needed.
    command
        What writes the files (recorded in the manifest).
    extra
        More facts for the manifest.

    Yields
    ------
    pathlib.Path
        Where to write the files (flat: subfolders are not moved).
    """
    out = Path(out_dir)
    try:
        old = read_manifest(out)
    except DataFileError as exc:
        logger.warning("%s; files of an earlier run will not be removed", exc)
        old = None
    with atomic_folder(out) as tmp:
        yield tmp
        new = set(json.loads(write_manifest(tmp, command=command, extra=extra).read_text(
            encoding="utf-8"))["files"])  # fmt: skip
    if old is None:
        return
    stale = [n for n in sorted(set(old["files"]) - new) if _unchanged(out / n, old["files"][n])]
    kept = sorted(set(old["files"]) - new - set(stale))
    with signals_deferred():
        for name in stale:
            (out / name).unlink(missing_ok=True)
    if stale:
        logger.info("removed %d file(s) of the earlier run: %s", len(stale), ", ".join(stale))
    existing = [n for n in kept if (out / n).exists()]
    if existing:
        logger.warning(
            "%s: kept %s of the earlier run: changed since that run, so perhaps yours now",
            out,
            ", ".join(existing),
        )


def _unchanged(path: Path, facts: Mapping[str, Any]) -> bool:
    """Tell whether ``path`` is still the file an earlier manifest lists (size, SHA-256)."""
    if not path.is_file() or path.is_symlink():
        return False
    return path.stat().st_size == facts["bytes"] and file_sha256(path) == facts["sha256"]


def _plain_name(name: str) -> bool:
    """Tell whether ``name`` is a file name without a folder, not hidden (nor temporary)."""
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")
