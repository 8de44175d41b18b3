"""Live calls: one probe sent with bounded time, and retried when the provider falters.

Every call has a connect timeout, a read timeout and a deadline (all attempts and waits
included). A 429, a 5xx, a connection that fails or resets, a timeout and a stream cut
short (an event-stream body that ends inside an event) are failed attempts: the call is
retried after an exponential backoff, or after the `Retry-After` the provider asked for,
capped. A call still failing when the retries or the deadline run out raises
`CouldNotVerify` (exit 3): the provider could not be verified, which is not drift.

HTTP goes through an httpx transport handed in (`httpx.MockTransport` in unit tests, the
default one against the replay server or a provider). Stripe is called through its
official SDK (`stripe.StripeClient` with `stripe.HTTPXClient`) over that same transport,
with the SDK's own retries off so that this module's policy applies to every provider.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..cassettes.cassette import WIRE_HEADERS, Interaction, RecordedRequest, RecordedResponse
from ..contract import sse
from ..contract.body import Body
from ..contract.registry import Provider
from ..errors import CouldNotVerify, InputError
from ..words import count
from .credentials import auth_headers
from .probes import Probe

__all__ = [
    "GAVE_UP",
    "KEY_REFUSED",
    "PROBE_NAME",
    "RETRYING",
    "SDK_PROVIDERS",
    "Caller",
    "RetryPolicy",
    "Sent",
    "parse_retry_after",
]

RETRYING = "{endpoint}: {reason}; retry {retry} of {retries} in {wait:.2f}s"
GAVE_UP = "{endpoint}: could not verify: {reason} ({attempts} in {elapsed:.1f}s)"
PAST_DEADLINE = "{reason}, and the {deadline:g}s deadline would pass before a retry"
KEY_REFUSED = (
    "{endpoint}: the key in {var} was refused (HTTP {status}); export a valid {title} key as {var}"
)
NO_STRIPE_SDK = (
    "calling Stripe needs its official SDK, which is not installed; "
    "pip install 'provider-contracts[stripe]'"
)
PROBE_NAME = "the contract's probe, recorded live"
SDK_PROVIDERS = frozenset({"stripe"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long one call may take and how it is retried.

    `backoff` is the first wait, doubled on each retry; a `Retry-After` from the provider
    replaces it; no wait exceeds `max_wait`. `deadline` bounds one call, every attempt
    and wait included.
    """

    retries: int = 3
    backoff: float = 1.0
    max_wait: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    deadline: float = 180.0

    def wait(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        wanted = retry_after if retry_after is not None else self.backoff * 2 ** (retry - 1)
        return max(0.0, min(wanted, self.max_wait))


@dataclass(frozen=True, slots=True)
class Sent:
    """A call that got an answer (any status but 429 and 5xx), and what it took."""

    interaction: Interaction
    attempts: int
    seconds: float


class _Failed(Exception):
    """One failed attempt; `final` when there is no time left to retry."""

    def __init__(self, reason: str, retry_after: float | None = None, final: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.final = final


@dataclass(frozen=True, slots=True)
class _Answer:
    request: httpx.Request
    status: int
    reason: str
    headers: list[tuple[str, str]]
    content: bytes


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds: a number of seconds or an HTTP date; None if unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(seconds, 0.0) if seconds == seconds else None  # NaN is unreadable


class Caller:
    """Sends one provider's probes through an httpx transport, under a `RetryPolicy`.

    `sleep` and `clock` are parameters so that tests can check the waits without waiting.
    `log` receives one line per retry; no line carries a header or a body.
    """

    def __init__(
        self,
        provider: Provider,
        key: str,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self._key = key
        self._sleep = sleep
        self._clock = clock
        self._log = log
        self._transport = _Capture(transport or httpx.HTTPTransport(), self.policy)
        self._client = httpx.Client(transport=self._transport, timeout=self._timeout(None))
        self._stripe: dict[str, Any] = {}  # StripeClient by base URL
        self._sdk_http: list[Any] = []  # their stripe.HTTPXClient, closed with this caller

    def close(self) -> None:
        for http_client in self._sdk_http:
            http_client.close()
        self._client.close()

    def __enter__(self) -> Caller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, probe: Probe) -> Sent:
        """The probe's answer, retried as the policy says; `CouldNotVerify` if none came."""
        policy = self.policy
        started = self._clock()
        deadline = started + policy.deadline
        attempts = 0
        endpoint = probe.endpoint.id
        while True:
            attempts += 1
            try:
                answer = self._attempt(probe, deadline)
                return Sent(self._interaction(probe, answer), attempts, self._clock() - started)
            except _Failed as failed:
                reason = failed.reason
                if failed.final or attempts > policy.retries:
                    break
                wait = policy.wait(attempts, failed.retry_after)
                if self._clock() + wait >= deadline:
                    reason = PAST_DEADLINE.format(reason=reason, deadline=policy.deadline)
                    break
                if self._log is not None:
                    self._log(
                        RETRYING.format(
                            endpoint=endpoint,
                            reason=reason,
                            retry=attempts,
                            retries=policy.retries,
                            wait=wait,
                        )
                    )
                self._sleep(wait)
        raise CouldNotVerify(
            GAVE_UP.format(
                endpoint=endpoint,
                reason=reason,
                attempts=count(attempts, "attempt"),
                elapsed=self._clock() - started,
            )
        )

    # --- one attempt ------------------------------------------------------------------------

    def _attempt(self, probe: Probe, deadline: float) -> _Answer:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _Failed("no answer within the deadline", final=True)
        self._transport.limit = remaining
        with _translated(self.policy):
            if self.provider.name in SDK_PROVIDERS:
                answer = self._attempt_sdk(probe)
            else:
                answer = self._attempt_httpx(probe, deadline)
        self._judge(probe, answer)
        return answer

    def _attempt_httpx(self, probe: Probe, deadline: float) -> _Answer:
        headers = {**probe.headers, **auth_headers(self.provider, self._key)}
        request = self._client.build_request(
            probe.method,
            probe.url,
            headers=headers,
            params=dict(probe.query) or None,
            json=probe.json,
            data=dict(probe.form) if probe.form else None,
        )
        response = self._client.send(request, stream=True)
        try:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if self._clock() > deadline:
                    raise _Failed("the answer did not finish within the deadline", final=True)
            content = b"".join(chunks)
        finally:
            response.close()
        return _Answer(
            request,
            response.status_code,
            response.reason_phrase,
            list(response.headers.multi_items()),
            content,
        )

    def _attempt_sdk(self, probe: Probe) -> _Answer:
        try:
            import stripe  # here: an optional dependency (the `stripe` extra)
        except ImportError:  # pragma: no cover - the test extra installs it
            raise InputError(NO_STRIPE_SDK) from None
        client = self._stripe_client(stripe, probe.base_url)
        params: dict[str, Any] = dict(probe.form or {}) if probe.method != "GET" else {}
        params.update(probe.query)
        self._transport.last = None
        try:
            client.raw_request(
                probe.method.lower(), probe.path, headers=dict(probe.headers), **params
            )
        except stripe.APIConnectionError as exc:
            if isinstance(exc.__cause__, httpx.HTTPError):
                raise exc.__cause__ from None  # translated by `_translated`
            raise _Failed(f"the Stripe SDK could not connect ({exc.user_message})") from None
        except stripe.StripeError:
            pass  # an error status: judged below like any other answer
        if self._transport.last is None:
            raise _Failed("the Stripe SDK made no request")
        request, response = self._transport.last
        return _Answer(
            request,
            response.status_code,
            response.reason_phrase,
            list(response.headers.multi_items()),
            response.content,
        )

    def _stripe_client(self, stripe: Any, base_url: str) -> Any:
        if base_url not in self._stripe:
            http_client = stripe.HTTPXClient(
                timeout=self._timeout(None),
                allow_sync_methods=True,
                _lib=_SdkHttpx(self._transport),
            )
            self._sdk_http.append(http_client)
            self._stripe[base_url] = stripe.StripeClient(
                self._key,
                base_addresses={"api": base_url},
                http_client=http_client,
                max_network_retries=0,
            )
        return self._stripe[base_url]

    def _judge(self, probe: Probe, answer: _Answer) -> None:
        status = answer.status
        if status == 429 or status >= 500:
            headers = {k.lower(): v for k, v in answer.headers}
            raise _Failed(f"HTTP {status}", parse_retry_after(headers.get("retry-after")))
        if status == 401:
            raise InputError(
                KEY_REFUSED.format(
                    endpoint=probe.endpoint.id,
                    status=status,
                    var=self.provider.auth.env,
                    title=self.provider.title,
                )
            )
        endpoint = probe.endpoint
        if endpoint.stream is not None and 200 <= status < 300:
            body = Body.from_raw(answer.content, _header(answer.headers, "content-type"))
            if body.kind == "sse" and sse.parse(body.value).truncated:
                raise _Failed("the stream was cut short (it ends inside an event)")

    def _timeout(self, remaining: float | None) -> httpx.Timeout:
        return _timeout(self.policy, remaining)

    # --- what is kept -----------------------------------------------------------------------

    def _interaction(self, probe: Probe, answer: _Answer) -> Interaction:
        request = answer.request
        sent = {k.lower() for k in (*probe.headers, self.provider.auth.header)}
        if request.content:
            sent.add("content-type")
        kept: dict[str, tuple[str, ...]] = {}
        for name, value in request.headers.multi_items():
            if name.lower() in sent:
                label = _spelling(name, probe, self.provider)
                kept[label] = (*kept.get(label, ()), value)
        response_headers: dict[str, tuple[str, ...]] = {}
        for name, value in answer.headers:
            if name.lower() not in WIRE_HEADERS:
                response_headers[name] = (*response_headers.get(name, ()), value)
        content_type = request.headers.get("content-type")
        return Interaction(
            index=0,
            name=PROBE_NAME,
            source=None,
            request=RecordedRequest(
                method=request.method,
                uri=str(request.url),
                headers=kept,
                body=Body.from_raw(request.content, content_type),
            ),
            response=RecordedResponse(
                status=answer.status,
                reason=answer.reason,
                headers=response_headers,
                body=Body.from_raw(answer.content, _header(answer.headers, "content-type")),
            ),
        )


def _spelling(name: str, probe: Probe, provider: Provider) -> str:
    """The header's name as the contract spells it (httpx lower-cases what it sends)."""
    for known in (*probe.headers, provider.auth.header, "Content-Type"):
        if known.lower() == name.lower():
            return known
    return name


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _timeout(policy: RetryPolicy, remaining: float | None) -> httpx.Timeout:
    read = policy.read_timeout if remaining is None else min(policy.read_timeout, remaining)
    return httpx.Timeout(read, connect=min(policy.connect_timeout, read))


@contextmanager
def _translated(policy: RetryPolicy) -> Iterator[None]:
    """httpx's errors as failed attempts, each with a reason a person reads."""
    try:
        yield
    except httpx.ConnectTimeout as exc:
        raise _Failed(f"no connection within {policy.connect_timeout:g}s") from exc
    except httpx.TimeoutException as exc:
        raise _Failed(f"timed out: no answer within {policy.read_timeout:g}s") from exc
    except httpx.ConnectError as exc:
        raise _Failed(f"could not connect ({exc})") from exc
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise _Failed(f"the connection was reset or closed early ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise _Failed(f"the call failed ({type(exc).__name__}: {exc})") from exc


class _Capture(httpx.BaseTransport):
    """The transport every call goes through: it keeps each attempt within the time left
    before the deadline, and remembers the last exchange (the Stripe SDK hides it)."""

    def __init__(self, inner: httpx.BaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy
        self.limit: float | None = None
        self.last: tuple[httpx.Request, httpx.Response] | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.limit is not None:
            timeout = _timeout(self.policy, self.limit)
            request.extensions["timeout"] = timeout.as_dict()
        response = self.inner.handle_request(request)
        self.last = (request, response)
        return response

    def close(self) -> None:
        self.inner.close()


class _SdkHttpx:
    """What `stripe.HTTPXClient` takes as its httpx module: clients over our transport."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def Client(self, **options: Any) -> httpx.Client:
        return _SdkClient(transport=self._transport, **options)

    def AsyncClient(self, **options: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(**options)  # never used: calls are synchronous


class _SdkClient(httpx.Client):
    """The SDK posts its form as a string through `data=`, which httpx deprecates."""

    def request(self, method: str, url: Any, **options: Any) -> httpx.Response:
        data = options.pop("data", None)
        if isinstance(data, (str, bytes)):
            options["content"] = data
        elif data:
            options["data"] = data
        return super().request(method, url, **options)
