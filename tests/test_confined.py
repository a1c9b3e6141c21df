"""The confinement helper: nothing outside the base is created, written, followed or removed."""

import os
import stat

import pytest

from ai4mlops_lab import confined
from ai4mlops_lab.errors import UserError


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def base(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "victim.txt").write_text("keep me")
    return tmp_path / "base"


@pytest.mark.parametrize(
    "parts", [("..",), ("../outside",), ("a", "../../outside"), ("/etc",), ("link", "victim.txt"), ("a\0b",)]
)
def test_paths_that_lead_out_are_refused_before_anything_is_touched(base, parts):
    base.mkdir()
    os.symlink(base.parent / "outside", base / "link")
    for operation in (
        confined.resolve,
        confined.make_folder,
        confined.remove_tree,
        lambda *args: confined.copy_tree(base.parent / "outside", *args),
        lambda *args: confined.write_file(*args, data="x"),
    ):
        with pytest.raises(UserError) as refused:
            operation(base, *parts)
        assert refused.value.status == 403 and "outside" in refused.value.message
    assert (base.parent / "outside" / "victim.txt").read_text() == "keep me"
    assert sorted(p.name for p in base.iterdir()) == ["link"]


def test_remove_tree_never_removes_the_base_and_unlinks_a_link_without_following_it(base):
    base.mkdir()
    os.symlink(base.parent / "outside", base / "link")
    with pytest.raises(UserError):
        confined.remove_tree(base)
    confined.remove_tree(base, "link")
    assert not (base / "link").exists() and (base.parent / "outside" / "victim.txt").exists()
    confined.make_folder(base, "a", "b")
    confined.remove_tree(base, "a")
    assert base.is_dir() and not (base / "a").exists()


def test_write_file_replaces_a_link_at_the_final_name_and_makes_private_files(base):
    base.mkdir()
    os.symlink(base.parent / "outside" / "victim.txt", base / "out.txt")
    written = confined.write_file(base, "sub", "out.txt", data="new")  # into a new folder
    assert mode(written.parent) == 0o700 and mode(written) == 0o600
    confined.write_file(base, "out.txt", data="new")
    assert not (base / "out.txt").is_symlink() and (base / "out.txt").read_text() == "new"
    assert (base.parent / "outside" / "victim.txt").read_text() == "keep me"
    assert sorted(p.name for p in base.iterdir()) == ["out.txt", "sub"]  # no temporary file left


def test_copy_tree_and_make_folder_and_open_append_use_private_modes(base, tmp_path):
    source = tmp_path / "model"
    (source / "inner").mkdir(parents=True)
    (source / "inner" / "w.bin").write_bytes(b"1")
    os.chmod(source / "inner" / "w.bin", 0o644)
    copied = confined.copy_tree(source, base, "deployments", "d", "model")
    assert [mode(p) for p in (base, base / "deployments", copied, copied / "inner", copied / "inner" / "w.bin")] == [
        0o700,
        0o700,
        0o700,
        0o700,
        0o600,
    ]
    with confined.open_append(base, "log.txt") as log:
        log.write(b"line\n")
    assert mode(base / "log.txt") == 0o600
    os.symlink(base.parent / "outside" / "victim.txt", base / "linked.log")
    with pytest.raises(UserError):
        confined.open_append(base, "linked.log")
