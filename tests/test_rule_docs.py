"""Every rule documents what it flags, why, and a bad and fixed example in both languages."""

from __future__ import annotations

import re

import pytest

from conftest import FIXTURES
from ha_lint.engine import all_rules
from ha_lint.model import SEVERITIES

RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_metadata_and_docs(rule) -> None:
    check_metadata_and_docs(rule)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_no_placeholder_is_left(rule) -> None:
    """The scaffold's TODOs (summary, docs, fixtures' headers) are filled before a rule ships."""
    assert "TODO" not in rule.summary and "TODO" not in rule.full_docs(), f"{rule.id}: fill the scaffold's TODOs"
    directory = FIXTURES / rule.id
    left = sorted(str(path.relative_to(FIXTURES)) for path in directory.rglob("*")
                  if path.is_file() and "TODO" in path.read_text(errors="replace"))
    assert left == [], f"{rule.id}: fixtures still hold the scaffold's TODO: {left}"


def check_metadata_and_docs(rule) -> None:
    """ID, name, severity, a one-line summary, the five doc sections, both languages' examples."""
    assert re.fullmatch(r"[A-Z]{2}\d{3}", rule.id)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name)
    assert rule.severity in SEVERITIES
    assert rule.summary and "\n" not in rule.summary
    docs = rule.full_docs()
    for section in ("## What it does", "## Why it matters", "## Example", "## Use instead", "## References"):
        assert section in docs, f"{rule.id} docs lack {section}"
    example = docs.split("## Example", 1)[1].split("## Use instead", 1)[0]
    fixed = docs.split("## Use instead", 1)[1].split("## References", 1)[0]
    for part in (example, fixed):
        assert "```yaml" in part or "```json" in part, f"{rule.id}: CloudFormation example missing"
        assert "```hcl" in part, f"{rule.id}: Terraform example missing"
