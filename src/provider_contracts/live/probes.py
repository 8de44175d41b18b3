"""Probes: each endpoint's cheapest live request (its contract's `probe:`), ready to send.

A probe may need a value from another endpoint's fresh answer: a path parameter or a
query value written `from:ENDPOINT` takes that answer's `id`, `from:ENDPOINT:PATH` the
value at PATH (`from:events_list:data[0].id`). `plan` orders the probes so that every such endpoint is
called first, adding it to the run when it was not asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from .. import jsonpath
from ..contract.registry import Endpoint, Provider
from ..errors import ContractError
from ..files import display

__all__ = ["Need", "Probe", "plan"]

_FROM = "from:"
BAD_FROM = (
    "{where}: probe.{name} {problem}; write from:ENDPOINT or from:ENDPOINT:PATH "
    "(contracts/README.md)"
)


@dataclass(frozen=True, slots=True)
class Need:
    """A path parameter or query value filled from another endpoint's fresh answer."""

    param: str
    endpoint: str  # the endpoint's name, same provider
    path: tuple[jsonpath.Token, ...]
    text: str  # as written, for messages
    field: str = "id"  # the path as written
    location: str = "path_params"  # or "query"


@dataclass(frozen=True, slots=True)
class Probe:
    """One call to make: the endpoint, and the request its contract's probe describes."""

    endpoint: Endpoint
    base_url: str
    headers: Mapping[str, str]
    json: Any = None
    form: Mapping[str, str] | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    path_params: Mapping[str, str] = field(default_factory=dict)
    needs: tuple[Need, ...] = ()
    cost_usd: float = 0.0
    wanted: bool = True  # False: called only because another probe needs its answer

    @property
    def method(self) -> str:
        return self.endpoint.method

    @property
    def path(self) -> str:
        """The endpoint's path, `{name}` filled where the value is known."""
        path = self.endpoint.path
        for name, value in self.path_params.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        return path

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.path

    def with_params(
        self, values: Mapping[str, str], query: Mapping[str, str] | None = None
    ) -> Probe:
        return replace(
            self, path_params={**self.path_params, **values}, query={**self.query, **(query or {})}
        )


def plan(
    provider: Provider,
    endpoints: Iterable[Endpoint],
    base_url: str | None = None,
) -> list[Probe]:
    """The probes of these endpoints (of one provider), each after the ones it needs."""
    base = (base_url or provider.base_url).rstrip("/")
    wanted = {ep.name for ep in endpoints}
    ordered: list[Probe] = []
    seen: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in seen:
            return
        endpoint = provider.endpoints[name]
        probe = _probe(endpoint, base, name in wanted, set(provider.endpoints))
        for need in probe.needs:
            if need.endpoint in (*chain, name):
                raise ContractError(
                    BAD_FROM.format(
                        where=display(endpoint.file),
                        name=f"{need.location}.{need.param}",
                        problem=f"makes a cycle through {need.endpoint}",
                    )
                )
            visit(need.endpoint, (*chain, name))
        seen.add(name)
        ordered.append(probe)

    for endpoint in provider.endpoints.values():
        if endpoint.name in wanted:
            visit(endpoint.name, ())
    return ordered


def _probe(endpoint: Endpoint, base_url: str, wanted: bool, known: set[str]) -> Probe:
    spec = endpoint.probe
    where = display(endpoint.file)
    params: dict[str, str] = {}
    query: dict[str, str] = {}
    needs: list[Need] = []
    for location, filled in (("path_params", params), ("query", query)):
        for name, value in dict(spec.get(location) or {}).items():
            text = _form_value(value)
            if not text.startswith(_FROM):
                filled[str(name)] = text
                continue
            label = f"{location}.{name}"
            source, _, path_text = text[len(_FROM) :].partition(":")
            if source not in known:
                raise ContractError(
                    BAD_FROM.format(
                        where=where,
                        name=label,
                        problem=f"names {source!r}, not an endpoint of {endpoint.provider}",
                    )
                )
            try:
                path = jsonpath.parse(path_text or "id")
            except ValueError as exc:
                raise ContractError(
                    BAD_FROM.format(where=where, name=label, problem=str(exc))
                ) from None
            needs.append(Need(str(name), source, path, text, path_text or "id", location))
    form = spec.get("form")
    return Probe(
        endpoint=endpoint,
        base_url=base_url,
        headers={str(k): str(v) for k, v in dict(spec.get("headers") or {}).items()},
        json=spec.get("json"),
        form={str(k): _form_value(v) for k, v in form.items()} if isinstance(form, dict) else None,
        query=query,
        path_params=params,
        needs=tuple(needs),
        cost_usd=float(spec.get("estimated_cost_usd") or 0.0),
        wanted=wanted,
    )


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
