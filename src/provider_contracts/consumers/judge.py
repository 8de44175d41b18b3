"""Judging through a consumer: which findings touch what it reads, and what it trusts blindly.

A finding is read by a consumer when it sits at a path the consumer reads or at an
ancestor of one: `usage` removed takes `usage.total_tokens` with it. A finding about the
body or the stream as a whole (path `""`, `/`, `stream.*`) is an ancestor of every path
the consumer reads on that endpoint. A violation's JSON pointer (`/choices/0/message`)
is read as its drift path (`choices[].message`), a missing required key at the key
(`"created" is a required property` at `/` is `created`); for a stream event it is
matched against the event paths whatever the event's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..contract.registry import Registry
from ..drift.guarantees import guarantee, split_group
from ..files import display
from ..jsonpath import from_pointer
from .model import Consumer

__all__ = ["Gap", "gaps", "read_by", "reads", "reads_violation", "violation_path"]

_REQUIRED = re.compile(r'"([^"]+)" is a required property')  # jsonschema-rs's wording
GAP = "{where}: {endpoint} {path}: {name} reads it, but the contract does not guarantee it ({why})"


@dataclass(frozen=True, slots=True)
class Gap:
    """A path the consumer reads that the contract leaves optional or nullable."""

    file: str
    consumer: str
    endpoint: str
    path: str
    why: str

    def __str__(self) -> str:
        return GAP.format(
            where=self.file,
            endpoint=self.endpoint,
            path=self.path,
            name=self.consumer,
            why=self.why,
        )


def _under(read: str, path: str) -> bool:
    return read == path or read.startswith((f"{path}.", f"{path}["))


def reads(consumer: Consumer, endpoint: str, path: str) -> bool:
    """Whether a drift finding at `path` of `endpoint` touches what the consumer reads."""
    paths = consumer.reads(endpoint)
    if not paths:
        return False
    if path in ("", "/") or path.startswith("stream."):
        return True
    return any(_under(read, path) for read in paths)


def violation_path(pointer: str, message: str) -> str:
    """Where a violation is, as a drift path: a missing required key is at the key itself
    (its instance path is the object that lacks it)."""
    dotted = from_pointer(pointer)
    missing = _REQUIRED.fullmatch(message)
    if missing is None:
        return dotted
    return f"{dotted}.{missing.group(1)}" if dotted else missing.group(1)


def reads_violation(consumer: Consumer, endpoint: str, pointer: str, message: str = "") -> bool:
    """Whether a violation at `pointer` (its instance path) touches what the consumer reads."""
    dotted = violation_path(pointer, message)
    paths = consumer.reads(endpoint)
    if not paths:
        return False
    if not dotted:
        return True
    return any(_under(read, dotted) or _under(split_group(read)[1], dotted) for read in paths)


def read_by(
    consumers: Sequence[Consumer], endpoint: str, path: str, message: str | None = None
) -> list[str]:
    """The names of the consumers that read a finding: a drift path, or (with its message)
    a violation's instance path."""
    if message is None:
        return [c.name for c in consumers if reads(c, endpoint, path)]
    return [c.name for c in consumers if reads_violation(c, endpoint, path, message)]


def gaps(consumer: Consumer, registry: Registry) -> Iterable[Gap]:
    """Every read the contract does not guarantee (call after `model.check`)."""
    where = display(consumer.file) if consumer.file else consumer.name
    for endpoint_id, paths in sorted(consumer.endpoints.items()):
        endpoint = registry.endpoint(endpoint_id)
        for path, read in sorted(paths.items()):
            found = guarantee(endpoint, path)
            # a consumer whose tests hand it the null it may get has that case covered
            handled = found.why == f"nullable at {split_group(path)[1]}" and "null" in read.types
            if read.present and not found.guaranteed and not handled:
                yield Gap(where, consumer.name, endpoint_id, path, found.why)
