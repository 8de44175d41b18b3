"""Reading and writing the project's files, with every failure turned into a one-line `InputError`.

Reading: at most a stated number of bytes (`MAX_INPUT`, `MAX_YAML`; a larger file is
refused after reading one byte past the limit, so `/dev/zero` costs nothing), and YAML
through a loader that refuses aliases (before anything is built: an anchor bomb never
expands) and duplicate keys.

Writing, the one write policy (`write_atomic`, `write_all`): a regular file is replaced
atomically (written beside it, flushed, renamed over it); a symlink is written through
(its target is replaced, the link stays); a FIFO, a character device or anything under
/dev or /proc is written through, never replaced (`/dev/stdout` and `/dev/fd/N` through
this process's own descriptor); a folder, a socket or a block device is refused; so is any
path inside the folders a caller protects (reports never land in `contracts/` or
`cassettes/`). A failure (a full disk, a read-only folder, a symlink loop) is one line
naming the path, and leaves what was there byte for byte.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from .errors import EMPTY_FILE, NOT_JSON, NOT_YAML, UNREADABLE, InputError

__all__ = [
    "MAX_CASSETTE",
    "MAX_INPUT",
    "MAX_YAML",
    "check_writable",
    "display",
    "read_bytes",
    "read_json",
    "read_limited",
    "read_yaml",
    "write_all",
    "write_atomic",
]

MiB = 1 << 20
MAX_INPUT = 64 * MiB  # a body, a report, a schema, a file to scan
MAX_YAML = 1 * MiB  # a manifest, an endpoint contract, the waivers
MAX_CASSETTE = 512 * MiB  # a cassette to verify or replay (a 100k-interaction one fits)

# User-facing messages, kept here so tests can assert them.
TOO_LARGE = (
    "{where}: larger than {limit}, the most contracts reads as {what}; "
    "give a smaller file (README, Limits)"
)
UNWRITABLE = "{where}: cannot write ({detail}); check the path, its permissions and free space"
IS_A_FOLDER = "{where}: is a folder; give a file path, e.g. {where}/report.json"
NOT_WRITABLE_KIND = "{where}: is a {kind}; give a regular file, a FIFO or a character device"
NO_READER = "{where}: a FIFO that no process reads; start the reader first, or give a file"
PROTECTED = (
    "{where}: inside {folder}/, which only `contracts record` and you change; "
    "write it elsewhere, e.g. reports/"
)
YAML_ALIAS = (
    "{where}:{line}: a YAML alias (*{name}); write the value out, aliases are not read here"
)
YAML_DUPLICATE = "{where}:{line}: key {key!r} given twice (also line {first}); keep one"
YAML_BAD_DATE = "{where}:{line}: {value!r} is not a date ({detail}); write one such as 2026-07-01"

_SYSTEM = (("dev",), ("proc",))  # nothing under these is ever replaced, only written
_YamlBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def display(path: Path) -> str:
    """The path as a user should read it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (3.11)
        return str(path)


def size_text(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit // 1024} KiB"


# --- reading ---------------------------------------------------------------------------------


def read_limited(
    stream: IO[bytes], limit: int, where: str, error: type[InputError], what: str
) -> bytes:
    """At most `limit` bytes from an open stream; one more is an error, nothing more is read."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise error(TOO_LARGE.format(where=where, limit=size_text(limit), what=what))
    return data


def read_bytes(
    path: Path,
    error: type[InputError] = InputError,
    limit: int = MAX_INPUT,
    what: str = "an input file",
) -> bytes:
    where = display(path)
    try:
        with path.open("rb") as handle:
            return read_limited(handle, limit, where, error, what)
    except IsADirectoryError:
        raise error(UNREADABLE.format(where=where, detail="it is a folder")) from None
    except OSError as exc:
        detail = exc.strerror or type(exc).__name__
        raise error(UNREADABLE.format(where=where, detail=detail)) from exc


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


class _Refused(yaml.YAMLError):
    """A YAML file that parses but is refused here; the message is the user's line."""


class _StrictLoader(_YamlBase):  # type: ignore[misc]
    """The safe loader, refusing duplicate keys and impossible dates (aliases are refused
    before it runs, by `_refuse_aliases`)."""

    where = ""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in first:
                    raise _Refused(
                        YAML_DUPLICATE.format(
                            where=self.where, line=line, key=key, first=first[key]
                        )
                    )
                first[key] = line
            except TypeError:  # an unhashable key: the base class says so
                break
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            line = node.start_mark.line + 1
            raise _Refused(
                YAML_BAD_DATE.format(where=self.where, line=line, value=node.value, detail=exc)
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def _refuse_aliases(data: bytes, where: str) -> None:
    """Refuse any alias, reading events only: nothing is composed or built, so an anchor
    bomb costs one pass over its text."""
    for event in yaml.parse(data, Loader=_YamlBase):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else 0
            raise _Refused(YAML_ALIAS.format(where=where, line=line, name=event.anchor))


def read_yaml(path: Path, error: type[InputError] = InputError) -> Any:
    data = read_bytes(path, error, MAX_YAML, "a YAML file")
    loader = _StrictLoader(data)
    loader.where = display(path)
    try:
        _refuse_aliases(data, loader.where)
        return loader.get_single_data()
    except _Refused as exc:
        raise error(str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display(path)}:{mark.line + 1}" if mark is not None else display(path)
        detail = getattr(exc, "problem", None) or type(exc).__name__
        raise error(NOT_YAML.format(where=where, detail=detail)) from exc
    finally:
        loader.dispose()


# --- writing: the one write policy -----------------------------------------------------------


def check_writable(path: Path, protected: Sequence[Path] = ()) -> Path:
    """Where writing `path` lands (a symlink resolved), or the one-line reason it may not.

    Checked before a run starts (an option's value) and again when writing.
    """
    where = display(path)
    try:
        mode: int | None = os.stat(path).st_mode  # through links, /dev/stdout's included
    except (FileNotFoundError, NotADirectoryError):
        mode = None  # a new file (or a dangling link: its target is created)
    except OSError as exc:  # a symlink loop, a component that is not a folder
        raise InputError(UNWRITABLE.format(where=where, detail=_detail(exc))) from None
    if mode is not None and (
        stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or Path(path).absolute().parts[1:2] in _SYSTEM
    ):
        # A stream, or a file the system names (/dev/stdout redirected to a file): opened
        # through whatever links lead to it, never replaced.
        return path
    target = Path(os.path.realpath(path))
    for folder in protected:
        real = Path(os.path.realpath(folder))
        if target == real or target.is_relative_to(real):
            raise InputError(PROTECTED.format(where=where, folder=folder.name))
    above = target.parent
    while not os.path.lexists(above) and above != above.parent:
        above = above.parent
    if not above.is_dir():
        detail = f"{above.name} is a file, not a folder"
        raise InputError(UNWRITABLE.format(where=where, detail=detail))
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise InputError(IS_A_FOLDER.format(where=where))
        kind = "socket" if stat.S_ISSOCK(mode) else "block device"
        raise InputError(NOT_WRITABLE_KIND.format(where=where, kind=kind))
    return target


def write_atomic(path: Path, data: bytes, protected: Sequence[Path] = ()) -> None:
    """Write `data` to `path` under the write policy (see the module's documentation)."""
    write_all({path: data}, protected)


def write_all(files: Mapping[Path, bytes], protected: Sequence[Path] = ()) -> None:
    """Write every file or none: each is staged beside its target and flushed, then all
    are renamed into place. A full disk while staging leaves every target as it was.

    Streams (a FIFO, a character device) are written last, through, and are not undone.
    """
    targets = {path: check_writable(path, protected) for path in files}
    staged: list[tuple[Path, Path, Path]] = []  # (as given, temporary, target)
    streams = []
    try:
        for path, data in files.items():
            target = targets[path]
            if _is_stream(target):
                streams.append((path, target, data))
            else:
                staged.append((path, _stage(path, target, data), target))
        for path, tmp, target in staged:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise InputError(
                    UNWRITABLE.format(where=display(path), detail=_detail(exc))
                ) from None
    finally:
        for _, tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    for folder in {target.parent for _, _, target in staged}:
        _sync_folder(folder)
    for path, target, data in streams:
        _write_through(path, target, data)


def _stage(path: Path, target: Path, data: bytes) -> Path:
    import tempfile  # here: commands that only read (verify, --help) do not load it

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(UNWRITABLE.format(where=display(path), detail=_detail(exc))) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(UNWRITABLE.format(where=display(path), detail=_detail(exc))) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _is_stream(target: Path) -> bool:
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or target.absolute().parts[1:2] in _SYSTEM


def _write_through(path: Path, target: Path, data: bytes) -> None:
    own = _own_descriptor(target)
    if own is not None:  # /dev/stdout and kin: this process's own descriptor, shared offset
        sys.stdout.flush()
        sys.stderr.flush()
        fd = own
    else:
        try:
            # Non-blocking open: a FIFO that nobody reads is an error, not a hang.
            fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_APPEND)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                raise InputError(NO_READER.format(where=display(path))) from None
            detail = _detail(exc)
            raise InputError(UNWRITABLE.format(where=display(path), detail=detail)) from None
    try:
        if own is None:
            os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise InputError(UNWRITABLE.format(where=display(path), detail=_detail(exc))) from None
    finally:
        if own is None:
            os.close(fd)


def _own_descriptor(path: Path) -> int | None:
    """The descriptor a path names in this process (/dev/stdout: 1, /dev/fd/3: 3), if any."""
    text = str(path)
    named = {"/dev/stdout": 1, "/dev/stderr": 2}.get(text)
    if named is not None:
        return named
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if text.startswith(prefix) and text[len(prefix) :].isdigit():
            return int(text[len(prefix) :])
    return None


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # the files are in place; a folder that cannot be opened cannot be synced
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the rename is done
    finally:
        os.close(fd)


def _detail(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
