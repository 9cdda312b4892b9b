"""Writing output files: never half-written, and not written again when unchanged."""

from __future__ import annotations

import os
from pathlib import Path

from shop.generator.writer import read_existing, replace_if_changed, write_new_page


def test_a_file_holding_the_same_bytes_is_left_as_it_is(tmp_path: Path) -> None:
    target = tmp_path / "cache.pickle"
    target.write_bytes(b"spans")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    before = target.stat()
    assert replace_if_changed(target, b"spans") is False
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_changed_or_missing_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "cache.pickle"
    assert replace_if_changed(target, b"first") is True
    assert target.read_bytes() == b"first"
    assert replace_if_changed(target, b"second, longer") is True
    assert target.read_bytes() == b"second, longer"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.pickle"]  # no temporary file left


def test_a_new_page_gets_its_folder_and_its_parents_made(tmp_path: Path) -> None:
    write_new_page(tmp_path / "index.html", b"home")  # the site folder itself exists
    write_new_page(tmp_path / "products/tee/index.html", b"tee")  # neither folder exists
    write_new_page(tmp_path / "products/mug/index.html", b"mug")  # its parent exists
    write_new_page(tmp_path / "products/mug/index.html", b"mug, again")  # so does its own
    assert (tmp_path / "index.html").read_bytes() == b"home"
    assert (tmp_path / "products/tee/index.html").read_bytes() == b"tee"
    assert (tmp_path / "products/mug/index.html").read_bytes() == b"mug, again"


def test_what_is_there_is_read_whole_and_a_missing_file_is_none(tmp_path: Path) -> None:
    assert read_existing(tmp_path / "missing.html") is None
    big = bytes(range(256)) * 5000  # more than one read's worth
    (tmp_path / "big.bin").write_bytes(big)
    assert read_existing(tmp_path / "big.bin") == big
    (tmp_path / "empty.html").write_bytes(b"")
    assert read_existing(str(tmp_path / "empty.html")) == b""
