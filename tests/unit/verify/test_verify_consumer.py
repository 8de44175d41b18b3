"""A verify result judged through a consumer: what it reads fails the run, the rest does not."""

from __future__ import annotations

from datetime import UTC, datetime

from provider_contracts.consumers.model import Consumer, Read
from provider_contracts.drift.findings import Finding
from provider_contracts.verify.consumer import judge
from provider_contracts.verify.offline import EndpointResult, VerifyResult

APP = Consumer("app", {"acme/chat": {"usage.total_tokens": Read()}})
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def result(*endpoints: EndpointResult) -> VerifyResult:
    return VerifyResult(NOW, NOW, "live", endpoints)


def breaking(path: str) -> Finding:
    return Finding(path, "removed", "integer", "absent", "breaking", "the schema requires it")


def test_breaking_drift_the_consumer_reads_fails_the_run() -> None:
    judged = judge(result(EndpointResult("acme/chat", "fail", drift=(breaking("usage"),))), APP)
    assert judged.exit_code == 1
    assert judged.read == ("acme/chat breaking drift at usage: the schema requires it",)


def test_breaking_drift_elsewhere_is_listed_and_the_run_holds() -> None:
    judged = judge(result(EndpointResult("acme/chat", "fail", drift=(breaking("created"),))), APP)
    assert judged.exit_code == 0
    assert judged.render().splitlines() == [
        "not read by app: acme/chat breaking drift at created: the schema requires it",
        "app: 0 finding(s) read, 1 not read; for app the run holds",
    ]


def test_a_failure_with_nothing_to_show_still_fails() -> None:
    assert judge(result(EndpointResult("acme/chat", "fail")), APP).exit_code == 1


def test_an_endpoint_that_could_not_be_verified_still_says_so() -> None:
    judged = judge(
        result(
            EndpointResult("acme/chat", "fail", drift=(breaking("created"),)),
            EndpointResult("acme/chat_stream", "unverified", note="timed out"),
        ),
        APP,
    )
    assert judged.exit_code == 3
