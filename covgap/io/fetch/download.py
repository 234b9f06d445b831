"""Polite, cached, resumable downloads for ``covgap fetch``.

* **Cached by content**: a download is stored once under ``objects/<sha256>`` and an index
  entry maps its request (URL, or URL and body for a POST) to that content; asking again
  reads the cache and never touches the network.
* **Resumable**: bytes arrive in ``partial/<key>.part``; a broken transfer is continued
  with an HTTP ``Range`` request (``If-Range`` on the ETag, so a changed file starts over).
* **Checked**: the size against ``Content-Length`` (and the ``Content-Range`` of a resumed
  transfer), the MD5 that S3 publishes as the ETag of single-part uploads, and a SHA-256
  where a source publishes one (none of the five does today).
* **Throttled**: at most one request per ``min_interval_s`` to a host, one at a time, with
  a ``User-Agent`` that names covgap; ``429``/``5xx`` answers are retried after a pause.
* **Offline**: a refused connection or an unknown host raises :class:`OfflineError` at
  once (no retries), so the caller can say what to download by hand.
* A file the user put in the ``manual/`` folder of the cache under the download's name is
  used as is.

API tokens are never written: the index records URLs with ``token``/``key`` values masked.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import logging
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from tqdm.auto import tqdm

from ... import __version__
from ...errors import DataFileError

__all__ = ["Download", "Fetcher", "OfflineError", "default_cache", "mask_secrets"]

logger = logging.getLogger(__name__)

USER_AGENT = f"covgap/{__version__} (coverage-gap toolkit; covgap fetch)"
#: Bytes read per chunk of a transfer.
CHUNK_BYTES = 1 << 20
#: HTTP statuses worth a retry after a pause.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MD5_ETAG = re.compile(r"[0-9a-f]{32}")
_SECRET = re.compile(r"((?:token|key|api_key|apikey)=)[^&]+", re.IGNORECASE)


class OfflineError(DataFileError):
    """The network (or the host) cannot be reached at all."""


def default_cache() -> Path:
    """``$COVGAP_CACHE``, else ``$XDG_CACHE_HOME/covgap``, else ``~/.cache/covgap``."""
    if os.environ.get("COVGAP_CACHE"):
        return Path(os.environ["COVGAP_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "covgap"


def mask_secrets(url: str) -> str:
    """Return ``url`` with token/key query values replaced by ``***``.

    >>> mask_secrets("https://x.org/a?token=abc&type=mcc")
    'https://x.org/a?token=***&type=mcc'
    """
    return _SECRET.sub(r"\1***", url)


@dataclass(frozen=True)
class Download:
    """A file obtained by :meth:`Fetcher.get`: where it is and how it was obtained."""

    name: str
    url: str
    path: Path
    sha256: str
    size: int
    retrieved: str
    how: str  # "downloaded", "resumed", "cache" or "manual"


@dataclass
class Fetcher:
    """Downloads into a content-addressed cache; one instance per ``covgap fetch`` run.

    Attributes
    ----------
    cache
        Cache folder (``objects/``, ``index/``, ``partial/``, ``manual/``).
    progress
        Show a progress bar per transfer.
    min_interval_s
        Least time between two requests to the same host.
    timeout_s
        Socket timeout of a request.
    check_etag_md5
        Check the content against an ETag that is a plain MD5 (32 hex digits: what S3
        publishes for files uploaded in one part, as the DEM and land-cover buckets do;
        multipart ETags, ``<md5>-<n>``, are not a file's MD5 and are not checked).
    connect_timeout_s
        Time allowed to open the first connection to a host: a network that swallows
        packets fails this fast instead of after ``timeout_s``.
    retries
        Further attempts after a broken transfer or a 429/5xx answer.
    offline
        Never use the network: only the cache and ``manual/``.
    """

    cache: Path = field(default_factory=default_cache)
    progress: bool = False
    min_interval_s: float = 1.0
    timeout_s: float = 60.0
    retries: int = 3
    offline: bool = False
    connect_timeout_s: float = 2.0
    check_etag_md5: bool = True
    log: list[Download] = field(default_factory=list)
    _last: dict[str, float] = field(default_factory=dict)
    _reached: set[tuple[str, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.cache = Path(self.cache)
        for sub in ("objects", "index", "partial", "manual"):
            try:
                (self.cache / sub).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataFileError(f"{self.cache}: cannot use as cache folder ({exc})") from exc

    @property
    def manual_dir(self) -> Path:
        """Folder where files downloaded by hand are picked up by name."""
        return self.cache / "manual"

    def cached(self, url: str, *, data: bytes | None = None, name: str = "") -> Download | None:
        """Return the cached (or manually placed) file of a request, or ``None``; no network."""
        if name and (self.manual_dir / name).is_file():
            path = self.manual_dir / name
            return Download(name, mask_secrets(url), path, "", path.stat().st_size, "", "manual")
        entry = self._index_path(url, data)
        if not entry.is_file():
            return None
        meta = json.loads(entry.read_text(encoding="utf-8"))
        path = self._object_path(meta["sha256"], meta["name"])
        if not path.is_file() or path.stat().st_size != meta["size"]:
            entry.unlink(missing_ok=True)
            return None
        return Download(
            meta["name"],
            meta["url"],
            path,
            meta["sha256"],
            meta["size"],
            meta["retrieved"],
            "cache",
        )

    def get(
        self,
        url: str,
        *,
        name: str,
        data: bytes | None = None,
        sha256: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Download:
        """Return the content of ``url`` (POST ``data`` if given) from the cache or the network.

        Raises
        ------
        OfflineError
            The host cannot be reached (or ``offline`` is set) and nothing is cached.
        DataFileError
            The server refuses the request, the transfer stays incomplete after the
            retries (run again: it resumes), or the checksum does not match.
        """
        hit = self.cached(url, data=data, name=name)
        if hit is not None:
            logger.info("%s: from the %s (%s)", name, hit.how, hit.path)
            self.log.append(hit)
            return hit
        if self.offline:
            raise OfflineError(f"{name}: not in the cache and --offline is set")
        part = self.cache / "partial" / (self._key(url, data) + ".part")
        with _locked(part.with_suffix(".lock"), name):
            hit = self.cached(url, data=data, name=name)  # another run may have finished it
            if hit is not None:
                self.log.append(hit)
                return hit
            how = self._fetch(url, data, part, name, headers or {})
            return self._store(url, data, part, name, sha256, how)

    def _fetch(
        self, url: str, data: bytes | None, part: Path, name: str, headers: dict[str, str]
    ) -> str:
        """Transfer into ``part``, retrying; return "downloaded" or "resumed"."""
        resumed = False
        for attempt in range(self.retries + 1):
            try:
                resumed |= self._transfer(url, data, part, name, headers)
                break
            except _Retry as exc:
                if attempt == self.retries:
                    raise DataFileError(
                        f"{name}: download from {mask_secrets(url)} failed ({exc}); "
                        f"{part.stat().st_size if part.exists() else 0} bytes are kept, run "
                        "the same command again to resume"
                    ) from exc
                wait = min(exc.wait_s, 60.0) if exc.wait_s else 2.0**attempt
                logger.warning("%s: %s; retrying in %.0f s", name, exc, wait)
                time.sleep(wait)
        return "resumed" if resumed else "downloaded"

    # ------------------------------------------------------------------ internals
    def _key(self, url: str, data: bytes | None) -> str:
        h = hashlib.sha256(mask_secrets(url).encode())
        if data is not None:
            h.update(b"\0" + data)
        return h.hexdigest()

    def _index_path(self, url: str, data: bytes | None) -> Path:
        return self.cache / "index" / (self._key(url, data) + ".json")

    def _object_path(self, digest: str, name: str) -> Path:
        suffix = "".join(Path(name).suffixes[-2:]) if name else ""
        return self.cache / "objects" / digest[:2] / (digest + suffix)

    def _throttle(self, url: str) -> None:
        host = urlsplit(url).netloc
        wait = self._last.get(host, -1e9) + self.min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last[host] = time.monotonic()

    def _check_reachable(self, url: str) -> None:
        """Open (and close) one TCP connection to the host, once per run, quickly."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or ""
        if (host, port) in self._reached:
            return
        try:
            family, kind, proto, _, address = _resolve(host, port, self.connect_timeout_s)
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(self.connect_timeout_s)
                sock.connect(address)
        except OSError as exc:
            raise OfflineError(
                f"no network ({exc.strerror or exc}) for {host}:{port} ({mask_secrets(url)})"
            ) from exc
        self._reached.add((host, port))

    def _transfer(
        self, url: str, data: bytes | None, part: Path, name: str, extra: dict[str, str]
    ) -> bool:
        """Fetch into ``part`` (continuing it); return True when a transfer was resumed."""
        offset = part.stat().st_size if part.is_file() else 0
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **extra}
        etag_file = part.with_suffix(".etag")
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if etag_file.is_file():
                headers["If-Range"] = etag_file.read_text(encoding="utf-8")
        self._check_reachable(url)
        self._throttle(url)
        try:
            response = urlopen(Request(url, data=data, headers=headers), timeout=self.timeout_s)
        except HTTPError as exc:
            if exc.code == 416 and offset:  # the part is already complete or stale
                part.unlink()
                raise _Retry("the server refused the resume range", 0.1) from exc
            if exc.code in RETRY_STATUSES:
                raise _Retry(f"HTTP {exc.code}", _retry_after(exc.headers)) from exc
            raise DataFileError(
                f"{name}: {mask_secrets(url)} answered HTTP {exc.code} {exc.reason}"
            ) from exc
        except (TimeoutError, URLError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise OfflineError(f"no network ({reason}) for {mask_secrets(url)}") from exc
        with response:
            resuming = offset > 0 and response.status == 206
            if resuming and not response.headers.get("Content-Range", "").startswith(
                f"bytes {offset}-"
            ):
                resuming = False
                offset = 0
                part.unlink()
            if offset and not resuming:
                offset = 0  # the server sent the whole file again
            if response.headers.get("ETag"):
                etag_file.write_text(response.headers["ETag"], encoding="utf-8")
            length = response.headers.get("Content-Length")
            total = offset + int(length) if length is not None else None
            self._stream(response, part, offset, total, name)
        size = part.stat().st_size
        if total is not None and size != total:
            raise _Retry(f"transfer broken after {size} of {total} bytes", 0.0)
        return resuming

    def _stream(self, response, part: Path, offset: int, total: int | None, name: str) -> None:
        with (
            part.open("ab" if offset else "wb") as out,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                desc=name,
                disable=not self.progress,
                leave=False,
            ) as bar,
        ):
            while True:
                try:
                    chunk = response.read(CHUNK_BYTES)
                except (TimeoutError, http.client.IncompleteRead, ConnectionError) as exc:
                    if isinstance(exc, http.client.IncompleteRead) and exc.partial:
                        out.write(exc.partial)
                    raise _Retry(f"transfer broken ({type(exc).__name__})", 0.0) from exc
                if not chunk:
                    break
                out.write(chunk)
                bar.update(len(chunk))

    def _store(
        self, url: str, data: bytes | None, part: Path, name: str, sha256: str | None, how: str
    ) -> Download:
        digest = _sha256(part)
        etag_file = part.with_suffix(".etag")
        etag = etag_file.read_text(encoding="utf-8").strip('"W/ ') if etag_file.is_file() else ""
        if self.check_etag_md5 and _MD5_ETAG.fullmatch(etag) and _md5(part) != etag:
            part.unlink()
            etag_file.unlink()
            raise DataFileError(
                f"{name}: the content does not match the server's MD5 (ETag {etag}); "
                "the download was deleted, run again"
            )
        if sha256 and digest != sha256.lower():
            part.unlink()
            raise DataFileError(
                f"{name}: checksum mismatch (SHA-256 {digest}, the source publishes {sha256}); "
                "the download was deleted, run again"
            )
        path = self._object_path(digest, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(part, path)
        part.with_suffix(".etag").unlink(missing_ok=True)
        size = path.stat().st_size
        retrieved = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta = {
            "name": name,
            "url": mask_secrets(url),
            "sha256": digest,
            "size": size,
            "retrieved": retrieved,
        }
        entry = self._index_path(url, data)
        tmp = entry.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        os.replace(tmp, entry)
        logger.info("%s: %s (%d bytes)", name, how, size)
        result = Download(name, meta["url"], path, digest, size, retrieved, how)
        self.log.append(result)
        return result

    def forget(self, url: str, *, data: bytes | None = None) -> None:
        """Drop a request's index entry (its content turned out unusable)."""
        self._index_path(url, data).unlink(missing_ok=True)


def _resolve(host: str, port: int, timeout_s: float) -> tuple:
    """First address of ``host``, or OSError if the lookup fails or takes over ``timeout_s``.

    The lookup runs in a daemon thread: a resolver that waits for an unreachable DNS server
    (several seconds per try) must not hold ``covgap fetch`` when there is no network.
    """
    found: list = []

    def lookup() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0])
        except OSError as exc:
            found.append(exc)

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not found:
        raise TimeoutError(f"looking up {host} took over {timeout_s:g} s")
    if isinstance(found[0], OSError):
        raise found[0]
    return found[0]


@contextmanager
def _locked(path: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path``: two runs sharing a cache never write one file."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("%s: another covgap fetch is downloading it; waiting", name)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Retry(Exception):
    def __init__(self, message: str, wait_s: float) -> None:
        super().__init__(message)
        self.wait_s = wait_s


def _retry_after(headers) -> float:
    try:
        return float(headers.get("Retry-After", 0))
    except (TypeError, ValueError):
        return 0.0


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK_BYTES), b""):
            h.update(block)
    return h.hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK_BYTES), b""):
            h.update(block)
    return h.hexdigest()
