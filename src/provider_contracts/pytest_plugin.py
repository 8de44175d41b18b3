"""The pytest plugin: a test's HTTP clients answered from the provider cassettes.

Active once the package is installed (entry point `pytest11`). Mark a test with the
endpoints it talks to and give its client a transport::

    @pytest.mark.contract("openrouter/chat_completions")
    def test_answer(contracts_transport):
        client = httpx.Client(transport=contracts_transport, base_url=OPENROUTER)
        ...

Fixtures: `contracts_transport` (one transport for httpx and httpx2 clients, sync and
async; `contracts_async_transport` is the same object), `contracts_respx` (a started
respx router; httpx only), `contracts_httpx` and `contracts_httpx2` (a namespace whose
`Client` and `AsyncClient` are that library's, using the transport: Stripe's
`HTTPXClient` takes one as `_lib`), `contract_validator` (checks a response against a
contract). A request that
no recording answers fails the test, naming the closest recorded request and what
differed; nothing is ever sent.

`pytest --contracts-live` sends the marked tests' requests to the providers instead
(keys from the environment; a missing key skips the test), checks every answer against
its contract, and with `--contracts-scratch DIR` writes the answers there as cassettes.
`CONTRACTS_BASE_URL_<PROVIDER>` points a provider at another base URL.

`pytest --contracts-record-mode=new` (pytest-recording's mode of that name; `none`, the
default, fails a test on a request no recording answers) sends such a request to the
provider instead (key from the environment; a missing key skips the test), scrubs the
answer, checks it against its contract, and adds it to the consumer's own cassettes
(`--contracts-cassettes DIR`, default `tests/cassettes/` under the rootdir; never the
contracts' `cassettes/`), which every later run replays after the contracts' own. A
cassette replayed that is older than its provider's `max_age` (`provider.yaml`) is named
at the end of the session; `--strict-age` fails the session for it.

`pytest --contracts-learn=NAME` runs each passing `contract` test again on its answers
changed one path at a time, and merges the paths whose change fails it into
`contracts/consumers/NAME.yaml` (`provider_contracts.consumers`).
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

from .pytest_wiring import (
    SETTINGS,
    STALE_HEAD,
    WIRING,
    settings,
    stale,
    transport,
    wiring,
)
from .words import count  # imports nothing

# Only pytest and the standard library at import (pytest_wiring too): pytest loads this module before
# anything else, coverage included; the package's own modules come in when first used.
if TYPE_CHECKING:
    import httpx
    import respx

    from .assertions import ContractValidator
    from .consumers.session import Learning
    from .live.transports import LiveTransport
    from .replay.transports import ReplayTransport

MARKER_HELP = (
    'contract("PROVIDER/ENDPOINT", ..., interaction=None, scenario=None): the provider '
    "endpoints the test talks to; the contracts_* fixtures replay their cassettes (or, with "
    "--contracts-live, call the providers). interaction= picks one recorded interaction by "
    "name or index; scenario= names a scenario to survive (`contracts serve --help` lists "
    "them), replayed in-process."
)
RESPX_IS_REPLAY_ONLY = (
    "contracts_respx replays cassettes only; use contracts_transport for --contracts-live"
)
UNANSWERED = "{requests} in this test had no recorded answer (nothing was sent):"
STRICT_AGE = "--strict-age: the session fails for the stale cassettes above"


_LEARNING = pytest.StashKey["Learning"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contracts", "provider contracts: recorded provider responses")
    group.addoption(
        "--contracts-root",
        metavar="DIR",
        help="Folder holding contracts/ and cassettes/; write it --contracts-root=DIR (with a "
        "space, pytest also takes DIR as its rootdir) [default: $CONTRACTS_ROOT, else the "
        "nearest folder with contracts/ at or above rootdir].",
    )
    group.addoption(
        "--contracts-live",
        action="store_true",
        help="Send the requests of @pytest.mark.contract tests to the real providers (keys "
        "from the environment; CONTRACTS_BASE_URL_<PROVIDER> overrides a base URL) and "
        "check every answer against its contract.",
    )
    group.addoption(
        "--contracts-scratch",
        metavar="DIR",
        help="With --contracts-live: write the answers as cassettes under DIR, for "
        "`contracts diff` against the committed ones.",
    )
    group.addoption(
        "--contracts-record-mode",
        choices=("none", "new"),
        default="none",
        help="none: a request no recording answers fails the test [default]. new: it goes "
        "to the provider (key from the environment), is scrubbed, checked against its "
        "contract and added to --contracts-cassettes, to be replayed from then on.",
    )
    group.addoption(
        "--contracts-cassettes",
        metavar="DIR",
        help="The consumer's own cassettes: replayed after the contracts' own, and where "
        "--contracts-record-mode=new writes [default: tests/cassettes under rootdir].",
    )
    group.addoption(
        "--strict-age",
        action="store_true",
        help="Fail the session when a replayed cassette is older than its provider's max_age "
        "(provider.yaml); without it, a warning line.",
    )
    group.addoption(
        "--contracts-learn",
        metavar="NAME",
        help="Learn what consumer NAME reads into contracts/consumers/NAME.yaml: rerun each "
        "passing contract test with each leaf of its answers changed, one at a time.",
    )
    group.addoption(
        "--contracts-learn-max",
        type=int,
        default=2000,
        metavar="N",
        help="With --contracts-learn: at most N mutated runs in all [default: 2000].",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    from .project import configure

    chosen = config.stash[SETTINGS] = settings(config)
    configure(chosen.root)
    if config.getoption("contracts_learn"):
        from .consumers.session import Learning
        from .errors import ContractsError
        from .project import project

        name, limit = config.getoption("contracts_learn"), config.getoption("contracts_learn_max")
        try:
            config.stash[_LEARNING] = Learning.start(project(chosen.root), name, limit, chosen.live)
        except ContractsError as exc:
            raise pytest.UsageError(str(exc)) from None


_STALE = pytest.StashKey[list[str]]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    learning = session.config.stash.get(_LEARNING, None)
    if learning is not None and exitstatus != pytest.ExitCode.INTERRUPTED:
        learning.finish()  # writes the consumer file; the summary is shown below
    found = session.config.stash[_STALE] = stale(session.config)
    settings = session.config.stash.get(SETTINGS, None)
    if found and settings is not None and settings.strict_age and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    learning = config.stash.get(_LEARNING, None)
    if learning is not None and learning.summary:
        terminalreporter.write_line(learning.summary)
    found = config.stash.get(_STALE, [])
    if found:  # once per session, however many tests replayed them
        terminalreporter.write_line(
            STALE_HEAD.format(cassettes=count(len(found), "replayed cassette"))
        )
        for line in found:
            terminalreporter.write_line(f"  {line}")
        if config.stash[SETTINGS].strict_age:
            terminalreporter.write_line(STRICT_AGE)


def pytest_unconfigure(config: pytest.Config) -> None:
    if SETTINGS in config.stash:
        from .project import unconfigure

        unconfigure()


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash.get(SETTINGS, None)
    if settings is None or not (settings.live or (settings.root / "contracts").is_dir()):
        return None
    mode = "live" if settings.live else "replay"
    if settings.record and settings.cassettes is not None:
        mode += f"; recording new answers into {settings.cassettes}"
    return f"contracts: {settings.root} ({mode})"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test whose requests went unanswered or whose live answers broke a contract,
    even when the client or SDK caught the error on its way."""
    try:
        outcome = yield
    except Exception:
        _skip_without_key(item)
        found = _findings(item)
        if found:
            raise pytest.fail.Exception(found, pytrace=False) from None
        raise
    _skip_without_key(item)
    found = _findings(item)
    if found:
        pytest.fail(found, pytrace=False)
    learning = item.config.stash.get(_LEARNING, None)
    if learning is not None:
        _learn(item, learning)
    return outcome


def _learn(item: pytest.Item, learning: Learning) -> None:
    exchange = item.stash.get(WIRING, None)
    from .assertions import holding_fire

    def passes() -> bool:
        try:
            with holding_fire():
                item.runtest()
        except pytest.skip.Exception:
            return True  # the test stepped aside; it did not break
        except (Exception, pytest.fail.Exception):
            return False
        return True

    line = learning.replayed(item.nodeid, exchange.replayer if exchange else None, passes)
    reporter = item.config.pluginmanager.get_plugin("terminalreporter")
    capture = item.config.pluginmanager.get_plugin("capturemanager")
    if line and reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown while the test's output is captured
            reporter.write_line(line)


def _skip_without_key(item: pytest.Item) -> None:
    """Record mode: a request that had to go out without its key skips the test."""
    exchange = item.stash.get(WIRING, None)
    if exchange is not None and exchange.forwarder is not None and exchange.forwarder.missing:
        raise pytest.skip.Exception(exchange.forwarder.missing[0]) from None


def _findings(item: pytest.Item) -> str | None:
    exchange = item.stash.get(WIRING, None)
    if exchange is None:
        return None
    messages: list[str] = []
    misses = exchange.replayer.misses if exchange.replayer else []
    if exchange.forwarder is not None:
        misses = [*misses, *exchange.forwarder.misses]  # type: ignore[list-item]
    if misses:
        messages.append(UNANSWERED.format(requests=count(len(misses), "request")))
        messages.extend(dict.fromkeys(m.message for m in misses))  # each distinct once
    if exchange.forwarder is not None:
        messages.extend(broken.message for broken in exchange.forwarder.broken)
    return "\n".join(messages) or None


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def contracts_transport(request: pytest.FixtureRequest) -> ReplayTransport | LiveTransport:
    """A transport answering from the marked endpoints' cassettes (live: the provider), for
    httpx and httpx2 clients, sync and async: `httpx2.Client(transport=...)` for anthropic."""
    return transport(request)


@pytest.fixture
def contracts_async_transport(
    contracts_transport: ReplayTransport | LiveTransport,
) -> ReplayTransport | LiveTransport:
    """`contracts_transport` itself (it serves async clients too); kept for older tests."""
    return contracts_transport


class ContractsHttpx:
    """An httpx-like namespace whose clients use the test's contracts transport.

    `Client(**kwargs)` and `AsyncClient(**kwargs)` are the library's own (`httpx` or
    `httpx2`), with `transport=` set; SDKs that build their own clients from a module they
    are given (Stripe's `HTTPXClient(_lib=...)`) get the replay through it.
    """

    def __init__(
        self,
        transport: ReplayTransport | LiveTransport,
        async_transport: ReplayTransport | LiveTransport | None = None,
        lib: str = "httpx",
    ) -> None:
        from .replay.transports import library

        module = library(lib)
        self.Client = functools.partial(module.Client, transport=transport)
        self.AsyncClient = functools.partial(
            module.AsyncClient, transport=async_transport or transport
        )


@pytest.fixture
def contracts_httpx(contracts_transport: ReplayTransport | LiveTransport) -> ContractsHttpx:
    """httpx's `Client` and `AsyncClient` bound to the contracts transport."""
    return ContractsHttpx(contracts_transport)


@pytest.fixture
def contracts_httpx2(contracts_transport: ReplayTransport | LiveTransport) -> ContractsHttpx:
    """httpx2's `Client` and `AsyncClient` bound to the contracts transport (needs httpx2)."""
    return ContractsHttpx(contracts_transport, lib="httpx2")


@pytest.fixture
def contracts_respx(request: pytest.FixtureRequest) -> Iterator[respx.MockRouter]:
    """A started respx router whose route `contracts` answers from the cassettes.

    httpx only: respx does not see httpx2 clients (anthropic, openai's default), whose
    requests would go out unmocked; give those `contracts_transport` instead."""
    settings = request.config.stash[SETTINGS]
    if settings.live:
        pytest.skip(RESPX_IS_REPLAY_ONLY)
    exchange = wiring(request)
    assert exchange.replayer is not None
    replayer = exchange.replayer
    try:
        import respx
    except ImportError:
        respx = None  # type: ignore[assignment]
    if respx is None:  # failed outside the except: one line, no chained traceback
        pytest.fail("contracts_respx needs respx: pip install 'provider-contracts[respx]'", False)

    from .replay.transports import to_response

    def answer(sent: httpx.Request) -> httpx.Response:
        content_type = sent.headers.get("content-type")
        recording = replayer.answer(sent.method, str(sent.url), sent.read(), content_type)
        response: httpx.Response = to_response(recording, "httpx")
        return response

    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        router.route(name="contracts").mock(side_effect=answer)
        yield router


@pytest.fixture
def contract_validator(request: pytest.FixtureRequest) -> ContractValidator:
    """Checks responses against the contracts: `contract_validator(response, "p/e")`."""
    from .assertions import ContractValidator
    from .errors import ContractsError
    from .project import project

    try:
        return ContractValidator(project(request.config.stash[SETTINGS].root))
    except ContractsError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)
