"""The consumer model: `contracts/consumers/NAME.yaml`, read, checked, merged and written.

```yaml
consumer: gateway
endpoints:
  openrouter/chat_completions:
    usage.total_tokens:            # a drift path; streams: events[NAME].choices[].delta.content
      present: true                # the consumer breaks when it is missing
      types: [integer]             # ... when it has another type than these
      values: []                   # ... when it holds a value outside these (an enum it handles)
      tests: [examples/gateway/test_gateway.py::test_complete_...]
      learned: true                # written by `pytest --contracts-learn`; absent: by hand
```

Learning merges into the file: hand-written entries stay as they are; a learned entry is
rebuilt from the tests that ran again and kept for the tests that did not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml

from ..contract.registry import CONSUMERS, Registry
from ..drift.guarantees import guarantee, split_group
from ..errors import BAD_FIELD, ContractError, InputError, UnknownName
from ..files import display, read_yaml, write_atomic

__all__ = [
    "CONSUMERS",
    "Consumer",
    "Observation",
    "Read",
    "consumer_file",
    "consumer_names",
    "dump",
    "load",
    "merge",
    "parse",
    "write",
]

TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")
Reliance = Literal["present", "type", "values"]

FIX = "see contracts/README.md, section Consumers"
BAD_NAME = "{name!r} is not a consumer name; use letters, digits, '_', '-' or '.', e.g. gateway"
NO_CONSUMER = (
    "{where}: no such consumer file; learn it with `pytest --contracts-learn={name}` "
    "or write it by hand ({fix})"
)
BAD_PATH = "{where}: {endpoint} {path!r} is not a drift path; write it as field.field[].field"
UNKNOWN_PATH = (
    "{where}: {endpoint} {path}: no schema of this endpoint can have this path ({why}); "
    "fix the path, or the schema in contracts/{provider}/"
)
UNKNOWN_ENDPOINT = "{where}: {problem}"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_PATH = re.compile(r"[^.\[\]]+(?:\[\])*(?:\.[^.\[\]]+(?:\[\])*)*")
_FIELDS = ("present", "types", "values", "tests", "learned")
HEADER = (
    "# What {name} reads of the provider answers, per endpoint (contracts/README.md, Consumers).\n"
    "# Entries with `learned: true` are written by `pytest --contracts-learn={name}`; the rest\n"
    "# are hand-written and kept as they are.\n"
)


@dataclass(frozen=True, slots=True)
class Read:
    """One path a consumer reads, and what it relies on there."""

    present: bool = True
    types: tuple[str, ...] = ()  # relied-on types; () when any type does
    values: tuple[Any, ...] = ()  # the values it handles; () when it does not act on values
    tests: tuple[str, ...] = ()
    learned: bool = False


@dataclass(frozen=True, slots=True)
class Consumer:
    """What one consumer reads: `{endpoint id: {drift path: Read}}`."""

    name: str
    endpoints: Mapping[str, Mapping[str, Read]] = field(default_factory=dict)
    file: Path | None = None

    def reads(self, endpoint: str) -> Mapping[str, Read]:
        return self.endpoints.get(endpoint, {})


@dataclass(frozen=True, slots=True)
class Observation:
    """A test failed when the path was changed in this way: the path is read."""

    endpoint: str
    path: str
    relies: Reliance
    test: str
    types: tuple[str, ...] = ()  # the types recorded there
    values: tuple[Any, ...] = ()  # the values recorded there


def consumer_file(contracts: Path, name: str) -> Path:
    if not _NAME.fullmatch(name):
        raise InputError(BAD_NAME.format(name=name))
    return contracts / CONSUMERS / f"{name}.yaml"


def consumer_names(contracts: Path) -> list[str]:
    folder = contracts / CONSUMERS
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load(contracts: Path, name: str, registry: Registry | None = None) -> Consumer:
    """The consumer `name`, checked (against the contracts, when given a registry)."""
    path = consumer_file(contracts, name)
    if not path.is_file():
        raise ContractError(NO_CONSUMER.format(where=display(path), name=name, fix=FIX))
    consumer = parse(read_yaml(path, ContractError), name, path)
    if registry is not None:
        check(consumer, registry)
    return consumer


def parse(data: Any, name: str, path: Path) -> Consumer:
    """A consumer from the YAML data of its file; the first problem is a `ContractError`."""
    where = display(path)

    def bad(name: str, problem: str) -> ContractError:
        return ContractError(BAD_FIELD.format(where=where, field=name, problem=problem, fix=FIX))

    if data is None:
        return Consumer(name, {}, path)
    if not isinstance(data, dict):
        raise ContractError(f"{where}: must be a mapping with `endpoints`; {FIX}")
    unknown = set(data) - {"consumer", "endpoints"}
    if unknown:
        raise bad(sorted(unknown)[0], "is not a consumer file field (consumer, endpoints)")
    if data.get("consumer", name) != name:
        raise bad("consumer", f"says {data['consumer']!r}, but the file is named {name!r}")
    endpoints = data.get("endpoints") or {}
    if not isinstance(endpoints, dict):
        raise bad("endpoints", "must map PROVIDER/ENDPOINT to the paths read")
    model: dict[str, dict[str, Read]] = {}
    for endpoint, paths in endpoints.items():
        if not isinstance(endpoint, str) or "/" not in endpoint:
            raise bad(str(endpoint), "is not a PROVIDER/ENDPOINT id")
        if not isinstance(paths, dict):
            raise bad(endpoint, "must map each drift path read to what is relied on there")
        model[endpoint] = {}
        for read_path, entry in paths.items():
            text = str(read_path)
            _, rest = split_group(text)
            if not _PATH.fullmatch(rest):
                raise ContractError(BAD_PATH.format(where=where, endpoint=endpoint, path=text))
            model[endpoint][text] = _read(entry, f"{endpoint} {text}", bad)
    return Consumer(name, model, path)


def _read(entry: Any, place: str, fail: Callable[[str, str], ContractError]) -> Read:
    def bad(name: str, problem: str) -> ContractError:
        return fail(f"{place}: {name}", problem)

    if entry is None:
        return Read()
    if not isinstance(entry, dict):
        raise fail(place, f"must be a mapping of {', '.join(_FIELDS)}")
    for key in entry:
        if key not in _FIELDS:
            raise bad(str(key), f"is not a read field ({', '.join(_FIELDS)})")
    types = entry.get("types") or []
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or any(t not in TYPES for t in types):
        raise bad("types", f"must list JSON types ({', '.join(TYPES)})")
    values, tests = entry.get("values") or [], entry.get("tests") or []
    if not isinstance(values, list) or any(isinstance(v, dict | list) for v in values):
        raise bad("values", "must list the scalar values handled")
    if not isinstance(tests, list):
        raise bad("tests", "must list test ids")
    for flag in ("present", "learned"):
        if not isinstance(entry.get(flag, flag == "present"), bool):
            raise bad(flag, "must be true or false")
    return Read(
        present=entry.get("present", True),
        types=tuple(types),
        values=tuple(values),
        tests=tuple(str(t) for t in tests),
        learned=entry.get("learned", False),
    )


def check(consumer: Consumer, registry: Registry) -> None:
    """Every endpoint known, every path one the endpoint's schemas can have.

    Schemas are open where providers add, so a path they do not describe is possible (and
    `judge.gaps` says it is not guaranteed); a path through a closed object, or through a
    value the schema types otherwise (`id.x` under a string `id`), is not.
    """
    where = display(consumer.file) if consumer.file else consumer.name
    known = registry.endpoint_ids()
    for endpoint_id, paths in consumer.endpoints.items():
        if endpoint_id not in known:
            problem = str(UnknownName("endpoint", endpoint_id, known))
            raise ContractError(UNKNOWN_ENDPOINT.format(where=where, problem=problem))
        endpoint = registry.endpoint(endpoint_id)
        for path in paths:
            found = guarantee(endpoint, path)
            if not found.possible:
                raise ContractError(
                    UNKNOWN_PATH.format(
                        where=where,
                        endpoint=endpoint_id,
                        path=path,
                        why=found.why,
                        provider=endpoint.provider,
                    )
                )


def merge(existing: Consumer, observed: Iterable[Observation], rerun: Iterable[str]) -> Consumer:
    """The consumer after learning: `observed` from the tests in `rerun`.

    Hand-written entries stay as they are. A learned entry keeps the tests that did not
    run again; it is rebuilt from what the tests that did observed, and dropped when no
    test shows it any more.
    """
    again = set(rerun)
    model: dict[str, dict[str, Read]] = {}
    for endpoint, paths in existing.endpoints.items():
        for path, read in paths.items():
            if read.learned:
                kept = tuple(t for t in read.tests if t not in again)
                if not kept:
                    continue
                read = replace(read, tests=kept)
            model.setdefault(endpoint, {})[path] = read
    for seen in observed:
        paths = model.setdefault(seen.endpoint, {})
        current = paths.get(seen.path) or Read(present=False, learned=True)
        if not current.learned:
            continue
        paths[seen.path] = replace(
            current,
            present=current.present or seen.relies == "present",
            types=_union(current.types, seen.types if seen.relies == "type" else ()),
            values=_union(current.values, seen.values if seen.relies == "values" else ()),
            tests=_union(current.tests, (seen.test,)),
        )
    model = {e: p for e, p in model.items() if p}
    return Consumer(existing.name, model, existing.file)


def _union(old: tuple[Any, ...], new: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(sorted({*old, *new}, key=lambda v: orjson.dumps(v)))


def dump(consumer: Consumer) -> str:
    """The consumer file's text: endpoints and paths sorted, so a diff shows what changed."""
    endpoints: dict[str, Any] = {}
    for endpoint in sorted(consumer.endpoints):
        entries: dict[str, Any] = {}
        for path in sorted(consumer.endpoints[endpoint]):
            read = consumer.endpoints[endpoint][path]
            entry: dict[str, Any] = {"present": read.present}
            entry["types"] = _Flow(read.types)
            entry["values"] = _Flow(read.values)
            entry["tests"] = list(read.tests)
            if read.learned:
                entry["learned"] = True
            entries[path] = entry
        endpoints[endpoint] = entries
    data = {"consumer": consumer.name, "endpoints": endpoints}
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
    return HEADER.format(name=consumer.name) + body


class _Flow(list[Any]):
    """A short list of scalars, written on one line: `types: [integer]`."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True)
)


def write(consumer: Consumer, path: Path) -> None:
    write_atomic(path, dump(consumer).encode("utf-8"))
