import os
import stat

import pytest

from covgap.errors import DataFileError
from covgap.io.atomic import atomic_path


def test_success_moves_into_place_with_umask_permissions(tmp_path):
    target = tmp_path / "sub" / "out.csv"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.suffix == ".csv" and tmp.exists()
        tmp.write_text("a,b\n", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "a,b\n"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert list(target.parent.iterdir()) == [target]


def test_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_create_false_reserves_only_the_name(tmp_path):
    with atomic_path(tmp_path / "x.gpkg", create=False) as tmp:
        assert not tmp.exists()
        tmp.write_bytes(b"ok")
    assert (tmp_path / "x.gpkg").read_bytes() == b"ok"


def test_unwritable_folder_is_a_data_file_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(DataFileError, match="cannot write"), atomic_path(blocker / "x.txt"):
        pass
