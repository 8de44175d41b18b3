"""The result as JUnit XML, for the test-report viewers every CI system has.

One `<testsuite>` per provider, one `<testcase>` per recorded interaction
(classname = provider, name = endpoint and interaction label), with a `<failure>`
carrying every violation. A live endpoint adds a `drift` testcase that fails on breaking
drift. An endpoint that could not be verified, or has no cassette, is one testcase with
an `<error>` and the note that says why.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from ..drift.findings import Finding
from ..verify.offline import EndpointResult, InteractionResult, VerifyResult

__all__ = ["render"]

# Characters XML 1.0 cannot carry at all, not even escaped; a response excerpt may hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ERROR_TYPE = {"unverified": "could-not-verify", "missing": "missing-cassette"}


def render(result: VerifyResult) -> str:
    suites = ET.Element("testsuites", name="provider-contracts")
    for provider in result.providers:
        suite = ET.SubElement(suites, "testsuite", name=provider, timestamp=_timestamp(result))
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="mode", value=result.mode)
        for endpoint in result.endpoints:
            if endpoint.provider == provider:
                _endpoint_cases(suite, endpoint, result.mode)
        _count(suite)
    _count(suites)
    suites.set("time", f"{(result.finished_at - result.started_at).total_seconds():.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _endpoint_cases(suite: ET.Element, endpoint: EndpointResult, mode: str) -> None:
    name = endpoint.endpoint.partition("/")[2] or endpoint.endpoint
    if endpoint.outcome in ERROR_TYPE:
        case = _case(suite, endpoint, name)
        note = endpoint.note or (
            "could not verify" if endpoint.outcome == "unverified" else "no cassette"
        )
        ET.SubElement(case, "error", message=_clean(note), type=ERROR_TYPE[endpoint.outcome])
        return
    for interaction in endpoint.interactions:
        _interaction_case(suite, endpoint, name, interaction)
    findings = list(endpoint.drift)
    checked_drift = bool(findings) or mode == "live"
    if checked_drift:
        _drift_case(suite, endpoint, name, findings)
    explained = endpoint.violations or any(f.severity == "breaking" for f in findings)
    if endpoint.outcome == "fail" and not explained:
        case = _case(suite, endpoint, name)
        ET.SubElement(case, "failure", message=_clean(endpoint.note or "failed"), type="fail")
    elif not endpoint.interactions and not checked_drift:
        _case(suite, endpoint, name)  # so that the endpoint is seen, even with nothing recorded


def _interaction_case(
    suite: ET.Element, endpoint: EndpointResult, name: str, interaction: InteractionResult
) -> None:
    case = _case(suite, endpoint, f"{name} {interaction.label}")
    _property(case, "cassette", interaction.cassette)
    _property(case, "status", str(interaction.status))
    if not interaction.violations:
        return
    first = interaction.violations[0]
    more = len(interaction.violations) - 1
    message = f"{first.location}: {first.message}" + (f" (and {more} more)" if more else "")
    where = f"{interaction.cassette} {interaction.label} (status {interaction.status})"
    body = [line for v in interaction.violations for line in v.lines(where)]
    failure = ET.SubElement(case, "failure", message=_clean(message), type="contract-violation")
    failure.text = _clean("\n".join(body))


def _drift_case(
    suite: ET.Element, endpoint: EndpointResult, name: str, findings: list[Finding]
) -> None:
    case = _case(suite, endpoint, f"{name} drift")
    breaking = [f for f in findings if f.severity == "breaking"]
    lines = [_drift_line(f) for f in findings]
    if breaking:
        first = breaking[0]
        more = len(breaking) - 1
        message = f"breaking drift at {first.location} ({first.transition})"
        failure = ET.SubElement(
            case,
            "failure",
            message=_clean(message + (f" (and {more} more)" if more else "")),
            type="breaking-drift",
        )
        failure.text = _clean("\n".join(lines))
    elif lines:
        ET.SubElement(case, "system-out").text = _clean("\n".join(lines))


def _drift_line(finding: Finding) -> str:
    reason = f": {finding.reason}" if finding.reason else ""
    return f"{finding.severity} {finding.what} at {finding.location} ({finding.transition}){reason}"


def _case(suite: ET.Element, endpoint: EndpointResult, name: str) -> ET.Element:
    case = ET.SubElement(suite, "testcase", classname=endpoint.provider, name=_clean(name))
    if endpoint.provenance:
        source = endpoint.provenance.get("recorded_at") or endpoint.provenance.get("source")
        if source is not None:
            _property(case, "provenance", str(source))
    return case


def _property(case: ET.Element, name: str, value: str) -> None:
    properties = case.find("properties")
    if properties is None:
        properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name=name, value=_clean(value))


def _count(element: ET.Element) -> None:
    cases = list(element.iter("testcase"))
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    element.set("errors", str(sum(c.find("error") is not None for c in cases)))
    element.set("skipped", str(sum(c.find("skipped") is not None for c in cases)))


def _timestamp(result: VerifyResult) -> str:
    return result.started_at.strftime("%Y-%m-%dT%H:%M:%S")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
