"""A verify result judged through a consumer: `contracts verify --consumer NAME`.

Violations and breaking drift at a path the consumer reads (or above one) fail the run
as before; the others are listed as "not read by NAME" and do not. A failing endpoint
with nothing to show for it (no violation, no breaking drift) still fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..consumers.judge import reads, reads_violation
from ..consumers.model import Consumer
from .offline import EXIT_FOR, VerifyResult

__all__ = ["Judged", "judge"]


@dataclass(frozen=True, slots=True)
class Judged:
    consumer: str
    read: tuple[str, ...]  # one line per finding the consumer reads
    unread: tuple[str, ...]  # one line per finding it does not
    exit_code: int

    def render(self) -> str:
        lines = [f"read by {self.consumer}: {line}" for line in self.read]
        lines += [f"not read by {self.consumer}: {line}" for line in self.unread]
        verdict = "fails" if self.read else "holds"
        count = len(self.unread)
        lines.append(
            f"{self.consumer}: {len(self.read)} finding(s) read, {count} not read; "
            f"for {self.consumer} the run {verdict}"
        )
        return "\n".join(lines) + "\n"


def judge(result: VerifyResult, consumer: Consumer) -> Judged:
    read: list[str] = []
    unread: list[str] = []
    failing = False
    for entry in result.endpoints:
        before = len(read)
        for _, violation in entry.violations:
            line = f"{entry.endpoint} {violation.location}: {violation.message}"
            hit = reads_violation(
                consumer, entry.endpoint, violation.instance_path, violation.message
            )
            (read if hit else unread).append(line)
        breaking = [f for f in entry.drift if getattr(f, "severity", None) == "breaking"]
        for finding in breaking:
            path = str(getattr(finding, "path", ""))
            line = f"{entry.endpoint} breaking drift at {path or '/'}: {getattr(finding, 'reason', '')}"
            (read if reads(consumer, entry.endpoint, path) else unread).append(line)
        explained = bool(entry.violations or breaking)
        if entry.outcome == "fail" and (len(read) > before or not explained):
            failing = True
    outcomes = {e.outcome for e in result.endpoints}
    code = EXIT_FOR["fail"] if failing else 0
    if not failing:
        for outcome in ("unverified", "missing"):
            if outcome in outcomes:
                code = EXIT_FOR[outcome]
                break
    return Judged(consumer.name, tuple(read), tuple(unread), code)
