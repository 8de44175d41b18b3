"""Reading the project's files, with every failure turned into a one-line `InputError`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import yaml

from .errors import EMPTY_FILE, NOT_JSON, NOT_YAML, UNREADABLE, InputError

__all__ = ["display", "read_bytes", "read_json", "read_yaml", "write_atomic"]

_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def display(path: Path) -> str:
    """The path as a user should read it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_bytes(path: Path, error: type[InputError] = InputError) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise error(UNREADABLE.format(where=display(path), detail="it is a folder")) from None
    except OSError as exc:
        raise error(UNREADABLE.format(where=display(path), detail=exc.strerror)) from exc


def read_json(
    path: Path, error: type[InputError] = InputError, fix: str = "fix the JSON syntax"
) -> Any:
    data = read_bytes(path, error)
    if not data.strip():
        raise error(EMPTY_FILE.format(where=display(path), fix=fix))
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise error(NOT_JSON.format(where=display(path), detail=exc.args[0], fix=fix)) from exc


def read_yaml(path: Path, error: type[InputError] = InputError) -> Any:
    data = read_bytes(path, error)
    try:
        return yaml.load(data, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display(path)}:{mark.line + 1}" if mark is not None else display(path)
        detail = getattr(exc, "problem", None) or type(exc).__name__
        raise error(NOT_YAML.format(where=where, detail=detail)) from exc


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a reader sees the old file or the new, never half.

    Written beside the target, flushed to disk, then renamed over it: a process killed at
    any moment leaves the old file byte for byte.
    """
    import tempfile  # here: commands that only read (verify, --help) do not load it

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
