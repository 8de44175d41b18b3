"""JSON Schemas from `contracts/`: read, resolved locally, compiled once.

Validation runs on jsonschema-rs (a compiled Draft 2020-12 validator, about a hundred
times faster than the pure-Python one on a 1.5 MB `/models` body). Every `$ref` is
resolved from the contracts folder itself: each file is given the identity
`https://contracts.invalid/<path>`, and the retriever answers only for files under the
root, so nothing is ever fetched from the network.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

import jsonschema_rs

from ..errors import ContractError
from ..files import display, read_json
from .registry import SchemaRef

__all__ = ["BASE_URI", "SchemaStore", "iter_refs", "store_for"]

BASE_URI = "https://contracts.invalid/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
_SCHEMA_FIX = "fix the schema (contracts/README.md describes the layout)"


class SchemaStore:
    """Schema documents and compiled validators for one contracts root, cached."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._documents: dict[str, Any] = {}
        self._validators: dict[str, jsonschema_rs.Validator] = {}
        self._with: dict[tuple[str, tuple[str, ...]], jsonschema_rs.Validator] = {}

    def document(self, file: str) -> Any:
        """The parsed JSON of a schema file, `file` relative to the root."""
        if file not in self._documents:
            path = self.root / file
            doc = read_json(path, ContractError, fix=_SCHEMA_FIX)
            if not isinstance(doc, (dict, bool)):
                raise ContractError(
                    f"{display(path)}: a schema must be a JSON object; {_SCHEMA_FIX}"
                )
            self._documents[file] = doc
        return self._documents[file]

    def retrieve(self, uri: str) -> Any:
        url, _ = urldefrag(uri)
        if not url.startswith(BASE_URI):
            raise ValueError(f"{uri} is not a file under contracts/ (no network lookups)")
        file = url[len(BASE_URI) :]
        path = (self.root / file).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"{file} does not exist under contracts/")
        return self.document(path.relative_to(self.root).as_posix())

    def validator(self, ref: SchemaRef) -> jsonschema_rs.Validator:
        """The compiled validator for a schema reference (compiled on first use)."""
        key = str(ref)
        found = self._validators.get(key)
        if found is None:
            found = self._validators[key] = self._compile(ref)
        return found

    def validator_with(
        self, ref: SchemaRef, key: tuple[str, ...], also: Mapping[str, Any]
    ) -> jsonschema_rs.Validator:
        """A validator of the schema `ref` and the schema `also` at once (its `$defs` go to
        the root), cached under `key`: one compiled call where two would do the same."""
        both = (str(ref), key)
        found = self._with.get(both)
        if found is None:
            extra = {k: v for k, v in also.items() if k not in ("$schema", "$defs")}
            found = self._with[both] = self._compile(ref, extra, also.get("$defs"))
        return found

    def _compile(
        self, ref: SchemaRef, extra: Any = None, defs: Any = None
    ) -> jsonschema_rs.Validator:
        self.document(ref.file)  # a missing or broken file gets its own clear message
        wrapper: dict[str, Any] = {
            "$schema": DIALECT,
            "$ref": f"{BASE_URI}{ref.file}#{ref.pointer}",
        }
        if extra is not None:
            wrapper["allOf"] = [extra]
        if defs:
            wrapper["$defs"] = defs
        try:
            return jsonschema_rs.validator_for(
                wrapper, retriever=self.retrieve, base_uri=f"{BASE_URI}.entry"
            )
        except (
            jsonschema_rs.ValidationError,
            jsonschema_rs.ReferencingError,
            ValueError,
        ) as exc:
            detail = str(exc).splitlines()[0].replace(BASE_URI, "")
            raise ContractError(
                f"{display(ref.path)}: schema {ref} cannot be used: {detail}; {_SCHEMA_FIX}"
            ) from exc


_STORES: dict[Path, SchemaStore] = {}


def store_for(root: Path) -> SchemaStore:
    """The process-wide store for a contracts root, so each schema compiles once."""
    key = Path(root).resolve()
    if key not in _STORES:
        _STORES[key] = SchemaStore(key)
    return _STORES[key]


def iter_refs(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every `$ref` in a schema document: (JSON pointer of the keyword, the reference)."""
    if isinstance(node, dict):
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            if key == "$ref" and isinstance(value, str):
                yield f"{pointer}/$ref", value
            elif key not in ("const", "enum", "examples", "default"):
                yield from iter_refs(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from iter_refs(item, f"{pointer}/{index}")
