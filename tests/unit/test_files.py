"""The one write policy and the capped readers: what is refused, what survives a failure."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from provider_contracts.errors import InputError
from provider_contracts.files import (
    MAX_YAML,
    check_writable,
    read_bytes,
    read_yaml,
    write_all,
    write_atomic,
)


def _fail(call: str, code: int, monkeypatch: pytest.MonkeyPatch, after: int = 0) -> None:
    """Make `os.<call>` fail with `code` once it has succeeded `after` times."""
    real = getattr(os, call)
    calls = {"n": 0}

    def failing(*args: object) -> object:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(code, os.strerror(code))
        return real(*args)

    monkeypatch.setattr(os, call, failing)


@pytest.mark.parametrize(
    ("call", "code", "detail"),
    [
        ("fsync", errno.ENOSPC, "No space left on device"),
        ("fsync", errno.EIO, "Input/output error"),
        ("replace", errno.EROFS, "Read-only file system"),
        ("replace", errno.EACCES, "Permission denied"),
    ],
    ids=["full-disk", "io-error", "read-only", "permission-denied"],
)
def test_a_failed_write_is_one_line_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: int, detail: str
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous")
    _fail(call, code, monkeypatch)
    with pytest.raises(InputError) as caught:
        write_atomic(target, b"new")
    assert str(caught.value) == (
        f"{target}: cannot write ({detail}); check the path, its permissions and free space"
    )
    assert target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary left


def test_a_folder_that_cannot_take_a_new_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def refused(*args: object, **kwargs: object) -> object:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(InputError, match=r"new\.json: cannot write \(Permission denied\)"):
        write_atomic(tmp_path / "new.json", b"x")
    assert not (tmp_path / "new.json").exists()


def test_several_files_are_written_all_or_none_when_the_disk_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {tmp_path / f"{n}.json": f"new {n}".encode() for n in range(3)}
    for path in files:
        path.write_text("old")
    _fail("fsync", errno.ENOSPC, monkeypatch, after=2)  # the third file does not fit
    with pytest.raises(InputError, match=r"2\.json: cannot write \(No space left on device\)"):
        write_all(files)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "0.json": "old",
        "1.json": "old",
        "2.json": "old",
    }


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_text() == "new"


def test_a_fifo_with_a_reader_is_written_through(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    for _ in range(200):  # until the reader has opened its end
        try:
            write_atomic(fifo, b"through the pipe")
            break
        except InputError:
            threading.Event().wait(0.01)
    reader.join(5)
    assert got == [b"through the pipe"] and fifo.is_fifo()


def test_a_protected_folder_is_refused_however_it_is_reached(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    (cassettes / "acme").mkdir(parents=True)
    (tmp_path / "alias").symlink_to(cassettes)
    for path in (cassettes / "acme/chat.json", tmp_path / "alias/acme/chat.json", cassettes):
        with pytest.raises(InputError, match="inside cassettes/"):
            check_writable(path, (cassettes,))
    assert check_writable(tmp_path / "reports/r.json", (cassettes,)) == tmp_path / "reports/r.json"


def test_a_socket_is_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(InputError, match="s: is a socket; give a regular file"):
            write_atomic(path, b"x")


def test_a_read_stops_one_byte_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 11)
    assert read_bytes(path, limit=11) == b"x" * 11
    with pytest.raises(InputError, match="big: larger than 0 KiB, the most contracts reads as"):
        read_bytes(path, limit=10)


def test_a_yaml_file_over_its_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_YAML + 1))
    with pytest.raises(InputError, match=r"big\.yaml: larger than 1 MiB"):
        read_yaml(path)


def test_an_anchor_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 12)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n")  # 10^12 strings, were it expanded
    with pytest.raises(InputError, match=r"bomb.yaml:2: a YAML alias \(\*a0\)"):
        read_yaml(path)


def test_plain_yaml_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("a: 1\nb: [x, {c: 2026-01-02}]\n'1': one\n1: number one\n")
    data = read_yaml(path)
    assert data["a"] == 1 and data["b"][1]["c"].isoformat() == "2026-01-02"
    assert data["1"] == "one" and data[1] == "number one"
