"""Every rule's fixture directory has an expected.json of its findings, whole (rule, file,
line, resource, detail, message), and the scan still gives exactly that: a message or a
baseline identity changes only in a reviewed diff. scripts/update_snapshots.py rewrites them."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from conftest import expected_findings, load_script
from ha_lint.discover import sniff

SNAPSHOTS = load_script("update_snapshots")
RULE_DIRS = SNAPSHOTS.rule_directories()


@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=[p.name for p in RULE_DIRS])
def test_the_findings_are_the_snapshot(rule_dir: Path) -> None:
    current, wanted = SNAPSHOTS.stale(rule_dir)
    if current != wanted:
        diff = "".join(difflib.unified_diff(current.splitlines(keepends=True), wanted.splitlines(keepends=True),
                                            f"fixtures/{rule_dir.name}/expected.json (committed)",
                                            f"fixtures/{rule_dir.name}/expected.json (this scan)"))
        pytest.fail(f"{rule_dir.name}: the findings differ from the snapshot. If the change is intended, run "
                    f"`python scripts/update_snapshots.py {rule_dir.name}` and commit the diff:\n{diff}", pytrace=False)


@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=[p.name for p in RULE_DIRS])
def test_the_snapshot_agrees_with_the_markers_and_is_no_template(rule_dir: Path) -> None:
    path = rule_dir / SNAPSHOTS.SNAPSHOT
    text = path.read_text(encoding="utf-8")
    rows = json.loads(text)
    assert {(r["file"], r["line"], r["rule"]) for r in rows} == expected_findings(rule_dir)
    assert all(list(r) == ["rule", "file", "line", "resource", "detail", "message"] for r in rows)
    assert all(r["message"] for r in rows)
    assert sniff(text.encode(), path.name) is None  # a scan of the directory does not read it as a template


def test_a_snapshot_quoting_a_template_reads_back_the_same_and_is_no_template() -> None:
    rows = [{"rule": "HA101", "file": "a.yaml", "line": 3, "resource": "Db", "detail": "multi_az",
             "message": "AWSTemplateFormatVersion, Resources: {Db: {Type: AWS::RDS::DBInstance}}"}]
    text = SNAPSHOTS.render(rows)
    assert sniff(text.encode(), "expected.json") is None
    assert json.loads(text) == rows
