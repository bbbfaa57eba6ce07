"""Every rule documents what it flags, why, and a bad and fixed example in both languages."""

from __future__ import annotations

import re

import pytest

from ha_lint.engine import all_rules
from ha_lint.model import SEVERITIES

RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_metadata_and_docs(rule) -> None:
    check_metadata_and_docs(rule)


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
