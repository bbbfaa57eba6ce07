"""``ha-lint resilience PATHS --compare REF``: a real git repository per test (base commit on
``main``, head on a branch), the base read from git objects, the working tree untouched."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli

DATA = Path(__file__).parent / "data" / "compare"

# The base: a Multi-AZ database, a two-AZ Auto Scaling group, one NAT gateway per AZ.
# The head: the database single-AZ, both private subnets through one NAT gateway.
LANGUAGES = {
    "cloudformation": {
        "file": "infra/app.yaml", "base": DATA / "cfn_base.yaml",
        "head": [("MultiAZ: true", "MultiAZ: false"), ("NatGatewayId: !Ref NatB", "NatGatewayId: !Ref NatA")],
        "drop": ("  NatB:\n", "  RoutesA:\n"), "workload": "infra/app.yaml", "region": "loss of the Region",
        "database": "Database", "nat": "NatA",
    },
    "terraform": {
        "file": "infra/main.tf", "base": DATA / "tf_base.tf",
        "head": [("multi_az                    = true", "multi_az                    = false"),
                 ("nat_gateway_id = aws_nat_gateway.b.id", "nat_gateway_id = aws_nat_gateway.a.id")],
        "drop": ('resource "aws_nat_gateway" "b"', 'resource "aws_route_table" "private_a"'), "workload": "infra",
        "region": "loss of Region us-east-1",  # the provider's region
        "database": "aws_db_instance.db", "nat": "aws_nat_gateway.a",
    },
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


def head_text(lang: dict) -> str:
    text = lang["base"].read_text()
    for old, new in lang["head"]:
        assert old in text
        text = text.replace(old, new)
    start, end = (text.index(marker) for marker in lang["drop"])
    return text[:start] + text[end:]


def repository(tmp_path: Path, lang: dict, head: str | None) -> Path:
    """A repository: the base committed on main, then ``head`` (None: a comment only) on a branch."""
    repo = tmp_path / "repo"
    target = repo / lang["file"]
    target.parent.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    base = lang["base"].read_text()
    target.write_text(base)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    target.write_text(head if head is not None else "# reviewed\n" + base)
    git(repo, "commit", "-q", "-am", "head")
    return repo


def run(repo: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli("resilience", "--no-config", "infra", "--compare", "main", *args, cwd=repo)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_a_single_az_database_and_a_single_nat_gateway_are_named_and_fail_the_check(
        language: str, tmp_path: Path) -> None:
    lang = LANGUAGES[language]
    repo = repository(tmp_path, lang, head_text(lang))
    status_before = git(repo, "status", "--porcelain", "--ignored")
    head_before = git(repo, "rev-parse", "HEAD")
    base_sha = git(repo, "rev-parse", "main").strip()

    code, out, err = run(repo, "-f", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["schema"] == 1 and report["base"] == base_sha and report["regression"] is True
    [workload] = report["workloads"]
    assert set(workload) == {"id", "status", "strategy", "spofs", "scenarios", "targets"}
    assert workload["id"] == lang["workload"] and workload["status"] == "changed"
    assert workload["strategy"] == {"before": "backup-restore", "after": "backup-restore"}
    added = {(s["component"], s["rule"]) for s in workload["spofs"]["added"]}
    assert added == {(lang["database"], "HA101"), (lang["nat"], "HA107")}
    assert all(s["scenario"] == "loss of AZ us-east-1a" for s in workload["spofs"]["added"])
    assert workload["spofs"]["removed"] == []
    scenarios = {s["label"]: s for s in workload["scenarios"]}
    assert set(scenarios) == {"loss of AZ us-east-1a", "loss of AZ us-east-1b", lang["region"]}
    az = scenarios["loss of AZ us-east-1a"]
    assert set(az) == {"label", "rto_minutes", "rpo_minutes"}
    assert az["rto_minutes"]["before"] == [1, 2] and az["rto_minutes"]["after"][1] > 2  # Multi-AZ failover -> restore
    assert az["rpo_minutes"]["before"] == [0, 0] and az["rpo_minutes"]["after"][1] > 0
    region = scenarios[lang["region"]]
    assert region["rto_minutes"] == {"before": None, "after": None}  # unbounded both times: no copy elsewhere
    assert workload["targets"] == {}

    code, out, _ = run(repo)
    assert code == 0
    assert f"single point of failure {lang['database']} (HA101)" in out
    assert f"single point of failure {lang['nat']} (HA107)" in out
    assert "loss of AZ us-east-1a: RTO 1m-2m -> " in out

    code, out, _ = run(repo, "--fail-on-regression")
    assert code == 1

    code, out, _ = run(repo, "-f", "markdown")
    assert out.startswith("### Resilience change\n\n**2 new single points of failure; loss of AZ us-east-1a: RTO 1m-2m -&gt; ")
    assert "```mermaid" in out and "classDef changed" in out
    assert git(repo, "status", "--porcelain", "--ignored") == status_before  # nothing written in the tree
    assert git(repo, "rev-parse", "HEAD") == head_before


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_an_unchanged_head_reports_no_change(language: str, tmp_path: Path) -> None:
    repo = repository(tmp_path, LANGUAGES[language], None)
    code, out, _ = run(repo, "--fail-on-regression", "-f", "json")
    assert code == 0
    [workload] = json.loads(out)["workloads"]
    assert workload["status"] == "unchanged" and workload["spofs"] == {"added": [], "removed": []}
    assert all(s["rto_minutes"]["before"] == s["rto_minutes"]["after"] for s in workload["scenarios"])
    code, out, _ = run(repo, "--fail-on-regression")
    assert code == 0
    assert out.splitlines() == [f"Resilience change since {git(repo, 'rev-parse', 'main')[:12]}: no change to resilience"]


def test_a_terraform_moved_block_is_followed_and_a_plain_rename_is_removed_and_added(
        tmp_path: Path) -> None:
    lang = LANGUAGES["terraform"]
    renamed = lang["base"].read_text().replace('"aws_db_instance" "db"', '"aws_db_instance" "main"')
    repo = repository(tmp_path, lang, renamed + '\nmoved {\n  from = aws_db_instance.db\n  to   = aws_db_instance.main\n}\n')
    code, out, _ = run(repo, "-f", "json", "--fail-on-regression")
    assert code == 0 and json.loads(out)["workloads"][0]["status"] == "unchanged"

    (repo / lang["file"]).write_text(renamed.replace("multi_az                    = true", "multi_az = false"))
    git(repo, "commit", "-q", "-am", "rename without moved, single-AZ")
    code, out, _ = run(repo, "-f", "json", "--fail-on-regression")
    assert code == 1
    [workload] = json.loads(out)["workloads"]
    assert [s["component"] for s in workload["spofs"]["added"]] == ["aws_db_instance.main"]


def test_an_input_git_ignores_is_unavailable_unless_the_base_path_gives_it(tmp_path: Path) -> None:
    lang = LANGUAGES["cloudformation"]
    repo = repository(tmp_path, lang, None)
    (repo / ".gitignore").write_text("cdk.out/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore the assembly")
    generated = repo / "infra" / "cdk.out" / "Stack.template.json"
    generated.parent.mkdir()
    generated.write_text(json.dumps({"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
        "Engine": "mysql", "DBInstanceClass": "db.t3.micro", "MultiAZ": False, "AllocatedStorage": "20",
        "AvailabilityZone": "us-east-1a", "BackupRetentionPeriod": 7}}}}))
    code, out, _ = run(repo, "-f", "json", "--fail-on-regression")
    assert code == 0
    by_id = {w["id"]: w for w in json.loads(out)["workloads"]}
    stack = by_id["infra/cdk.out/Stack.template.json"]
    assert stack["status"] == "unavailable" and "--base-path" in stack["reason"]
    assert by_id["infra/app.yaml"]["status"] == "unchanged"

    base_inputs = tmp_path / "base-inputs" / "infra" / "cdk.out"
    base_inputs.mkdir(parents=True)
    (base_inputs / "Stack.template.json").write_text(generated.read_text().replace('"MultiAZ": false', '"MultiAZ": true')
                                                     .replace(', "AvailabilityZone": "us-east-1a"', ""))
    code, out, _ = run(repo, "-f", "json", "--fail-on-regression",
                       "--base-path", str(tmp_path / "base-inputs"))
    assert code == 1
    stack = {w["id"]: w for w in json.loads(out)["workloads"]}["infra/cdk.out/Stack.template.json"]
    assert stack["status"] == "changed" and [s["component"] for s in stack["spofs"]["added"]] == ["Db"]


def test_a_base_that_does_not_load_is_reported_not_fatal(tmp_path: Path) -> None:
    lang = LANGUAGES["cloudformation"]
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "infra" / "app.yaml").write_text("Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties: {MultiAZ: [\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "broken")
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "infra" / "app.yaml").write_text(lang["base"].read_text())
    git(repo, "commit", "-q", "-am", "fixed")
    code, out, err = run(repo, "-f", "json", "--fail-on-regression")
    assert code == 0, err
    report = json.loads(out)
    [workload] = report["workloads"]
    assert workload["status"] == "unavailable" and workload["reason"].startswith("the base does not load: infra/app.yaml")
    assert any("infra/app.yaml" in w for w in report["warnings"])


@pytest.mark.parametrize("ref, message", [("--all", "cannot start with '-'"), ("no-such-branch", "no such commit")])
def test_a_bad_ref_is_a_usage_error(ref: str, message: str, tmp_path: Path) -> None:
    repo = repository(tmp_path, LANGUAGES["cloudformation"], None)
    bad = run_cli("resilience", "--no-config", "infra", f"--compare={ref}", cwd=repo)
    assert bad.returncode == 2 and message in bad.stderr
    assert run_cli("resilience", "--no-config", "infra", "--fail-on-regression", cwd=repo).returncode == 2
    assert run_cli("resilience", "--no-config", "infra", "--compare", "main", "-f", "html", cwd=repo).returncode == 2


def test_a_weaker_dr_strategy_and_a_declared_target_no_longer_met_are_regressions(
        tmp_path: Path) -> None:
    lang = LANGUAGES["terraform"]
    declared = {**lang, "base": tmp_path / "declared.tf"}
    declared["base"].write_text(lang["base"].read_text().replace(
        "  manage_master_user_password = true\n",
        '  manage_master_user_password = true\n  tags = {\n    "ha-lint:dr-strategy" = "backup-restore"\n  }\n'))
    head = declared["base"].read_text().replace("backup_retention_period     = 7", "backup_retention_period     = 0")
    repo = repository(tmp_path, declared, head)
    code, out, _ = run(repo, "-f", "json", "--fail-on-regression")
    assert code == 1
    [workload] = json.loads(out)["workloads"]
    assert workload["spofs"] == {"added": [], "removed": []}
    assert workload["strategy"] == {"before": "backup-restore", "after": "none"}
    assert workload["targets"] == {"strategy": {"target": "backup-restore", "before": "met", "after": "missed"}}
    code, out, _ = run(repo)
    assert "DR strategy target backup-restore  met             missed" in out and out.endswith("2 regressions\n")


def test_workloads_match_however_the_path_is_spelled(tmp_path: Path) -> None:
    lang = LANGUAGES["cloudformation"]
    repo = repository(tmp_path, lang, head_text(lang))
    for cwd, path in ((tmp_path, str(repo / "infra")), (tmp_path, "repo/infra"), (repo / "infra", "../infra")):
        done = run_cli("resilience", "--no-config", path, "--compare", "main", "-f", "json", "--fail-on-regression",
                       cwd=cwd)
        code, workloads = done.returncode, json.loads(done.stdout)["workloads"]
        assert code == 1 and [w["status"] for w in workloads] == ["changed"], (cwd, path)
        assert workloads[0]["id"].endswith("infra/app.yaml")
