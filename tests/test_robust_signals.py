"""Ctrl-C and SIGTERM stop `covgap run` cleanly: one line, exit 130/143, no temporary files.

Each test runs the command in a subprocess whose slow step is monkeypatched to announce
itself and sleep, so the signal arrives at a known point: while the outputs are being
written (inside ``atomic_folder``), or while the process pool predicts the area.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

_SCRIPT = r"""
import os, sys, time
from pathlib import Path

import covgap.outputs.static_maps as sm
import covgap.radio.parallel as par

marks = Path(sys.argv[1])
where = sys.argv[2]

def slow_static_map(fig, path, **kwargs):
    Path(path).write_bytes(b"half a PNG")
    (marks / f"writer-{os.getpid()}").write_text("", encoding="utf-8")
    time.sleep(120)

def slow_site(ctx, task):
    (marks / f"worker-{os.getpid()}").write_text("", encoding="utf-8")
    time.sleep(120)

if where == "write":
    sm.save_static_map = slow_static_map
else:
    par._run_task = slow_site
    par._cores = lambda: 2
from covgap.cli import main
main(sys.argv[3:], prog_name="covgap")
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _finish(proc: subprocess.Popen) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the command did not stop within 60 s of the signal")


def _start(tmp_path: Path, tiny: dict[str, Path], where: str, area: bool):
    marks = tmp_path / "marks"
    marks.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's own file", encoding="utf-8")
    args = ["run", "--villages", str(tiny["villages"]), "--sites", str(tiny["sites"]),
            "--dem", str(tiny["dem"]), "--out", str(out), "--no-progress"]  # fmt: skip
    if area:
        args.append("--area")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(marks), where, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    prefix = "writer" if where == "write" else "worker"
    deadline = time.monotonic() + 120
    while not list(marks.glob(f"{prefix}-*")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the slow step never started: {proc.communicate()}")
        time.sleep(0.1)
    if where != "write":  # both workers busy
        while len(list(marks.glob("worker-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    return proc, out, marks


@pytest.mark.parametrize(
    ("signum", "code", "words"),
    [(signal.SIGINT, 130, "interrupted (Ctrl-C)"), (signal.SIGTERM, 143, "stopped (SIGTERM)")],
)
def test_signal_while_writing_leaves_no_temporary_files(tmp_path, tiny_scenario, signum, code,
                                                        words):  # fmt: skip
    proc, out, _ = _start(tmp_path, tiny_scenario, "write", area=False)
    assert list(out.glob(".covgap-tmp-*"))  # the outputs are being written
    proc.send_signal(signum)
    _, stderr = _finish(proc)
    assert proc.returncode == code, stderr
    assert words in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_area_prediction_stops_the_pool(tmp_path, tiny_scenario, signum, code):
    proc, out, marks = _start(tmp_path, tiny_scenario, "pool", area=True)
    workers = [int(p.name.split("-")[1]) for p in marks.glob("worker-*")]
    assert workers and all(_alive(pid) for pid in workers)
    start = time.monotonic()
    proc.send_signal(signum)
    _, stderr = _finish(proc)
    assert proc.returncode == code, stderr
    assert time.monotonic() - start < 30  # not after the sleeping sites finish (120 s)
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("covgap: ")
    assert not any(_alive(pid) for pid in workers)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_signal_during_the_final_moves_waits_for_them(tmp_path, monkeypatch):
    from covgap.io.atomic import atomic_folder

    real_replace = os.replace

    def replace_then_interrupt(src, dst):
        real_replace(src, dst)
        if Path(dst).name == "a.txt":
            signal.raise_signal(signal.SIGINT)  # Ctrl-C after the first of three moves

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), atomic_folder(out) as tmp:
        for name in ("a.txt", "b.txt", "c.txt"):
            (tmp / name).write_text(name, encoding="utf-8")
        monkeypatch.setattr(os, "replace", replace_then_interrupt)
    monkeypatch.undo()
    # the interrupt came after all three were in place, and no temporary folder is left
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt", "c.txt"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
