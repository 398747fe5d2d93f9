"""Atomic file writes: all or nothing, and content-named files stored once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lalisa_common import files
from lalisa_common.files import store_content_file, write_atomically


def test_write_creates_folders_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.json"
    assert write_atomically(target, "first") == target
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.txt"
    write_atomically(target, "old")

    def broken_fsync(_fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["x.txt"]


def test_content_named_files_are_written_once(tmp_path: Path) -> None:
    first = store_content_file(tmp_path, "abc.jpg", b"12345")
    os.utime(first, (0, 0))
    again = store_content_file(tmp_path, "abc.jpg", b"12345")
    assert again == first and first.stat().st_mtime == 0
    replaced = store_content_file(tmp_path, "abc.jpg", b"123456")
    assert replaced.read_bytes() == b"123456"
