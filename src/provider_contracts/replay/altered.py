"""A recording with the alterations that fired applied: the one place the replay server
and the test transports bend an answer's headers, body and stream.

Body alterations (`drop`, `retype`, `add`, `echo`) change a JSON body and every JSON data
event of a stream; `echo` also adds an `X-Echo-HEADER` header; `cut` ends a stream halfway
through a data line, after N whole data events or, written `cut:tool`, inside the first
event that carries a tool call's arguments. Faults that replace the answer (a status, a
hang, a reset) and `slow` are the caller's: they happen at the socket or in the client.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

import orjson

from .alterations import BODY_ACTIONS, Alteration, alter_body
from .playback import Recording

__all__ = ["TOOL_CALL", "altered", "cut_events"]

_DATA_LINE = re.compile(r"^data:[^\r\n]*", re.M)
# A data event carrying a tool call's arguments: OpenAI's `tool_calls[].function.arguments`
# delta, Anthropic's `input_json_delta`.
TOOL_CALL = re.compile(r'"(?:tool_calls"[^\n]*"arguments|type":\s*"input_json_delta)"')


def altered(
    recording: Recording, fired: Sequence[Alteration], headers: Mapping[str, str]
) -> Recording:
    """The recording as answered once `fired` applies; itself when nothing changes it.

    `headers` are the request's, lower-cased (for `echo`).
    """
    body_alterations = [a for a in fired if a.action in BODY_ACTIONS]
    cut = next((a for a in fired if a.action == "cut"), None)
    if not body_alterations and cut is None:
        return recording
    answer_headers = list(recording.headers)
    for alteration in fired:
        if alteration.action == "echo":
            echoed = headers.get(alteration.header.lower(), "")
            answer_headers.append((f"X-Echo-{alteration.header}", echoed))
    content, events = recording.content, recording.events
    if events is not None:
        texts = [chunk.decode("utf-8") for chunk in events]
        if body_alterations:
            texts = [_alter_event(text, body_alterations, headers) for text in texts]
        if cut is not None:
            texts = cut_events(texts, cut)
        events = tuple(text.encode("utf-8") for text in texts)
        content = b"".join(events)
    elif body_alterations and recording.interaction.response.body.kind == "json":
        value = orjson.loads(content)  # as answered: a list may have been paged
        content = orjson.dumps(alter_body(value, body_alterations, dict(headers)))
    return dataclasses.replace(
        recording, headers=tuple(answer_headers), content=content, events=events
    )


def cut_events(events: list[str], cut: Alteration) -> list[str]:
    """The events up to the cut one, which ends halfway through its data line."""
    carrying = [n for n, event in enumerate(events) if _DATA_LINE.search(event)]
    if not carrying:
        return events
    if cut.value == "tool":
        tools = [n for n in carrying if TOOL_CALL.search(events[n])]
        at = tools[0] if tools else carrying[min(1, len(carrying) - 1)]
    else:
        at = carrying[min(cut.events, len(carrying) - 1)]
    event = events[at]
    data = _DATA_LINE.search(event)
    assert data is not None
    # Inside the data line's value: the event can neither end nor parse.
    middle = data.start() + len("data:") + max(len(data.group(0)) - len("data:"), 2) // 2
    return [*events[:at], event[:middle]]


def _alter_event(event: str, alterations: list[Alteration], headers: Mapping[str, str]) -> str:
    lines = event.split("\n")
    for number, line in enumerate(lines):
        if line.startswith("data:"):
            data = line[5:].lstrip(" ")
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue  # [DONE] and other sentinels
            changed = alter_body(value, alterations, dict(headers))
            lines[number] = "data: " + orjson.dumps(changed).decode()
    return "\n".join(lines)
