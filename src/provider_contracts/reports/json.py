"""The full result as JSON: what the staging gate and other tools read."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import orjson

from ..verify.offline import EXIT_FOR, VerifyResult

__all__ = ["SCHEMA_VERSION", "render", "to_dict"]

SCHEMA_VERSION = 1


def to_dict(result: VerifyResult) -> dict[str, Any]:
    return {
        "report_version": SCHEMA_VERSION,
        "tool": "provider-contracts",
        "mode": result.mode,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "exit_code": result.exit_code,
        "providers": result.providers,
        "base_urls": dict(result.base_urls),  # called instead of the manifests' (--base-url)
        "summary": {
            "endpoints": len(result.endpoints),
            "interactions": result.count("interactions"),
            "violations": result.count("violations"),
            "error_branch": result.count("error_branch"),
            **{outcome: result.count(outcome) for outcome in EXIT_FOR},
        },
        "endpoints": [
            {
                "endpoint": e.endpoint,
                "outcome": e.outcome,
                "note": e.note,
                "cassettes": list(e.cassettes),
                "provenance": dict(e.provenance),
                "interactions": [
                    {
                        "index": i.index,
                        "name": i.name,
                        "cassette": i.cassette,
                        "status": i.status,
                        "branch": i.branch,
                        "events": i.events,
                        "violations": [_record(v) for v in i.violations],
                    }
                    for i in e.interactions
                ],
                "drift": [d.to_dict() for d in e.drift],
            }
            for e in result.endpoints
        ],
    }


def _record(item: Any) -> dict[str, Any]:
    """A flat dataclass as a dict: `dataclasses.asdict` deep-copies, which costs 4x here."""
    return {f.name: getattr(item, f.name) for f in fields(item)}


def render(result: VerifyResult) -> str:
    return orjson.dumps(to_dict(result), option=orjson.OPT_INDENT_2).decode() + "\n"
