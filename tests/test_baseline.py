"""Baselines: accept today's findings, fail only on new ones. Identity is (rule, file,
resource, what is wrong), never the line, and never broad enough to absorb a new problem."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import TEMPLATE, ha_lint, new_repo, report

SELECT = ("--select", "HA101,NS401")

SECOND_DB = """\
  PaymentsDb:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      MultiAZ: false
"""


def make_project(root: Path) -> Path:
    new_repo(root)  # a repository: paths in the baseline are relative to its root
    (root / "stacks").mkdir()
    (root / "stacks" / "orders.yaml").write_text(TEMPLATE)
    return root


def test_write_then_fail_only_on_new_findings(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    baseline = repo / ".ha-lint-baseline.json"
    run = ha_lint("stacks", *SELECT, "--write-baseline", str(baseline), cwd=repo)
    assert run.returncode == 0, run.stderr  # today's findings are accepted
    assert "wrote 2 findings to the baseline" in run.stderr
    written = json.loads(baseline.read_text())
    assert {(e["rule"], e["file"], e["resource"]) for e in written["findings"]} == {
        ("HA101", "stacks/orders.yaml", "OrdersDb"), ("NS401", "stacks/orders.yaml", "BastionSg")}
    assert all(e["detail"] and "line" not in e for e in written["findings"])

    code, doc = report("stacks", *SELECT, "--baseline", str(baseline), cwd=repo)
    assert code == 0 and doc["findings"] == [] and doc["summary"]["baselined"] == 2

    # Unrelated edits move every line: still nothing new.
    template = repo / "stacks" / "orders.yaml"
    template.write_text(TEMPLATE.replace("Description: Orders service\n",
                                         "Description: Orders service\nMetadata:\n  Owner: orders-team\n  Tier: 1\n"))
    code, doc = report("stacks", *SELECT, "--baseline", str(baseline), cwd=repo)
    assert code == 0 and doc["findings"] == []

    # A new violation of the same rule in another resource is new.
    template.write_text(template.read_text().replace("  BastionSg:\n", SECOND_DB + "  BastionSg:\n"))
    code, doc = report("stacks", *SELECT, "--baseline", str(baseline), cwd=repo)
    assert code == 1
    assert [(f["rule_id"], f["resource"]) for f in doc["findings"]] == [("HA101", "PaymentsDb")]
    assert doc["summary"]["baselined"] == 2

    # ... and so is the same finding in another file.
    (repo / "stacks" / "billing.yaml").write_text(TEMPLATE)
    code, doc = report("stacks", *SELECT, "--baseline", str(baseline), cwd=repo)
    assert sorted((Path(f["file"]).name, f["rule_id"], f["resource"]) for f in doc["findings"]) == [
        ("billing.yaml", "HA101", "OrdersDb"), ("billing.yaml", "NS401", "BastionSg"),
        ("orders.yaml", "HA101", "PaymentsDb")]


def test_a_baseline_matches_from_another_directory(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    baseline = repo / "ci" / "baseline.json"
    assert ha_lint(".", *SELECT, "--write-baseline", "ci/baseline.json", cwd=repo).returncode == 0
    # From inside stacks/, and from outside the repository with an absolute path.
    code, doc = report(".", *SELECT, "--baseline", str(baseline), cwd=repo / "stacks")
    assert code == 0 and doc["summary"]["baselined"] == 2
    code, doc = report(str(repo / "stacks" / "orders.yaml"), *SELECT, "--baseline", str(baseline), cwd=tmp_path)
    assert code == 0 and doc["summary"]["baselined"] == 2


def test_what_is_wrong_is_part_of_the_identity(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    template = repo / "stacks" / "orders.yaml"
    template.write_text(TEMPLATE.replace("      MultiAZ: false\n", ""))  # single-AZ by default
    assert ha_lint(".", "--select", "HA101", "--write-baseline", "b.json", cwd=repo).returncode == 0
    template.write_text(TEMPLATE)  # now written out: still the same problem (multi_az off)
    code, _ = report(".", "--select", "HA101", "--baseline", "b.json", cwd=repo)
    assert code == 0


def test_stale_entries_are_pointed_out_and_bad_files_are_usage_errors(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    assert ha_lint(".", *SELECT, "--write-baseline", "b.json", cwd=repo).returncode == 0
    template = repo / "stacks" / "orders.yaml"
    template.write_text(TEMPLATE.replace("MultiAZ: false", "MultiAZ: true"))
    run = ha_lint(".", *SELECT, "--baseline", "b.json", "--no-color", cwd=repo)
    assert run.returncode == 0
    assert "1 baseline entry in b.json match no finding any more (fixed): refresh it with --write-baseline b.json" \
        in run.stdout
    assert ha_lint(".", "--baseline", "missing.json", cwd=repo).returncode == 2
    (repo / "bad.json").write_text('{"findings": 3}')
    run = ha_lint(".", "--baseline", "bad.json", cwd=repo)
    assert run.returncode == 2 and "is not an ha-lint baseline" in run.stderr


def test_baseline_named_in_the_config_file(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "repo")
    (repo / ".ha-lint.yml").write_text("select: [HA101, NS401]\nbaseline: .ha-lint-baseline.json\n")
    assert ha_lint(".", "--write-baseline", ".ha-lint-baseline.json", cwd=repo).returncode == 0
    code, doc = report("stacks", cwd=repo)
    assert code == 0 and doc["summary"]["baselined"] == 2
    code, doc = report(".", cwd=repo / "stacks")  # found from below as well
    assert code == 0 and doc["summary"]["baselined"] == 2
