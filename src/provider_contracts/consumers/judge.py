"""Judging through a consumer: which findings touch what it reads, and what it trusts blindly.

A finding is read by a consumer when it sits at a path the consumer reads or at an
ancestor of one: `usage` removed takes `usage.total_tokens` with it. A finding about the
body or the stream as a whole (path `""`, `/`, `stream.*`) is an ancestor of every path
the consumer reads on that endpoint. A violation's JSON pointer (`/choices/0/message`)
is read as its drift path (`choices[].message`); for a stream event it is matched
against the event paths whatever the event's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..contract.registry import Registry
from ..drift.facts import facts, split_group
from ..files import display
from .model import Consumer

__all__ = ["Gap", "gaps", "read_by", "reads", "reads_violation"]

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


def reads_violation(consumer: Consumer, endpoint: str, dotted: str) -> bool:
    """Whether a violation at `dotted` (a pointer as a drift path) touches what it reads."""
    paths = consumer.reads(endpoint)
    if not paths:
        return False
    if not dotted:
        return True
    return any(_under(read, dotted) or _under(split_group(read)[1], dotted) for read in paths)


def read_by(consumers: Sequence[Consumer], endpoint: str, path: str, violation: bool) -> list[str]:
    """The names of the consumers that read a finding."""
    judge = reads_violation if violation else reads
    return [c.name for c in consumers if judge(c, endpoint, path)]


def gaps(consumer: Consumer, registry: Registry) -> Iterable[Gap]:
    """Every read the contract does not guarantee (call after `model.check`)."""
    where = display(consumer.file) if consumer.file else consumer.name
    for endpoint_id, paths in sorted(consumer.endpoints.items()):
        endpoint = registry.endpoint(endpoint_id)
        for path, read in sorted(paths.items()):
            found = facts(endpoint, path)
            # a consumer whose tests hand it the null it may get has that case covered
            handled = found.why == f"nullable at {split_group(path)[1]}" and "null" in read.types
            if read.present and not found.guaranteed and not handled:
                yield Gap(where, consumer.name, endpoint_id, path, found.why)
