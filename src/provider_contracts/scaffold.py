"""Scaffolding: a new OpenAI-compatible provider's manifest and contracts, from the shared shapes.

A provider that speaks OpenAI's chat completions API needs no schema of its own to
start with: its contracts reference the shapes under `contracts/_shared/` (the chat
completion, the streamed chunk, the model list, OpenAI's error body) and are narrowed
or extended once its real answers are recorded. `scaffold` writes the provider folder
whole or not at all, and never over an existing one.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import yaml

from .contract.registry import ENDPOINTS, MANIFEST, SHARED
from .errors import NO_CONTRACTS, ContractError, InputError
from .files import display

__all__ = [
    "CHECKS",
    "ENDPOINT_NAMES",
    "NewProvider",
    "Scaffolded",
    "check_auth_header",
    "check_auth_scheme",
    "check_base_url",
    "check_key_env",
    "check_name",
    "files_for",
    "scaffold",
]

ENDPOINT_NAMES = ("chat_completions", "chat_completions_stream", "models")
CHAT_SHAPES = "openai_chat.schema.json"
MODEL_SHAPES = "openai_models.schema.json"
PLACEHOLDER_MODEL = "CHANGE-ME"
_ONE_LINE = 1 << 30  # a YAML width no scalar reaches, so none is folded

# User-facing messages, kept here so tests can assert them. Each is the problem and
# its fix; the front end says which option or field it is about.
BAD_NAME = (
    "{value!r} is not a provider name: use lowercase letters, digits, '_' and '-', "
    "starting with a letter or digit (e.g. together-ai)"
)
BAD_BASE_URL = (
    "{value!r} is not an http(s) base URL; give the API's base, without query or fragment, "
    "e.g. https://api.together.xyz/v1"
)
BAD_KEY_ENV = "{value!r} is not an UPPER_SNAKE environment variable name; use e.g. TOGETHER_API_KEY"
BAD_AUTH_HEADER = "{value!r} is not an HTTP header name; use e.g. Authorization or x-api-key"
CLEARTEXT_BASE_URL = (
    "{value!r} is http:// to another machine, so the key would travel in cleartext; "
    "use https://, or http:// only to 127.0.0.1, localhost or [::1]"
)
BAD_AUTH_SCHEME = (
    '{value!r} is not an auth scheme: one word such as Bearer, or "" to send the bare key'
)
ALREADY_EXISTS = (
    "{where} already exists; `contracts new` never overwrites a provider: "
    "choose another name, or edit its files by hand"
)
NO_SHARED_SHAPES = (
    "{where} is missing, and new providers are built on its shared shapes; "
    "restore it from git (contracts/README.md)"
)

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ENV = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")  # an HTTP token (RFC 9110)


def check_name(value: str) -> str | None:
    """The problem with a provider name, or None when it is usable as a folder and an id."""
    return None if _NAME.fullmatch(value) else BAD_NAME.format(value=value)


def check_base_url(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        # The registry reads the scheme as written, so "HTTPS://" is refused here too.
        valid = value.startswith(("http://", "https://")) and bool(parts.hostname)
        valid = valid and not (parts.query or parts.fragment)  # paths are appended to it
        _ = parts.port  # raises ValueError on a port that is not a number
    except ValueError:
        valid = False
    if not valid or any(c.isspace() for c in value):
        return BAD_BASE_URL.format(value=value)
    if value.startswith("http://") and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return CLEARTEXT_BASE_URL.format(value=value)
    return None


def check_key_env(value: str) -> str | None:
    return None if _ENV.fullmatch(value) else BAD_KEY_ENV.format(value=value)


def check_auth_header(value: str) -> str | None:
    return None if _TOKEN.fullmatch(value) else BAD_AUTH_HEADER.format(value=value)


def check_auth_scheme(value: str | None) -> str | None:
    if value is None or value == "" or _TOKEN.fullmatch(value):
        return None
    return BAD_AUTH_SCHEME.format(value=value)


CHECKS: dict[str, Callable[[str], str | None]] = {
    "name": check_name,
    "base_url": check_base_url,
    "key_env": check_key_env,
    "auth_header": check_auth_header,
    "auth_scheme": check_auth_scheme,
}


@dataclass(frozen=True, slots=True)
class NewProvider:
    """What a new OpenAI-compatible provider is: its name, where it answers, how it is keyed."""

    name: str
    base_url: str
    key_env: str
    auth_header: str = "Authorization"
    auth_scheme: str | None = "Bearer"  # None or "": the header carries the bare key
    title: str | None = None
    model: str | None = None  # the chat model the probes ask; a placeholder when unknown

    def problems(self) -> list[tuple[str, str]]:
        """(field, problem) for every field that cannot be used."""
        checked = ((name, check(getattr(self, name) or "")) for name, check in CHECKS.items())
        return [(name, problem) for name, problem in checked if problem is not None]


@dataclass(frozen=True, slots=True)
class Scaffolded:
    """What `scaffold` wrote."""

    provider: str
    folder: Path
    files: tuple[Path, ...]
    model_is_placeholder: bool


def files_for(spec: NewProvider) -> dict[str, bytes]:
    """The files of the provider folder, by path relative to it."""
    files = {MANIFEST: _manifest(spec).encode()}
    for name in ENDPOINT_NAMES:
        files[f"{ENDPOINTS}/{name}.yaml"] = _ENDPOINTS[name](spec).encode()
    for name, schema in _schemas(spec).items():
        files[f"schemas/{name}"] = orjson.dumps(schema, option=orjson.OPT_INDENT_2) + b"\n"
    return files


def scaffold(contracts_root: Path, spec: NewProvider) -> Scaffolded:
    """Write the provider folder under `contracts_root`: whole, or not at all; never over one."""
    problems = spec.problems()
    if problems:
        name, problem = problems[0]
        raise InputError(f"{name}: {problem}")
    if not contracts_root.is_dir():
        raise ContractError(NO_CONTRACTS.format(where=display(contracts_root)))
    for shapes in (CHAT_SHAPES, MODEL_SHAPES):
        if not (contracts_root / SHARED / shapes).is_file():
            where = display(contracts_root / SHARED / shapes)
            raise ContractError(NO_SHARED_SHAPES.format(where=where))
    folder = contracts_root / spec.name
    if folder.exists():
        raise InputError(ALREADY_EXISTS.format(where=display(folder)))
    files = files_for(spec)
    # Built in a hidden folder beside the target (the registry skips dot-folders), then
    # renamed into place in one step: a crash leaves no half-written provider behind.
    staging = contracts_root / f".{spec.name}.{secrets.token_hex(4)}.new"
    staging.mkdir()  # with the umask's permissions, unlike mkdtemp's 0700
    try:
        for relative, data in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if folder.exists():  # created meanwhile by someone else
            raise InputError(ALREADY_EXISTS.format(where=display(folder)))
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Scaffolded(
        provider=spec.name,
        folder=folder,
        files=tuple(folder / relative for relative in files),
        model_is_placeholder=not spec.model,
    )


# --- what is written ------------------------------------------------------------------------


def _q(value: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly this string, on one line."""
    dumped: str = yaml.safe_dump(value, default_style='"', width=_ONE_LINE, allow_unicode=True)
    return dumped.rstrip("\n")


def _manifest(spec: NewProvider) -> str:
    scheme = f"  scheme: {_q(spec.auth_scheme)}\n" if spec.auth_scheme else ""
    redact = ["Authorization", "Cookie", "Set-Cookie"]
    if spec.auth_header.lower() not in (h.lower() for h in redact):
        redact.insert(0, spec.auth_header)
    return f"""\
# {spec.name}: an OpenAI-compatible API, scaffolded by `contracts new`.
# Its contracts reference the shared OpenAI-compatible shapes in ../_shared; once its
# real answers are recorded, narrow or extend them in schemas/ and note there where
# they depart from the provider's published description.
title: {_q(spec.title or spec.name)}
base_url: {_q(spec.base_url.rstrip("/"))}
auth:
  env: {spec.key_env}
  header: {_q(spec.auth_header)}
{scheme}redact:
  headers: [{", ".join(_q(h) for h in redact)}]
volatile:
  - id
  - created
  - model
  - system_fingerprint
  - choices[].message.content
  - choices[].message.tool_calls[].id
  - choices[].message.tool_calls[].function.arguments
  - choices[].delta.content
  - choices[].delta.tool_calls[].id
  - choices[].delta.tool_calls[].function.arguments
  - usage.prompt_tokens
  - usage.completion_tokens
  - usage.total_tokens
  - usage.prompt_tokens_details
  - usage.completion_tokens_details
  - error.message
api_version: null
sources: []
"""


# The rules every OpenAI-compatible provider's chat endpoints keep (as OpenAI's do).
CHAT_RULES = (
    "token_counts_non_negative",
    "total_is_prompt_plus_completion",
    "sub_counts_within_parent",
    "tool_calls_finish_has_calls",
    "tool_calls_identified",
    "tool_arguments_parse",
)
STREAM_RULES = (
    "usage_chunk_last",
    "one_usage_chunk",
    "nothing_after_finish",
    "token_counts_non_negative",
    "total_is_prompt_plus_completion",
    "sub_counts_within_parent",
    "chunks_fold_into_completion",
)


def _chat(spec: NewProvider, stream: bool = False) -> str:
    """The contract of chat_completions, or with `stream` of chat_completions_stream."""
    what, sends, body = _STREAMED if stream else _PLAIN
    model = f"    model: {_q(spec.model)}\n" if spec.model else _NO_MODEL
    head = _CHAT_CONTRACT.format(what=what, model=model, sends=sends, body=body)
    if stream:
        return head + _STREAM_TAIL.replace("RULES", ", ".join(STREAM_RULES))
    return head + f'rules: [{", ".join(CHAT_RULES)}]   # contracts/README.md, "Semantic rules"\n'


_PLAIN = (
    "Non-streamed chat completion (POST /chat/completions, OpenAI-compatible)",
    "",
    "chat_completion",
)
_NO_MODEL = (
    "    # The cheapest chat model this provider serves: set it before recording.\n"
    f"    model: {PLACEHOLDER_MODEL}\n"
)
_STREAMED = (
    "Streamed chat completion (POST /chat/completions with stream true, server-sent events)",
    "    stream: true\n    stream_options: {include_usage: true}\n",
    "chat_chunk",
)
_CHAT_CONTRACT = """\
description: {what}.
method: POST
path: /chat/completions
probe:
  json:
{model}    messages: [{{role: user, content: Say OK}}]
    max_tokens: 1
{sends}responses:
  "200": schemas/{body}.schema.json
  "4XX": schemas/error.schema.json
  "5XX": schemas/error.schema.json
"""
_STREAM_TAIL = """\
# A failure after the stream has started arrives, OpenAI-style, as a data event with a
# top-level "error".
error_branch:
  key: error
  schema: schemas/error.schema.json
stream:
  format: data
  event: schemas/chat_chunk.schema.json
  terminator: "[DONE]"
  rules: [RULES]
  folds_into: chat_completions
"""


def _models(spec: NewProvider) -> str:
    return """\
description: The models the key may use (GET /models).
method: GET
path: /models
probe:
  query: {}
  estimated_cost_usd: 0
responses:
  "200": schemas/models.schema.json
  "4XX": schemas/error.schema.json
  "5XX": schemas/error.schema.json
volatile:
  - data[].created
"""


_ENDPOINTS: dict[str, Callable[[NewProvider], str]] = {
    "chat_completions": _chat,
    "chat_completions_stream": lambda spec: _chat(spec, stream=True),
    "models": _models,
}

_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_CHAT = f"../../{SHARED}/{CHAT_SHAPES}#/$defs/"
_MODELS = f"../../{SHARED}/{MODEL_SHAPES}#/$defs/"
_COMMENT = (
    "Scaffolded by `contracts new` from the shared OpenAI-compatible shapes, which admit "
    "what every compatible provider sends. Once this provider's answers are recorded, "
    "narrow it where the provider publishes less (e.g. allOf {narrow}) and extend it "
    "with the fields it adds, noting where real responses depart from its published "
    "description."
)

_ERROR_COMMENT = (
    "Scaffolded by `contracts new`: OpenAI's error body, which compatible providers "
    "mostly copy. If this provider's differs (an integer code, no type or param, its "
    "own envelope), describe its shape here instead."
)


def _schemas(spec: NewProvider) -> dict[str, dict[str, object]]:
    title = spec.title or spec.name

    def schema(what: str, description: str, comment: str, ref: str) -> dict[str, object]:
        return {
            "$schema": _DIALECT,
            "title": f"{title} {what}",
            "description": description,
            "$comment": comment,
            "allOf": [{"$ref": ref}],
        }

    return {
        "chat_completion.schema.json": schema(
            "chat completion (non-streamed)",
            "POST /chat/completions, HTTP 200, application/json.",
            _COMMENT.format(narrow=_CHAT + "NarrowToOpenAIFinishReasons"),
            _CHAT + "ChatCompletion",
        ),
        "chat_chunk.schema.json": schema(
            "chat completion chunk (one SSE data event)",
            "POST /chat/completions with stream: true, HTTP 200, text/event-stream: "
            "the JSON of each `data:` line before `data: [DONE]`.",
            _COMMENT.format(narrow=_CHAT + "NarrowChunkToOpenAIFinishReasons"),
            _CHAT + "ChatCompletionChunk",
        ),
        "models.schema.json": schema(
            "model list",
            "GET /models, HTTP 200, application/json.",
            _COMMENT.format(narrow=_MODELS + "RequireCreatedAndOwner"),
            _MODELS + "ModelList",
        ),
        "error.schema.json": schema(
            "error body",
            "HTTP 4XX/5XX, and a mid-stream error event: OpenAI's error body "
            "{error: {message, type, param, code}}.",
            _ERROR_COMMENT,
            _CHAT + "OpenAIError",
        ),
    }
