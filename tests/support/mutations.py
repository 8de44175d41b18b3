"""Real success bodies, and the ways of breaking them that mis-bill or mis-route a gateway.

The bodies are every 200 answer the repository holds: the committed cassettes and the
corpus of real responses in tests/data/real. Each `Mutation` changes one body minimally
(a wrong total, a negative count, a tool call that cannot be run, content after the
finish, a second message_start...) or says it does not apply (None), and names the rule
that must catch it. `tests/contracts/test_rules_on_real_answers.py` checks that every one is caught, and
`scripts/rules_mutations.py` counts how many a version of the contracts rejects.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Event = list[Any]  # [event name or None, parsed data]
OPENAI_LIKE = ("openai", "openrouter", "portkey")


@dataclass(frozen=True)
class Real:
    """A real 200 body: where it came from, the endpoint it answers, its text."""

    source: str
    provider: str
    endpoint: str
    text: str

    @property
    def streamed(self) -> bool:
        return self.endpoint.endswith("_stream")

    @property
    def endpoint_id(self) -> str:
        return f"{self.provider}/{self.endpoint}"

    def parsed(self) -> Any:
        """The JSON body, or the stream's data events as [name, data] pairs."""
        if not self.streamed:
            return json.loads(self.text)
        events: list[Event] = []
        name = None
        for line in self.text.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
                events.append([name, data if data == "[DONE]" else json.loads(data)])
                name = None
        return events


def real_bodies(repo: Path) -> Iterator[Real]:
    """Every 200 success body of the cassettes and of tests/data/real."""
    for path in sorted((repo / "cassettes").glob("*/*.json")):
        for number, item in enumerate(json.loads(path.read_text())["interactions"]):
            response, body = item["response"], item["response"].get("body") or {}
            if response["status"]["code"] != 200 or not ({"json", "sse"} & set(body)):
                continue
            text = json.dumps(body["json"]) if "json" in body else "\n".join(body["sse"])
            yield Real(f"cassettes/{path.parent.name}/{path.name} #{number}",
                       path.parent.name, path.stem, text)  # fmt: skip
    corpus = repo / "tests" / "data" / "real"
    for entry in json.loads((corpus / "index.json").read_text(encoding="utf-8")):
        if entry["status"] == 200 and entry["expect"] == "pass":
            text = (corpus / entry["file"]).read_text(encoding="utf-8")
            yield Real(
                f"tests/data/real/{entry['file']}", entry["provider"], entry["endpoint"], text
            )


def is_error(real: Real, value: Any) -> bool:
    if real.streamed:
        return any(isinstance(d, dict) and ("error" in d or n == "error") for n, d in value)
    return isinstance(value, dict) and ("error" in value or value.get("type") == "error")


def sse(events: list[Event]) -> str:
    """A stream body from [name, data] events."""
    parts = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        parts.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(parts)


def serialize(real: Real, value: Any) -> str:
    return sse(value) if real.streamed else json.dumps(value)


@dataclass(frozen=True)
class Mutation:
    """One way of breaking a body, the endpoints it applies to, and the rule that catches it."""

    name: str
    rule: str
    providers: tuple[str, ...]
    streamed: bool
    change: Callable[[Any], Any]  # a copy of the parsed body -> broken body, or None

    def applies(self, real: Real) -> bool:
        return real.provider in self.providers and real.streamed == self.streamed

    def apply(self, real: Real) -> str | None:
        value = real.parsed()
        if is_error(real, value):
            return None
        broken = self.change(copy.deepcopy(value))
        return None if broken is None else serialize(real, broken)


# --- helpers ------------------------------------------------------------------------------


def _usage(body: Any) -> dict[str, Any] | None:
    usage = body.get("usage") if isinstance(body, dict) else None
    return usage if isinstance(usage, dict) else None


def _set(node: dict[str, Any] | None, key: str, value: Callable[[Any], Any]) -> bool:
    if node is None or not isinstance(node.get(key), int):
        return False
    node[key] = value(node[key])
    return True


def _json(change: Callable[[Any], bool]) -> Callable[[Any], Any]:
    return lambda body: body if change(body) else None


def _choices(body: Any) -> list[dict[str, Any]]:
    return [c for c in body.get("choices") or [] if isinstance(c.get("message"), dict)]


def _calls(body: Any) -> list[dict[str, Any]]:
    return [call for c in _choices(body) for call in c["message"].get("tool_calls") or []]


def _first(items: list[Any]) -> Any:
    return items[0] if items else None


# --- OpenAI-compatible completions ---------------------------------------------------------


def _total_off(body: Any) -> bool:
    return _set(_usage(body), "total_tokens", lambda n: n + 1)


def _negative_prompt(body: Any) -> bool:
    return _set(_usage(body), "prompt_tokens", lambda n: -n - 1)


def _negative_detail(body: Any) -> bool:
    usage = _usage(body) or {}
    details = usage.get("prompt_tokens_details")
    return _set(details if isinstance(details, dict) else None, "cached_tokens", lambda n: -1)


def _cached_exceeds(body: Any) -> bool:
    usage = _usage(body) or {}
    details = usage.get("prompt_tokens_details")
    if not isinstance(details, dict) or not isinstance(usage.get("prompt_tokens"), int):
        return False
    details["cached_tokens"] = usage["prompt_tokens"] + 1
    return True


def _reasoning_exceeds(body: Any) -> bool:
    usage = _usage(body) or {}
    details = usage.get("completion_tokens_details")
    if not isinstance(details, dict) or not isinstance(usage.get("completion_tokens"), int):
        return False
    details["reasoning_tokens"] = usage["completion_tokens"] + 1
    return True


def _tool_calls_without_calls(body: Any) -> bool:
    choice = _first(_choices(body))
    if choice is None:
        return False
    choice["finish_reason"] = "tool_calls"
    choice["message"].pop("tool_calls", None)
    return True


def _blank_call_id(body: Any) -> bool:
    call = _first(_calls(body))
    if call is None:
        return False
    call["id"] = ""
    return True


def _blank_call_name(body: Any) -> bool:
    call = _first(_calls(body))
    if call is None or not isinstance(call.get("function"), dict):
        return False
    call["function"]["name"] = ""
    return True


def _cut_arguments(body: Any) -> bool:
    for choice in _choices(body):
        if choice.get("finish_reason") not in ("stop", "tool_calls"):
            continue
        for call in choice["message"].get("tool_calls") or []:
            arguments = (call.get("function") or {}).get("arguments")
            if isinstance(arguments, str) and len(arguments) > 1:
                call["function"]["arguments"] = arguments[:-1]
                return True
    return False


def _negative_cost(body: Any) -> bool:
    usage = _usage(body)
    if usage is None or not isinstance(usage.get("cost"), (int, float)):
        return False
    usage["cost"] = -usage["cost"] - 0.001
    return True


# --- Anthropic messages --------------------------------------------------------------------


def _tool_use_without_block(body: Any) -> bool:
    if not isinstance(body.get("content"), list):
        return False
    body["stop_reason"] = "tool_use"
    body["content"] = [b for b in body["content"] if b.get("type") != "tool_use"]
    return True


def _negative_input(body: Any) -> bool:
    return _set(_usage(body), "input_tokens", lambda n: -n - 1)


def _negative_cache_read(body: Any) -> bool:
    return _set(_usage(body), "cache_read_input_tokens", lambda n: -n - 1)


def _cache_breakdown_off(body: Any) -> bool:
    usage = _usage(body) or {}
    breakdown = usage.get("cache_creation")
    return _set(breakdown if isinstance(breakdown, dict) else None,
                "ephemeral_5m_input_tokens", lambda n: n + 7)  # fmt: skip


def _blank_tool_use_id(body: Any) -> bool:
    block = _first([b for b in body.get("content") or [] if b.get("type") == "tool_use"])
    if block is None:
        return False
    block["id"] = ""
    return True


# --- Stripe ----------------------------------------------------------------------------------

_STRIPE = {"payment_intent": "amount", "checkout.session": "amount_total", "charge": "amount"}


def _negative_amount(body: Any) -> bool:
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind = node.get("object")
            field = _STRIPE.get(kind) if isinstance(kind, str) else None
            if field and isinstance(node.get(field), int):
                node[field] = -node[field] - 100
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


# --- OpenAI-compatible streams ---------------------------------------------------------------


def _chunks(events: list[Event]) -> list[dict[str, Any]]:
    return [d for _, d in events if isinstance(d, dict)]


def _usage_event(events: list[Event]) -> int | None:
    return _first([i for i, (_, d) in enumerate(events) if isinstance(d, dict) and _usage(d)])


def _content_after_finish(events: list[Event]) -> list[Event] | None:
    finish = _first([i for i, (_, d) in enumerate(events)
                     if isinstance(d, dict) and any(c.get("finish_reason") for c in d.get("choices") or [])])  # fmt: skip
    content = _first([d for _, d in events if isinstance(d, dict)
                      and any((c.get("delta") or {}).get("content") for c in d.get("choices") or [])])  # fmt: skip
    if finish is None or content is None:
        return None
    extra = copy.deepcopy(content)
    for choice in extra["choices"]:
        choice["finish_reason"] = None
    return [*events[: finish + 1], [None, extra], *events[finish + 1 :]]


def _second_usage_chunk(events: list[Event]) -> list[Event] | None:
    at = _usage_event(events)
    return None if at is None else [*events[: at + 1], copy.deepcopy(events[at]), *events[at + 1 :]]


def _stream_total_off(events: list[Event]) -> list[Event] | None:
    at = _usage_event(events)
    return events if at is not None and _total_off(events[at][1]) else None


def _stream_finish_tool_calls(events: list[Event]) -> list[Event] | None:
    if any(
        (c.get("delta") or {}).get("tool_calls")
        for d in _chunks(events)
        for c in d.get("choices") or []
    ):
        return None
    finished = False
    for _, data in events:
        for choice in data.get("choices") or [] if isinstance(data, dict) else []:
            if choice.get("finish_reason"):
                choice["finish_reason"] = "tool_calls"
                finished = True
    return events if finished else None


def _stream_cut_arguments(events: list[Event]) -> list[Event] | None:
    last = None
    for number, (_, data) in enumerate(events):
        for choice in data.get("choices") or [] if isinstance(data, dict) else []:
            for call in (choice.get("delta") or {}).get("tool_calls") or []:
                if (call.get("function") or {}).get("arguments"):
                    last = number
    if last is None:
        return None
    return [e for number, e in enumerate(events) if number != last]


# --- Anthropic streams -----------------------------------------------------------------------


def _names(events: list[Event]) -> list[Any]:
    return [name for name, _ in events]


def _second_message_start(events: list[Event]) -> list[Event] | None:
    if "message_start" not in _names(events):
        return None
    at = _names(events).index("message_start")
    return [*events[: at + 1], copy.deepcopy(events[at]), *events[at + 1 :]]


def _block_types(events: list[Event]) -> dict[int, str]:
    return {d["index"]: d["content_block"]["type"] for n, d in events if n == "content_block_start"}


def _delta_type_swap(events: list[Event], block: str, new: dict[str, Any]) -> list[Event] | None:
    types = _block_types(events)
    for name, data in events:
        if name == "content_block_delta" and types.get(data["index"]) == block:
            data["delta"] = dict(new)
            return events
    return None


def _json_delta_in_text(events: list[Event]) -> list[Event] | None:
    return _delta_type_swap(events, "text", {"type": "input_json_delta", "partial_json": "{}"})


def _text_delta_in_tool_use(events: list[Event]) -> list[Event] | None:
    return _delta_type_swap(events, "tool_use", {"type": "text_delta", "text": "x"})


def _no_stop_reason(events: list[Event]) -> list[Event] | None:
    for name, data in events:
        if name == "message_delta":
            data["delta"]["stop_reason"] = None
            return events
    return None


def _blocks_out_of_order(events: list[Event]) -> list[Event] | None:
    if len(_block_types(events)) < 2:
        return None
    last = max(_block_types(events))
    for name, data in events:
        if (
            name in ("content_block_start", "content_block_delta", "content_block_stop")
            and data["index"] == last
        ):
            data["index"] = last + 1
    return events


def _block_never_stopped(events: list[Event]) -> list[Event] | None:
    stops = [i for i, (name, _) in enumerate(events) if name == "content_block_stop"]
    return None if not stops else [e for i, e in enumerate(events) if i != stops[-1]]


def _cut_tool_input(events: list[Event]) -> list[Event] | None:
    types = _block_types(events)
    pieces = [i for i, (n, d) in enumerate(events) if n == "content_block_delta"
              and types.get(d["index"]) == "tool_use" and d["delta"].get("partial_json")]  # fmt: skip
    if not pieces:
        return None
    events[pieces[-1]][1]["delta"]["partial_json"] = events[pieces[-1]][1]["delta"]["partial_json"][
        :-1
    ]
    return events


def _stream_tool_use_without_block(events: list[Event]) -> list[Event] | None:
    if "tool_use" in _block_types(events).values():
        return None
    for name, data in events:
        if name == "message_delta":
            data["delta"]["stop_reason"] = "tool_use"
            return events
    return None


def _stream_negative_output(events: list[Event]) -> list[Event] | None:
    for name, data in events:
        if name == "message_delta" and _set(_usage(data), "output_tokens", lambda n: -n - 1):
            return events
    return None


A = ("anthropic",)
MUTATIONS = [
    Mutation("total off by one", "total_is_prompt_plus_completion", OPENAI_LIKE, False, _json(_total_off)),
    Mutation("negative prompt_tokens", "token_counts_non_negative", OPENAI_LIKE, False, _json(_negative_prompt)),
    Mutation("negative cached_tokens", "token_counts_non_negative", OPENAI_LIKE, False, _json(_negative_detail)),
    Mutation("cached_tokens above prompt_tokens", "sub_counts_within_parent", OPENAI_LIKE, False, _json(_cached_exceeds)),
    Mutation("reasoning_tokens above completion_tokens", "sub_counts_within_parent", OPENAI_LIKE, False, _json(_reasoning_exceeds)),
    Mutation("finish tool_calls without a call", "tool_calls_finish_has_calls", OPENAI_LIKE, False, _json(_tool_calls_without_calls)),
    Mutation("tool call with an empty id", "tool_calls_identified", OPENAI_LIKE, False, _json(_blank_call_id)),
    Mutation("tool call with an empty name", "tool_calls_identified", OPENAI_LIKE, False, _json(_blank_call_name)),
    Mutation("tool arguments cut short", "tool_arguments_parse", OPENAI_LIKE, False, _json(_cut_arguments)),
    Mutation("negative cost", "costs_non_negative", ("openrouter",), False, _json(_negative_cost)),
    Mutation("stop tool_use without a tool_use block", "tool_use_stop_has_block", A, False, _json(_tool_use_without_block)),
    Mutation("negative input_tokens", "token_counts_non_negative", A, False, _json(_negative_input)),
    Mutation("negative cache_read_input_tokens", "token_counts_non_negative", A, False, _json(_negative_cache_read)),
    Mutation("cache_creation breakdown off", "sub_counts_within_parent", A, False, _json(_cache_breakdown_off)),
    Mutation("tool_use block with an empty id", "tool_calls_identified", A, False, _json(_blank_tool_use_id)),
    Mutation("negative Stripe amount", "stripe_amounts_non_negative", ("stripe",), False, _json(_negative_amount)),
    Mutation("content after the finish chunk", "nothing_after_finish", OPENAI_LIKE, True, _content_after_finish),
    Mutation("two usage chunks", "one_usage_chunk", OPENAI_LIKE, True, _second_usage_chunk),
    Mutation("usage chunk total off by one", "total_is_prompt_plus_completion", OPENAI_LIKE, True, _stream_total_off),
    Mutation("streamed finish tool_calls without a call", "chunks_fold_into_completion", OPENAI_LIKE, True, _stream_finish_tool_calls),
    Mutation("streamed tool arguments cut short", "chunks_fold_into_completion", OPENAI_LIKE, True, _stream_cut_arguments),
    Mutation("two message_start events", "message_start_once", A, True, _second_message_start),
    Mutation("input_json_delta in a text block", "delta_fits_block", A, True, _json_delta_in_text),
    Mutation("text_delta in a tool_use block", "delta_fits_block", A, True, _text_delta_in_tool_use),
    Mutation("message_delta without a stop_reason", "message_delta_has_stop_reason", A, True, _no_stop_reason),
    Mutation("content blocks out of index order", "content_blocks_balanced", A, True, _blocks_out_of_order),
    Mutation("a content block never stopped", "content_blocks_balanced", A, True, _block_never_stopped),
    Mutation("streamed tool input cut short", "tool_input_parses", A, True, _cut_tool_input),
    Mutation("streamed stop tool_use without a tool_use block", "events_fold_into_message", A, True, _stream_tool_use_without_block),
    Mutation("negative output_tokens in message_delta", "token_counts_non_negative", A, True, _stream_negative_output),
]  # fmt: skip
