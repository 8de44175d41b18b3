"""Semantic and stream rules: what types alone cannot say about a response.

Each rule is one function in a family module, registered by name with the `rule`
decorator of `registry` (a leaf module), and named in an endpoint contract's `rules:`
(a JSON body) or `stream.rules:` (a stream). `contracts/README.md` has the table of every
rule: what it checks, why a gateway cares, which provider document backs it.

Families: `usage` (usage arithmetic, costs and amounts), `finish` (finish and stop
reasons agree with the content), `chunks` (OpenAI-compatible stream grammar), `events`
(Anthropic stream grammar), `folding` (a stream reassembled into one message).
"""

from __future__ import annotations

from . import chunks, events, finish, folding, usage
from .registry import RULES, Chunk, Rule, rule, run_body, run_stream, table

__all__ = [
    "RULES",
    "Chunk",
    "Rule",
    "chunks",
    "events",
    "finish",
    "folding",
    "rule",
    "run_body",
    "run_stream",
    "table",
    "usage",
]
