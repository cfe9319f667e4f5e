"""The documented public API of spinoff-core is what the modules export."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
CORE_DOC = ROOT / "docs" / "core.md"


def documented_names() -> dict[str, set[str]]:
    """Map each module in the public API table to the names listed for it."""
    names: dict[str, set[str]] = {}
    for row in re.findall(r"^\| (.+?) \| `([\w.]+)` \|", CORE_DOC.read_text(), re.M):
        cell, module = row
        listed = set(re.findall(r"`(\w+)`", cell))
        names.setdefault(module, set()).update(listed)
    return names


def test_spinoff_actor_exports_what_is_documented() -> None:
    module = importlib.import_module("spinoff.actor")

    assert set(module.__all__) == documented_names()["spinoff.actor"]


@pytest.mark.parametrize(
    "module_name",
    [
        "spinoff.actor.process",
        "spinoff.actor.supervision",
        "spinoff.util.pattern_matching",
        "spinoff.util.logging",
        "spinoff.util.async_",
        "spinoff.actor.testing",
    ],
)
def test_documented_names_exist(module_name: str) -> None:
    module = importlib.import_module(module_name)

    missing = documented_names()[module_name] - set(dir(module))

    assert missing == set()


def test_exports_have_docstrings() -> None:
    module = importlib.import_module("spinoff.actor")

    undocumented = [
        name for name in module.__all__ if not getattr(module, name).__doc__
    ]

    assert undocumented == []


@pytest.mark.parametrize(
    ("document", "expected_blocks"), [("README.md", 1), ("docs/core.md", 2)]
)
def test_doc_examples_run(document: str, expected_blocks: int) -> None:
    path = ROOT / document
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(), re.S)

    for block in blocks:
        exec(compile(block, str(path), "exec"), {})

    assert len(blocks) == expected_blocks
