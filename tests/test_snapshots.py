"""Every fixture directory whose findings the tests assert has an expected.json of its
findings, whole (rule, file, line, resource, detail, message): each rule's fixture directory,
each case of fixtures/resolve, each application of fixtures/stacks, each language of each
workload of fixtures/workloads, fixtures/modules and examples/quickstart. The scan still gives
exactly that: a message or a baseline identity changes only in a reviewed diff.
scripts/update_snapshots.py rewrites them; its docstring says how each directory is scanned."""

from __future__ import annotations

import difflib
import json

import pytest

from conftest import expected_findings, load_script
from ha_lint.discover import sniff

SNAPSHOTS = load_script("update_snapshots")
TARGETS = SNAPSHOTS.targets()
IDS = [t.label for t in TARGETS]


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
def test_the_findings_are_the_snapshot(target) -> None:
    current, wanted = SNAPSHOTS.stale(target)
    if current != wanted:
        shown = target.snapshot.relative_to(SNAPSHOTS.REPOSITORY)
        diff = "".join(difflib.unified_diff(current.splitlines(keepends=True), wanted.splitlines(keepends=True),
                                            f"{shown} (committed)", f"{shown} (this scan)"))
        pytest.fail(f"{target.label}: the findings differ from the snapshot. If the change is intended, run "
                    f"`python scripts/update_snapshots.py {target.label}` and commit the diff:\n{diff}", pytrace=False)


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
def test_the_snapshot_agrees_with_the_markers_and_is_no_template(target) -> None:
    text = target.snapshot.read_text(encoding="utf-8")
    rows = json.loads(text)
    markers = expected_findings(target.directory)
    if target.kind in ("rule", "resolve"):  # every finding marked, every marker a finding
        assert {(r["file"], r["line"], r["rule"]) for r in rows} == markers
    else:  # no markers: the snapshot alone says what they find
        assert markers == set() and rows
    assert all(list(r) == ["rule", "file", "line", "resource", "detail", "message"] for r in rows)
    assert all(r["message"] for r in rows)
    assert sniff(text.encode(), target.snapshot.name) is None  # a scan of the directory does not read it as a template


def test_every_fixture_directory_is_snapshotted_once() -> None:
    directories = [t.directory for t in TARGETS]
    assert len(set(directories)) == len(directories)
    assert len(set(IDS)) == len(IDS)
    kinds = {kind: sum(t.kind == kind for t in TARGETS) for kind in ("rule", "resolve", "whole")}
    assert kinds["rule"] == len(SNAPSHOTS.rule_directories()) and kinds["resolve"] >= 20 and kinds["whole"] >= 12
    # a snapshot nobody checks is a stale file: every expected.json under fixtures/ and examples/ is one of them
    on_disk = {p.parent for base in (SNAPSHOTS.FIXTURES, SNAPSHOTS.EXAMPLES) for p in base.rglob(SNAPSHOTS.SNAPSHOT)}
    assert on_disk == set(directories)


def test_names_choose_rule_ids_and_paths_by_prefix() -> None:
    labels = lambda *names: [t.label for t in SNAPSHOTS.chosen(list(names), TARGETS)]  # noqa: E731
    assert labels("ha101") == ["HA101"]
    assert labels("resolve/tf_locals", "examples/") == ["resolve/tf_locals", "examples/quickstart"]
    assert labels("workloads/serverless") == ["workloads/serverless/cfn", "workloads/serverless/tf"]
    assert labels() == IDS


def test_a_snapshot_quoting_a_template_reads_back_the_same_and_is_no_template() -> None:
    rows = [{"rule": "HA101", "file": "a.yaml", "line": 3, "resource": "Db", "detail": "multi_az",
             "message": "AWSTemplateFormatVersion, Resources: {Db: {Type: AWS::RDS::DBInstance}}"}]
    text = SNAPSHOTS.render(rows)
    assert sniff(text.encode(), "expected.json") is None
    assert json.loads(text) == rows
