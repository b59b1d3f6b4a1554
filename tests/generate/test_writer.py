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


def test_refuses_paths_outside_the_project(tmp_path):
    with pytest.raises(GenerateError, match="outside the project"):
        write_tree(tmp_path / "project", {"../escape.txt": "x"})
    assert not (tmp_path / "escape.txt").exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_parent_is_a_clear_error(tmp_path):
    with pytest.raises(GenerateError, match="parent directory"):
        write_tree(tmp_path / "missing" / "project", {"a": "b"})
