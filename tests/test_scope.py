"""Loading more than is reported: Terraform files named one by one (as pre-commit passes
them) are linted with their module and its callers; --diff REF reports only on the files
changed since REF, in a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from ha_lint.scope import expand
from helpers import TEMPLATE, commit_all, git, ha_lint, new_repo, report

DB_MODULE = """\
resource "aws_db_instance" "this" {
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  allocated_storage = 100
  multi_az          = var.multi_az
}
"""
DB_VARIABLES = 'variable "multi_az" {\n  type    = bool\n  default = false\n}\n'


def caller(multi_az: str) -> str:
    return f'module "db" {{\n  source   = "../modules/db"\n  multi_az = {multi_az}\n}}\n'


@pytest.fixture
def infra(tmp_path: Path) -> Path:
    root = new_repo(tmp_path / "infra")
    files = {
        "modules/db/main.tf": DB_MODULE,
        "modules/db/variables.tf": DB_VARIABLES,
        "prod/main.tf": caller("true"),
        "staging/main.tf": caller("false"),
        "app/main.tf": DB_MODULE,
        "app/variables.tf": DB_VARIABLES,
        "stacks/orders.yaml": TEMPLATE,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_expand_loads_the_module_and_its_callers(infra: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(infra)
    scope = expand(["modules/db/main.tf", "stacks/orders.yaml"], infra)
    assert sorted(scope.load) == ["modules/db/main.tf", "modules/db/variables.tf", "prod/main.tf",
                                  "stacks/orders.yaml", "staging/main.tf"]
    assert scope.includes("modules/db/main.tf") and scope.includes("stacks/orders.yaml")
    assert not scope.includes("modules/db/variables.tf") and not scope.includes("staging/main.tf")
    assert not expand(["stacks", "app"], infra).restricted  # directories: everything is reported


def test_a_terraform_file_alone_is_linted_with_its_module(infra: Path) -> None:
    # main.tf alone says nothing about var.multi_az; variables.tf beside it gives its default.
    code, doc = report("app/main.tf", "--select", "HA101", cwd=infra)
    assert code == 1
    assert [(f["file"], f["resource"], f["line"]) for f in doc["findings"]] == [("app/main.tf", "aws_db_instance.this", 5)]
    assert "variable multi_az defaults to" in doc["findings"][0]["message"]
    assert "(app/variables.tf:3)" in doc["findings"][0]["message"]
    # Only the files named are reported on.
    code, doc = report("app/variables.tf", "--select", "HA101", cwd=infra)
    assert code == 0 and doc["findings"] == []
    # A changed tfvars stands for its module.
    (infra / "app" / "terraform.tfvars").write_text("multi_az = false\n")
    code, doc = report("app/terraform.tfvars", "--select", "HA101", cwd=infra)
    assert code == 1 and [f["file"] for f in doc["findings"]] == ["app/main.tf"]


def test_a_child_module_file_is_evaluated_through_its_callers(infra: Path) -> None:
    code, doc = report("modules/db/main.tf", "--select", "HA101", cwd=infra)
    # prod passes multi_az = true, staging false: one finding, through staging's call; never
    # the module's own default evaluated as if it were a root. It is reported at staging's
    # input (the call decides it), and shown because the module file defines the resource.
    assert code == 1
    assert [(f["file"], f["resource"]) for f in doc["findings"]] == [("staging/main.tf", "module.db.aws_db_instance.this")]
    assert doc["findings"][0]["related"][0]["file"] == "modules/db/main.tf"
    (infra / "staging" / "main.tf").write_text(caller("true"))
    code, doc = report("modules/db/main.tf", "--select", "HA101", cwd=infra)
    assert code == 0 and doc["findings"] == []


def test_diff_reports_only_files_changed_since_a_ref(infra: Path) -> None:
    for name in ("billing.yaml", "ledger.yaml"):
        (infra / "stacks" / name).write_text(TEMPLATE)
    commit_all(infra, "initial")
    git("checkout", "--quiet", "-b", "feature", cwd=infra)
    billing = infra / "stacks" / "billing.yaml"
    billing.write_text(TEMPLATE.replace("Orders service", "Billing service"))
    commit_all(infra, "billing")
    (infra / "stacks" / "ledger.yaml").write_text(TEMPLATE.replace("Orders service", "Ledger"))  # uncommitted
    (infra / "stacks" / "new.yaml").write_text(TEMPLATE)  # untracked

    code, doc = report("stacks", "--select", "HA101", "--diff", "main", cwd=infra)
    assert code == 1
    assert sorted(f["file"] for f in doc["findings"]) == ["stacks/billing.yaml", "stacks/ledger.yaml", "stacks/new.yaml"]
    # Only the working tree's changes against HEAD.
    code, doc = report("stacks", "--select", "HA101", "--diff", "HEAD", cwd=infra)
    assert sorted(f["file"] for f in doc["findings"]) == ["stacks/ledger.yaml", "stacks/new.yaml"]
    # Nothing changed under the scanned path: clean.
    commit_all(infra, "rest")
    code, doc = report("stacks", "--select", "HA101", "--diff", "HEAD", cwd=infra)
    assert code == 0 and doc["findings"] == []


def test_diff_still_loads_context(infra: Path) -> None:
    commit_all(infra, "initial")
    (infra / "app" / "main.tf").write_text(DB_MODULE.replace('"postgres"', '"mysql"'))
    code, doc = report(".", "--select", "HA101", "--diff", "HEAD", cwd=infra)
    # The variable's default (in the unchanged variables.tf) makes the changed file's database single-AZ.
    assert [(f["file"], f["resource"]) for f in doc["findings"]] == [("app/main.tf", "aws_db_instance.this")]


def test_diff_errors_are_usage_errors(infra: Path, tmp_path: Path) -> None:
    commit_all(infra, "initial")
    run = ha_lint(".", "--diff", "no-such-branch", cwd=infra)
    assert run.returncode == 2 and "--diff no-such-branch: no such commit, branch or tag" in run.stderr
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "a.yaml").write_text(TEMPLATE)
    run = ha_lint(".", "--diff", "main", cwd=outside)
    assert run.returncode == 2 and "needs the scanned paths to be in a git repository" in run.stderr
