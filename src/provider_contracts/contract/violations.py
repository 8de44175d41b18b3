"""A contract violation as data: where in the body, which schema keyword, what was expected."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema_rs
import orjson

__all__ = ["Violation", "excerpt", "pointer", "schema_violations"]

Kind = Literal["schema", "sequence", "rule", "body", "status", "headers"]
EXCERPT_LIMIT = 80


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a response departs from its contract.

    `instance_path` is a JSON pointer into the body (into the event's data, for a stream
    event), `schema_path` the keyword's location through every `$ref`, `rule` the named
    rule that failed (`contracts/README.md` lists them), `message` what was expected,
    `excerpt` a short rendering of what came.
    """

    kind: Kind
    message: str
    instance_path: str = ""
    schema_path: str = ""
    excerpt: str = ""
    event: int | None = None  # the stream event's index, for stream bodies
    rule: str = ""

    @property
    def location(self) -> str:
        where = self.instance_path or "/"
        return f"event {self.event} {where}" if self.event is not None else where

    def lines(self, where: str) -> list[str]:
        """The violation as a person reads it: where and what, then the schema keyword and
        what came, each on its own indented line (every report and message uses this)."""
        lines = [f"{where} at {self.location}: {self.message}"]
        if self.schema_path:
            lines.append(f"  schema: {self.schema_path}")
        if self.rule:
            lines.append(f"  rule: {self.rule}")
        if self.excerpt:
            lines.append(f"  got: {self.excerpt}")
        return lines


def pointer(parts: Sequence[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def excerpt(value: Any, limit: int = EXCERPT_LIMIT) -> str:
    """A short, one-line rendering of a value from a response."""
    if isinstance(value, (bytes, str)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        rendered = orjson.dumps(text[: limit * 2]).decode()
    else:
        try:
            rendered = orjson.dumps(value).decode()
        except TypeError:
            rendered = repr(value)
    return rendered if len(rendered) <= limit else rendered[: limit - 1] + "…"


def schema_violations(
    validator: jsonschema_rs.Validator, instance: Any, event: int | None = None
) -> Iterator[Violation]:
    """Every schema violation of an instance (none at the cost of one fast check)."""
    if validator.is_valid(instance):
        return
    seen: set[tuple[str, str]] = set()
    for error in validator.iter_errors(instance):
        # A shared shape and the provider's narrowing of it (allOf) can fail on the same
        # value for the same reason: one finding, with the first schema path, is enough.
        key = (pointer(error.instance_path), error.message)
        if key in seen:
            continue
        seen.add(key)
        path = list(error.evaluation_path)
        if path and path[0] == "$ref":  # the loader's own wrapper
            path = path[1:]
        yield Violation(
            kind="schema",
            message=_message(error),
            instance_path=key[0],
            schema_path=pointer(path),
            excerpt=excerpt(error.instance),
            event=event,
        )


def _message(error: jsonschema_rs.ValidationError) -> str:
    message = error.message
    return message if len(message) <= 240 else message[:239] + "…"
