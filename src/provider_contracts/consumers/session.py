"""A learning session: every test's lesson, merged into `contracts/consumers/NAME.yaml` at the end.

The pytest plugin opens one per run of `pytest --contracts-learn=NAME`, hands it each
passing `contract` test (with a way to run it again), and asks it to finish: the
consumer file is then merged and written atomically, and one line says what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..files import display
from ..project import Project
from ..replay.playback import Recording, Replayer
from ..words import count
from .learn import Budget, Lesson, Rewrite, learn
from .model import Consumer, consumer_file, load, merge, write

__all__ = ["BAD_LIMIT", "NEEDS_REPLAY", "Learning"]

NEEDS_REPLAY = "--contracts-learn: learning mutates replayed answers; drop --contracts-live"
BAD_LIMIT = "--contracts-learn-max {value}: give a number of mutated runs of at least 1, e.g. 2000"
PROGRESS = "contracts-learn {name}: {test}: {runs} runs, {reads}"
CUT_SHORT = (
    "; stopped at --contracts-learn-max {limit}: {tests} only partly learned "
    "(their earlier entries are kept); raise the limit to learn them whole"
)
SUMMARY = (
    "contracts-learn {name}: {tests}, {runs} mutated runs, "
    "{paths} paths read on {endpoints} -> {where}{cut}"
)


UNREPEATABLE = (
    "0 read: it fails when run again unchanged (it keeps state between runs), so no "
    "change can be blamed; nothing learned from it"
)


@dataclass(slots=True)
class Learning:
    """One `--contracts-learn` run: the consumer as it was, and what each test showed."""

    project: Project
    existing: Consumer
    path: Path
    budget: Budget
    lessons: list[Lesson] = field(default_factory=list)
    summary: str = ""  # the line `finish` wrote

    @classmethod
    def start(cls, project: Project, name: str, limit: int, live: bool = False) -> Learning:
        """Read the consumer file now (when there is one), so a broken file stops the run early."""
        if live:
            raise InputError(NEEDS_REPLAY)
        if limit < 1:
            raise InputError(BAD_LIMIT.format(value=limit))
        path = consumer_file(project.contracts, name)
        existing = load(project.contracts, name) if path.is_file() else Consumer(name, {}, path)
        return cls(project, existing, path, Budget(limit))

    def replayed(
        self, test: str, replayer: Replayer | None, passes: Callable[[], bool]
    ) -> str | None:
        """Learn from a passing test whose answers `replayer` gave; `passes()` runs it again.

        The progress line to show, or None when the test was given no answer.
        """
        answered = list(replayer.answered) if replayer is not None else []
        if replayer is None or not answered:
            return None

        def run(rewrite: Rewrite | None) -> bool:
            replayer.rewrite, replayer.misses = rewrite, []
            try:
                return passes() and not replayer.misses
            finally:
                replayer.rewrite = None

        try:
            if not run(None):  # a test that keeps state between runs (a scenario, say)
                return PROGRESS.format(
                    name=self.existing.name, test=test, runs=1, reads=UNREPEATABLE
                )
            return self.learn(test, answered, run)
        finally:
            replayer.answered, replayer.misses = answered, []

    def learn(
        self, test: str, answered: Sequence[Recording], run: Callable[[Rewrite], bool]
    ) -> str:
        """Learn from one passing test; the progress line to show."""
        lesson = learn(test, answered, self.project.registry.endpoint, run, self.budget)
        self.lessons.append(lesson)
        reads = f"{len(lesson.paths)} read: {', '.join(lesson.paths)}" if lesson.paths else "0 read"
        if not lesson.complete:
            reads += f" (stopped after {lesson.runs} of {lesson.planned})"
        return PROGRESS.format(name=self.existing.name, test=test, runs=lesson.runs, reads=reads)

    def finish(self) -> str:
        """Merge what was learned into the consumer file, write it, and say so in one line."""
        observed = [o for lesson in self.lessons for o in lesson.observations]
        rerun = [lesson.test for lesson in self.lessons if lesson.complete]
        merged = merge(self.existing, observed, rerun)
        write(merged, self.path)
        partly = sum(not lesson.complete for lesson in self.lessons)
        cut = (
            CUT_SHORT.format(limit=self.budget.limit, tests=count(partly, "test")) if partly else ""
        )
        tests = len(self.lessons)
        endpoints = len(merged.endpoints)
        self.summary = SUMMARY.format(
            name=merged.name,
            tests=count(tests, "test"),
            runs=self.budget.spent,
            paths=sum(len(p) for p in merged.endpoints.values()),
            endpoints=count(endpoints, "endpoint"),
            where=display(self.path),
            cut=cut,
        )
        return self.summary
