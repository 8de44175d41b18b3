"""The rooms of ARCHITECTURE.md hold: imports go downward only, and no module cycles.

`lint-imports` (in scripts/check) checks the direction between rooms; this test checks
what it cannot: no import cycle between modules, function-local imports counted, and the
size and docstring every room promises.
"""

from __future__ import annotations

import grimp
import pytest

from support.paths import REPO

PACKAGE = REPO / "src" / "provider_contracts"
LONGEST = 450  # lines; "about 400" in ARCHITECTURE.md


def _cycle(graph: grimp.ImportGraph) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if not imported.startswith("provider_contracts"):
                continue
            if state.get(imported) == 1:
                return [*stack[stack.index(imported) :], imported]
            if imported not in state and (found := visit(imported)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph.modules):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph("provider_contracts")
    # a package's __init__ re-exporting its modules is not a cycle of ideas
    for module in list(graph.modules):
        for imported in list(graph.find_modules_directly_imported_by(module)):
            if module.startswith(imported + "."):
                graph.remove_import(importer=module, imported=imported)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


@pytest.mark.parametrize(
    "room", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")), ids=str
)
def test_every_room_says_what_it_owns_and_may_import(room: str) -> None:
    doc = (PACKAGE / room / "__init__.py").read_text()
    assert doc.startswith('"""'), room
    assert "May import:" in doc, f"{room}/__init__.py: say what the room may import"


def test_no_module_is_a_room_of_its_own() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > LONGEST
    }
    assert not long, f"split these by concept: {long}"


def test_architecture_names_every_room() -> None:
    text = (REPO / "ARCHITECTURE.md").read_text()
    for room in sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")):
        assert f"{room}/" in text, room


@pytest.mark.parametrize("doc", ["ARCHITECTURE.md", "README.md"])
def test_the_test_layout_names_every_folder_of_tests(doc: str) -> None:
    text = (REPO / doc).read_text()
    folders = sorted(
        p.name for p in (REPO / "tests").iterdir() if p.is_dir() and p.name[0] not in "_."
    )
    assert [f for f in folders if f"{f}/" not in text] == []
