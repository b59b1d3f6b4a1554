"""Atomic writes: a failure at any point leaves the target as it was."""

from __future__ import annotations

import pytest

from blueprint.errors import GenerateError
from blueprint.generate.writer import write_tree


class Interrupted(Exception):
    pass


def test_new_directory_is_all_or_nothing(tmp_path):
    target = tmp_path / "project"
    written = []

    def fail_on_third(path):
        written.append(path)
        if len(written) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        write_tree(target, {f"f{i}.txt": str(i) for i in range(5)}, after_file=fail_on_third)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_forced_rewrite_interrupted_keeps_old_content(tmp_path):
    target = tmp_path / "project"
    write_tree(target, {"a.txt": "old a", "b.txt": "old b"})
    calls = []

    def fail_late(path):
        calls.append(path)
        if len(calls) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        write_tree(target, {"a.txt": "new a", "b.txt": "new b"}, force=True, after_file=fail_late)
    assert (target / "a.txt").read_text() == "old a"
    assert (target / "b.txt").read_text() == "old b"
    assert [p.name for p in tmp_path.iterdir()] == ["project"]
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "b.txt"]


def test_forced_rewrite_leaves_other_files_and_the_directory_itself(tmp_path):
    target = tmp_path / "project"
    write_tree(target, {"a.txt": "old a"})
    (target / ".git").mkdir()
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    inode = target.stat().st_ino
    write_tree(target, {"a.txt": "new a", "teams/x.yaml": "team: x\n"}, force=True)
    assert target.stat().st_ino == inode, "the project directory must not be swapped (shells and editors keep it open)"
    assert (target / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (target / "a.txt").read_text() == "new a" and (target / "teams/x.yaml").read_text() == "team: x\n"
    assert sorted(p.name for p in target.iterdir()) == [".git", "a.txt", "teams"]


def test_failure_while_renaming_puts_every_original_back(tmp_path, monkeypatch):
    import os

    from blueprint.generate import writer

    target = tmp_path / "project"
    write_tree(target, {"a.txt": "old a", "b.txt": "old b", "c.txt": "old c"})
    real_replace, calls = os.replace, []

    def flaky_replace(source, destination):
        calls.append(destination)
        if len(calls) == 4:  # after a.txt was swapped, while swapping b.txt
            raise OSError("disk full")
        return real_replace(source, destination)

    monkeypatch.setattr(writer.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="disk full"):
        write_tree(target, {"a.txt": "new a", "b.txt": "new b", "c.txt": "new c", "d.txt": "new d"}, force=True)
    monkeypatch.setattr(writer.os, "replace", real_replace)
    assert {p.name: p.read_text() for p in target.iterdir()} == {"a.txt": "old a", "b.txt": "old b", "c.txt": "old c"}


def test_refuses_paths_outside_the_project(tmp_path):
    with pytest.raises(GenerateError, match="outside the project"):
        write_tree(tmp_path / "project", {"../escape.txt": "x"})
    assert not (tmp_path / "escape.txt").exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_parent_is_a_clear_error(tmp_path):
    with pytest.raises(GenerateError, match="parent directory"):
        write_tree(tmp_path / "missing" / "project", {"a": "b"})


def test_a_new_project_gets_the_usual_directory_mode(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        write_tree(tmp_path / "project", {"a.txt": "a"})
    finally:
        os.umask(mask)
    assert (tmp_path / "project").stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("existing", [False, True], ids=["new project", "forced rewrite"])
def test_every_file_is_on_disk_before_it_is_published(tmp_path, monkeypatch, existing):
    """The fsyncs are batched (issue 16: one journal commit for many files), but each file still has one, before
    the rename that makes it visible."""
    import os
    from pathlib import Path

    from blueprint.generate import writer

    target = tmp_path / "proj"
    if existing:
        target.mkdir()
        (target / "a.txt").write_text("old")
    synced: set[Path] = set()
    unsynced_at_publish: list[Path] = []
    moves = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.add(Path(os.readlink(f"/proc/self/fd/{fd}")).resolve())
        real_fsync(fd)

    def publish(real):
        def move(source, destination, *args, **kwargs):
            moved = Path(source)
            files = [p for p in moved.rglob("*") if p.is_file()] if moved.is_dir() else [moved]
            unsynced_at_publish.extend(p for p in files if p.resolve() not in synced)
            moves.append(moved)
            return real(source, destination, *args, **kwargs)

        return move

    monkeypatch.setattr(writer.os, "fsync", fsync)
    monkeypatch.setattr(writer.os, "rename", publish(os.rename))
    monkeypatch.setattr(writer.os, "replace", publish(os.replace))
    write_tree(target, {"a.txt": "new", "sub/b.txt": "b", "c.bin": b"\x00c"}, force=existing)
    assert (target / "a.txt").read_text() == "new" and (target / "sub" / "b.txt").read_text() == "b"
    assert moves, "nothing was renamed into place"
    assert not unsynced_at_publish, f"published before their fsync: {unsynced_at_publish}"


@pytest.fixture
def umask_022():
    import os

    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_written_file_gets_the_usual_mode_or_keeps_the_one_it_replaces(tmp_path, umask_022):
    """mkstemp makes 0600: an exported plan another user (a CI upload step) could not read."""
    import stat

    from blueprint.generate.writer import write_file

    target = tmp_path / "plan.json"
    write_file(target, "{}\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644 and target.read_text() == "{}\n"
    target.chmod(0o640)
    write_file(target, "{\"a\": 1}\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == "{\"a\": 1}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary left beside it


def test_a_file_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    from blueprint.generate import writer

    target = tmp_path / "plan.json"
    target.write_text("old\n")

    def refuse(*args, **kwargs):
        raise Interrupted

    monkeypatch.setattr(writer.os, "replace", refuse)
    with pytest.raises(Interrupted):
        writer.write_file(target, "new\n")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    with pytest.raises(GenerateError, match="does not exist"):
        writer.write_file(tmp_path / "missing" / "plan.json", "x")
    with pytest.raises(GenerateError, match="is a directory"):
        writer.write_file(tmp_path, "x")
