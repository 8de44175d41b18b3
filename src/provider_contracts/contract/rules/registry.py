"""The rule registry: every semantic and stream rule by name, with what backs it.

A leaf: it imports nothing of the package but `violations`, so the contract loader can
check the rule names an endpoint declares without importing the stream machinery (and
no import cycle can form around it). Each family module registers its rules with the
`rule` decorator; `provider_contracts.contract.rules` imports them all.

A rule receives already-parsed data and never parses anything itself:

- `body` rules get one JSON value: a response body, or, named in a stream's rules,
  each event's data in turn (their violations then carry the event's index);
- `stream` rules get the stream's parsed events (`Chunk`s), in order;
- `fold` rules get the events too and return the one message they fold into (or
  None); the caller validates that message as the provider's non-streamed answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

import jsonschema_rs

from ..violations import Violation, excerpt, pointer

__all__ = [
    "RULES",
    "Chunk",
    "Rule",
    "Scope",
    "broken",
    "rule",
    "run_body",
    "run_stream",
    "table",
]

Scope = Literal["body", "stream", "fold"]
F = TypeVar("F", bound=Callable[..., Any])
_NOTHING: Any = object()


@dataclass(slots=True)  # not frozen: made once per event, and a frozen init costs double
class Chunk:
    """One data event of a stream that parsed as JSON: its index among the stream's events,
    its `event:` name (typed streams), the parsed data, and whether it is an error."""

    index: int
    name: str | None
    value: Any
    is_error: bool


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule and the three things its documentation says: what it checks, why a
    gateway cares, and which provider document backs it."""

    name: str
    scope: Scope
    what: str
    why: str
    source: str
    check: Callable[[Any], Any]
    # A fold rule's top-level members that a stream carries only when asked (usage, with
    # stream_options.include_usage): the folded message may lack them though the
    # non-streamed answer requires them.
    on_request: tuple[str, ...] = ()
    # A body rule's top-level members: a value in which all are absent or null keeps the
    # rule, and is not given to it (most stream events carry no usage). () : any value.
    reads: tuple[str, ...] = ()
    # A body rule's JSON Schema that only values keeping the rule match: checked for all
    # of an endpoint's rules at once by jsonschema-rs, so that a body that keeps them all
    # costs one compiled check instead of a Python walk per rule (tests check that a
    # value matching it never breaks the rule).
    holds_if: Mapping[str, Any] | None = None


RULES: dict[str, Rule] = {}


def rule(
    name: str,
    *,
    scope: Scope,
    what: str,
    why: str,
    source: str,
    on_request: tuple[str, ...] = (),
    reads: tuple[str, ...] = (),
    holds_if: Mapping[str, Any] | None = None,
) -> Callable[[F], F]:
    """Register the decorated function as the rule `name` (a name is registered once)."""

    def register(check: F) -> F:
        if name in RULES:
            raise ValueError(f"rule {name!r} is registered twice")
        RULES[name] = Rule(name, scope, what, why, source, check, on_request, reads, holds_if)
        return check

    return register


def broken(
    message: str, at: Sequence[str | int] = (), value: Any = _NOTHING, event: int | None = None
) -> Violation:
    """A rule's violation at a place in the value it checked, in a stream's event `event`
    (the runner names the rule)."""
    return Violation(
        kind="rule",
        message=message,
        instance_path=pointer(at),
        excerpt="" if value is _NOTHING else excerpt(value),
        event=event,
    )


def run_body(names: Iterable[str], value: Any, event: int | None = None) -> list[Violation]:
    """Every violation of the named body rules by one JSON value."""
    guard, unguarded, every = _plan(tuple(names))
    return _body(unguarded if guard is not None and guard(value) else every, value, event)


_PLANS: dict[tuple[str, ...], tuple[Any, list[Rule], list[Rule]]] = {}


def _plan(names: tuple[str, ...]) -> tuple[Any, list[Rule], list[Rule]]:
    """For a list of body rules: the check of all their `holds_if` schemas at once, the
    rules it does not vouch for, and all of them (compiled once per list)."""
    plan = _PLANS.get(names)
    if plan is None:
        every = [RULES[name] for name in names]
        guards = [dict(k.holds_if) for k in every if k.holds_if is not None]
        # Their `$defs` (named apart) go to the root, where their `#/$defs/...` point.
        defs = {name: d for g in guards for name, d in g.pop("$defs", {}).items()}
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": guards,
        }
        if defs:
            schema["$defs"] = defs
        guard = jsonschema_rs.validator_for(schema).is_valid if guards else None
        plan = _PLANS[names] = (guard, [k for k in every if k.holds_if is None], every)
    return plan


def _body(rules: list[Rule], value: Any, event: int | None) -> list[Violation]:
    violations: list[Violation] = []
    for known in rules:
        if known.reads and type(value) is dict:
            for member in known.reads:
                if value.get(member) is not None:
                    break
            else:
                continue  # nothing the rule reads is there
        found = known.check(value)
        if found:  # an empty list: the common case, and the cheap one
            violations.extend(replace(v, rule=known.name, event=event) for v in found)
    return violations


Folded = Callable[[Any], Iterable[Violation]]


def run_stream(
    names: Iterable[str], chunks: Sequence[Chunk], fold: Folded | None = None
) -> Iterator[Violation]:
    """Every violation of the named rules by a stream's events.

    Body rules run on each event that is not an error; fold rules run only when `fold`
    is given (a complete stream that took no error branch), which checks the message.
    """
    rules = [RULES[name] for name in names]
    body = [known for known in rules if known.scope == "body"]
    # What any of them reads, looked up once per event: most events carry none of it.
    reads = () if any(not k.reads for k in body) else tuple({m for k in body for m in k.reads})
    for chunk in chunks if body else ():
        value = chunk.value
        if chunk.is_error:
            continue
        if reads and type(value) is dict:
            for member in reads:
                if value.get(member) is not None:
                    break
            else:
                continue
        yield from _body(body, value, chunk.index)
    for known in rules:
        name = known.name
        if known.scope == "stream":
            for found in known.check(chunks):
                yield replace(found, rule=name)
        elif known.scope == "fold" and fold is not None:
            message = known.check(chunks)
            if message is not None:
                for found in fold(message):
                    if _not_asked_for(known, message, found):
                        continue
                    inner = f" (rule {found.rule})" if found.rule else ""
                    yield replace(
                        found,
                        kind="rule",
                        rule=name,
                        event=None,
                        message=f"the message the stream folds into{inner}: {found.message}",
                    )


def _not_asked_for(known: Rule, message: Any, found: Violation) -> bool:
    """Whether `found` only says the folded message lacks a member the stream was not
    asked to carry."""
    return (
        found.instance_path == ""
        and found.schema_path.endswith("/required")
        and any(found.message.startswith(f'"{m}" ') and m not in message for m in known.on_request)
    )


def table() -> str:
    """The rules as a Markdown table (contracts/README.md carries it)."""
    lines = [
        "| rule | applies to | what it checks | why a gateway cares | source |",
        "|---|---|---|---|---|",
    ]
    scopes = {
        "body": "a JSON body, or each event",
        "stream": "a stream",
        "fold": "a stream, folded",
    }
    for known in sorted(RULES.values(), key=lambda r: (list(scopes).index(r.scope), r.name)):
        cells = (f"`{known.name}`", scopes[known.scope], known.what, known.why, known.source)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
