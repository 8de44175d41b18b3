"""A YAML mapping being read: errors that name the file and the field, and no unknown field.

The loader asks for each field it knows (`required`, `optional`, `sub`, `strings`,
`has`); `done()` then refuses any other, with a did-you-mean, so a typo such as
`redakt:` is an error instead of a silently ignored setting.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Self

from ..errors import BAD_FIELD, MISSING_FIELD, ContractError
from ..files import display

__all__ = ["FIX", "UNKNOWN_FIELD", "Fields"]

_DURATION = re.compile(r"(?:\d+[smhd])+")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LONGEST = timedelta.max // timedelta(seconds=1)  # whole seconds
_PART = re.compile(r"(\d+)([smhd])")

FIX = "see contracts/README.md for the format"
UNKNOWN_FIELD = "{where}: unknown field {field!r}{hint}; {fix}"


class Fields:
    """A YAML mapping being read, with errors that name the file and the field."""

    def __init__(self, data: Any, path: Path, prefix: str = "") -> None:
        self.path = path
        self.prefix = prefix
        if not isinstance(data, dict):
            where = display(path)
            what = "the file" if not prefix else f"field {prefix.rstrip('.')!r}"
            raise ContractError(f"{where}: {what} must be a mapping of fields; {FIX}")
        self.data: dict[str, Any] = data
        self.read: set[str] = set()  # the fields the loader asked for: the known ones

    def has(self, name: str) -> bool:
        self.read.add(name)
        return self.data.get(name) is not None

    def done(self, *also: str) -> None:
        """Refuse any field the loader never asked for: a typo (`redakt:`) must not pass."""
        known = self.read | set(also)
        for name in self.data:
            if name not in known:
                import difflib  # here: only an unknown field pays for it (start-up)

                close = difflib.get_close_matches(str(name), sorted(known), n=1)
                hint = f" (did you mean {self.prefix + close[0]!r}?)" if close else ""
                raise ContractError(
                    UNKNOWN_FIELD.format(
                        where=display(self.path), field=self.prefix + str(name), hint=hint, fix=FIX
                    )
                )

    def _fail(self, name: str, problem: str) -> ContractError:
        return ContractError(
            BAD_FIELD.format(
                where=display(self.path), field=self.prefix + name, problem=problem, fix=FIX
            )
        )

    def required(self, name: str, kind: type | tuple[type, ...] = str) -> Any:
        self.read.add(name)
        if self.data.get(name) is None:
            raise ContractError(
                MISSING_FIELD.format(where=display(self.path), field=self.prefix + name, fix=FIX)
            )
        return self.optional(name, kind)

    def optional(self, name: str, kind: type | tuple[type, ...] = str, default: Any = None) -> Any:
        self.read.add(name)
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, kind):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            return_type = {"str": "a string", "dict": "a mapping", "list": "a list"}.get(
                names, names
            )
            raise self._fail(name, f"must be {return_type}, not {type(value).__name__}")
        return value

    def sub(self, name: str, required: bool = False) -> Self:
        value = self.required(name, dict) if required else self.optional(name, dict, {})
        return type(self)(value, self.path, f"{self.prefix}{name}.")

    def strings(self, name: str) -> tuple[str, ...]:
        values = self.optional(name, list, [])
        if not all(isinstance(v, str) for v in values):
            raise self._fail(name, "must be a list of strings")
        return tuple(values)

    def duration(self, name: str) -> timedelta | None:
        """A duration written as numbers with units, `90d`, `12h`, `1d12h` (s, m, h, d)."""
        value = self.optional(name, (str, int))
        if value is None:
            return None
        found = parse_duration(str(value))
        if found is None:
            raise self._fail(name, f"must be a duration such as 90d or 12h, not {value!r}")
        if not found:
            raise self._fail(name, "must be longer than 0")
        return found


def parse_duration(text: str) -> timedelta | None:
    """`90m`, `26h`, `2d`, `1d12h`: numbers with units (s, m, h, d); None when `text` is not
    one. The one reader of durations: manifests (`max_age`), `--max-age`, `--waiver-horizon`."""
    text = text.strip().lower()
    if not _DURATION.fullmatch(text):
        return None
    seconds = sum(int(n) * _UNIT[u] for n, u in _PART.findall(text))
    # an absurd one is as long as a duration gets, for the caller's bound to refuse
    return timedelta(seconds=min(seconds, _LONGEST))
