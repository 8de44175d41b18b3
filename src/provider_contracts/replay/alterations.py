"""Alterations: how the replay server departs from a cassette, to simulate drift and outages.

An alteration is written `ACTION[:ARG][@ENDPOINT][*N]`:

    drop:PATH           remove a field                 drop:choices[].finish_reason
    retype:PATH[=TYPE]  give a field another type      retype:usage.total_tokens=string
    add:PATH=JSON       add (or set) a field            add:choices[].message.refusal=null
    status:CODE[:SECS]  answer CODE with an error body; `Retry-After: SECS` (429: 1 by default)
    hang                never answer; hold the connection until the client gives up
    reset               reset the connection (TCP RST) instead of answering
    cut[:N]             end a stream halfway through a data line, after N whole data events
                        (default 1); cut:tool inside the first tool call's arguments
    slow:SECS           wait SECS before each chunk of the body
    echo:HEADER         send the request's HEADER back, in a response header and in the body

`@ENDPOINT` (`openrouter` or `openrouter/chat_completions`) limits it to those requests;
`*N` to the first N of them (the two suffixes in either order), after which the server answers normally ("N failures, then
success"). Paths are dotted, with `[]` for every element and `[N]` for one element, the
syntax of the contracts' `volatile` lists. Body alterations apply to a JSON body and to
every JSON data event of a stream.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from .. import jsonpath
from ..errors import InputError
from ..jsonpath import Token

__all__ = [
    "ALTER_HELP",
    "BAD_ALTERATION",
    "Alteration",
    "Counter",
    "alter_body",
    "parse",
]

Action = Literal["drop", "retype", "add", "status", "hang", "reset", "cut", "slow", "echo"]
BODY_ACTIONS = frozenset({"drop", "retype", "add", "echo"})
TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")

ALTER_HELP = (
    "drop:PATH, retype:PATH[=TYPE], add:PATH=JSON, status:CODE[:RETRY_AFTER], hang, reset, "
    "cut[:EVENTS|tool], slow:SECONDS, echo:HEADER; then optionally @PROVIDER[/ENDPOINT] and *TIMES"
)
BAD_ALTERATION = "--alter {spec!r}: {problem}; write one of {help}"

MAX_SECONDS = 3600.0  # a Retry-After or a delay per chunk; longer is a hang (use `hang`)

_TIMES = re.compile(r"\*(\d+)$")
_BAD_TIMES = re.compile(r"\*[-+]?[\d.]*$")  # what is left of a second or a negative `*N`
_SCOPE = re.compile(r"@([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)?)$")


@dataclass(frozen=True, slots=True)
class Alteration:
    """One departure from the cassette (see the module's documentation for the syntax)."""

    action: Action
    path: tuple[Token, ...] = ()
    value: Any = None  # add: the value; retype: the type name or None; status: the code;
    # cut: "tool" to cut inside the first tool call
    seconds: float | None = None  # status: Retry-After; slow: the delay
    events: int = 1  # cut: whole events before the cut
    header: str = ""  # echo: the request header
    scope: str | None = None  # PROVIDER or PROVIDER/ENDPOINT
    times: int | None = None  # None: every matching request
    spec: str = ""

    def applies_to(self, endpoint_id: str) -> bool:
        if self.scope is None:
            return True
        return endpoint_id == self.scope or endpoint_id.startswith(self.scope + "/")

    @property
    def replaces_answer(self) -> bool:
        """A status, a hang or a reset: the cassette's answer is not sent at all."""
        return self.action in ("status", "hang", "reset")

    def __str__(self) -> str:
        return self.spec or self.action


class Counter:
    """How many times each alteration has fired, shared by the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[int, int] = {}

    def take(self, alterations: Sequence[Alteration], endpoint_id: str) -> list[Alteration]:
        """The alterations that fire for this request, each spending one of its `*N`.

        A fault that replaces the answer (a status, a hang, a reset) fires alone: the
        body alterations waiting behind it keep their count for the answer that follows.
        """
        with self._lock:
            live = [
                (number, alteration)
                for number, alteration in enumerate(alterations)
                if alteration.applies_to(endpoint_id)
                and (alteration.times is None or self._used.get(number, 0) < alteration.times)
            ]
            replacing = [(n, a) for n, a in live if a.replaces_answer][:1]
            chosen = replacing or live
            for number, _ in chosen:
                self._used[number] = self._used.get(number, 0) + 1
        return [alteration for _, alteration in chosen]


def parse(spec: str) -> Alteration:
    """An `--alter` value as an `Alteration`; a malformed one is an `InputError`."""

    def fail(problem: str) -> InputError:
        return InputError(BAD_ALTERATION.format(spec=spec, problem=problem, help=ALTER_HELP))

    rest = spec.strip()
    times: int | None = None
    scope: str | None = None
    while True:  # `@TARGET` and `*TIMES`, each at most once, in either order
        if (found := _TIMES.search(rest)) and times is None:
            times, rest = int(found.group(1)), rest[: found.start()]
            if times < 1:
                raise fail("*TIMES must be at least 1")
        elif (found := _SCOPE.search(rest)) and scope is None:
            scope, rest = found.group(1), rest[: found.start()]
        else:
            break
    if _BAD_TIMES.search(rest):
        raise fail("*TIMES is a whole number, at least 1, given once")
    if found := _SCOPE.search(rest):
        raise fail(f"two targets, @{found.group(1)} and @{scope}; give one @PROVIDER[/ENDPOINT]")
    action, _, arg = rest.partition(":")
    common: dict[str, Any] = {"scope": scope, "times": times, "spec": spec}
    if action in ("drop", "retype", "add"):
        target, eq, raw = arg.partition("=")
        path = _path_or_fail(target, fail)
        if action == "drop":
            if eq:
                raise fail("drop takes a path only")
            return Alteration("drop", path, **common)
        if action == "retype":
            if eq and raw not in TYPES:
                raise fail(f"unknown type {raw!r} (types: {', '.join(TYPES)})")
            return Alteration("retype", path, raw or None, **common)
        if not eq:
            raise fail("add needs a value: add:PATH=JSON")
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise fail(f'the value {raw!r} is not JSON (quote strings: "text")') from None
        return Alteration("add", path, value, **common)
    if action == "status":
        code, _, secs = arg.partition(":")
        if not (code.isdigit() and 400 <= int(code) <= 599):
            raise fail("status needs an error code from 400 to 599")
        default = 1.0 if code == "429" else None
        return Alteration(
            "status", value=int(code), seconds=_seconds(secs, fail, default), **common
        )
    if action in ("hang", "reset"):
        if arg:
            raise fail(f"{action} takes no argument")
        return Alteration("hang" if action == "hang" else "reset", **common)
    if action == "cut":
        if arg == "tool":
            return Alteration("cut", value="tool", **common)
        if arg and not arg.isdigit():
            raise fail("cut takes a number of whole events, e.g. cut:2, or cut:tool")
        return Alteration("cut", events=int(arg) if arg else 1, **common)
    if action == "slow":
        if not arg:
            raise fail("slow needs seconds, e.g. slow:0.5")
        return Alteration("slow", seconds=_seconds(arg, fail, None), **common)
    if action == "echo":
        if not arg:
            raise fail("echo needs a header name, e.g. echo:Authorization")
        return Alteration("echo", header=arg, **common)
    raise fail(f"unknown action {action!r}")


def _seconds(text: str, fail: Callable[[str], InputError], default: float | None) -> float | None:
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise fail(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= MAX_SECONDS:  # nan fails this too
        raise fail(f"seconds must be a number from 0 to {MAX_SECONDS:g}, not {text!r}")
    return value


def _path_or_fail(text: str, fail: Callable[[str], InputError]) -> tuple[Token, ...]:
    try:
        return jsonpath.parse(text)
    except ValueError as exc:
        raise fail(str(exc)) from None


# --- changing a body ---------------------------------------------------------------------


def alter_body(value: Any, alterations: Iterable[Alteration], headers: dict[str, str]) -> Any:
    """A JSON value with every body alteration applied, in order (the input is not changed).

    `headers` are the request's headers, lower-cased, for `echo`.
    """
    value = copy.deepcopy(value)  # a private copy to change in place
    for alteration in alterations:
        if alteration.action == "echo":
            echoed = headers.get(alteration.header.lower(), "")
            if isinstance(value, dict):
                value.setdefault("echo", {})[alteration.header] = echoed
        elif alteration.action in BODY_ACTIONS:
            value = _apply(value, alteration.path, alteration)
    return value


def _apply(node: Any, path: tuple[Token, ...], alteration: Alteration) -> Any:
    token, rest = path[0], path[1:]
    if token is None:
        if isinstance(node, list):
            return [
                _apply(item, rest, alteration) if rest else _leaf(item, alteration) for item in node
            ]
        return node
    if isinstance(token, int):
        if isinstance(node, list) and -len(node) <= token < len(node):
            node[token] = (
                _apply(node[token], rest, alteration) if rest else _leaf(node[token], alteration)
            )
        return node
    if not isinstance(node, dict):
        return node
    if rest:
        if token in node:
            node[token] = _apply(node[token], rest, alteration)
        return node
    if alteration.action == "drop":
        node.pop(token, None)
    elif alteration.action == "add":
        node[token] = alteration.value
    elif token in node:
        node[token] = _retype(node[token], alteration.value)
    return node


def _leaf(item: Any, alteration: Alteration) -> Any:
    # `path[]` or `path[0]` as the last token: the element itself is changed.
    if alteration.action == "retype":
        return _retype(item, alteration.value)
    if alteration.action == "add":
        return alteration.value
    return item


def _retype(value: Any, target: str | None) -> Any:
    """The value as another JSON type: `target`, or by default one a consumer would trip on."""
    if target is None:
        target = {
            str: "integer",
            bool: "string",
            int: "string",
            float: "string",
            dict: "array",
            list: "object",
            type(None): "string",
        }[type(value)]
    if target == "string":
        if isinstance(value, str):
            return value
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # an integer beyond 64 bits, which orjson does not write
            return json.dumps(value)
    if target in ("integer", "number"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value) if target == "integer" else float(value)
        return len(value) if isinstance(value, (str, list, dict)) else int(bool(value))
    if target == "boolean":
        return bool(value)
    if target == "null":
        return None
    if target == "object":
        return value if isinstance(value, dict) else {"value": value}
    return list(value.values()) if isinstance(value, dict) else [value]
