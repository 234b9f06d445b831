"""Quiet runs: one line per kind of warning with a count; every warning with -v."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import pytest
from click.testing import CliRunner

from covgap.cli import main
from covgap.cli._logging import GroupingHandler, configure_logging

WARNING_TEXT = "the 35 km radius reaches beyond the DEM"


@pytest.fixture
def handler():
    h = GroupingHandler()
    log = logging.getLogger("covgap.test_grouping")
    log.addHandler(h)
    log.propagate = False
    yield h, log
    log.removeHandler(h)
    log.propagate = True
    h.close()


def test_repeated_warnings_are_counted(handler, capsys):
    h, log = handler
    for i in range(5):
        log.warning("site VT%03d: the %d km radius reaches beyond the DEM", i, 35)
    log.warning("something else")
    log.error("an error %d", 1)
    log.error("an error %d", 2)
    h.finish()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"WARNING covgap.test_grouping: site VT000: {WARNING_TEXT}"
    assert "ERROR covgap.test_grouping: an error 2" in lines  # errors always printed
    summary = [line for line in lines if "\u00d7" in line]
    assert summary == [
        f"WARNING covgap.test_grouping: 5\u00d7 site VT000: {WARNING_TEXT} (4 more like it "
        "not shown; -v shows every one)"
    ]
    assert len(lines) == 5  # first warning, other warning, two errors, the summary


def test_messages_without_a_template_group_by_their_masked_text(handler, capsys):
    h, log = handler
    log.warning("%s", "WARNING: a.csv, row 3: height 300 m is high")
    log.warning("%s", "WARNING: a.csv, row 9: height 310 m is high")
    log.warning("%s", "WARNING: a.csv: another thing")
    h.finish()
    err = capsys.readouterr().err
    assert "2\u00d7 WARNING: a.csv, row 3" in err and "another thing" in err


def _child_logs(n: int) -> None:
    for i in range(n):
        logging.getLogger("covgap.test_grouping").warning("child warning %d", i)


def test_warnings_of_forked_workers_are_counted_in_the_parent(handler, capsys):
    h, _ = handler
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_child_logs, args=(50,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    h.finish()
    err = capsys.readouterr().err
    assert err.count("child warning") == 1  # only the summary, with the first message
    assert "100\u00d7 child warning" in err


def test_configure_logging_restores_the_root_logger():
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    finish = configure_logging(1, 0)
    assert root.level == logging.INFO
    finish()
    assert (root.level, list(root.handlers)) == before


def _run_area(tiny: dict[str, Path], out: Path, *flags: str):
    args = [*flags, "run", "--villages", str(tiny["villages"]), "--sites", str(tiny["sites"]),
            "--dem", str(tiny["dem"]), "--out", str(out), "--no-progress", "--area"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.stderr


def test_run_area_groups_the_workers_warnings(tiny_scenario, tmp_path):
    quiet = _run_area(tiny_scenario, tmp_path / "a")
    lines = [line for line in quiet.splitlines() if WARNING_TEXT in line]
    assert len(lines) == 1, quiet  # "2x <the first> (1 more like it not shown ...)"
    assert "covgap.radio.area: 2\u00d7 site " in lines[0] and "-v shows every one" in lines[0]
    loud = _run_area(tiny_scenario, tmp_path / "b", "-v")
    lines = [line for line in loud.splitlines() if WARNING_TEXT in line]
    assert len(lines) == 2 and not any("\u00d7" in line for line in lines)
    assert {line.split("site ")[1][:5] for line in lines} == {"VT001", "VN001"}
    assert "INFO " in loud


def test_a_single_warning_of_a_worker_is_printed_as_it_is(handler, capsys):
    h, _ = handler
    proc = multiprocessing.get_context("fork").Process(target=_child_logs, args=(1,))
    proc.start()
    proc.join(30)
    h.finish()
    assert capsys.readouterr().err == "WARNING covgap.test_grouping: child warning 0\n"
