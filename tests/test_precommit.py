"""The pre-commit hooks, for real: pre-commit installs this repository (as it is now) into its
own environment from a git clone, and runs the hooks in a temporary git repository, both with
`pre-commit try-repo` and on a real `git commit`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import GIT_ENV, GOOD_TEMPLATE, TEMPLATE, commit_all, git, new_repo, snapshot_of_this_repo

pytestmark = pytest.mark.slow  # pre-commit installs the hook from a clone of this tree

pytest.importorskip("pre_commit")

CONFIG = "select: [HA101, NS401]\n"  # the project's own configuration, found by the hook
HOOKS = yaml.safe_load((Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text())


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """(this repository as a git repository, its commit, pre-commit's home for the module)."""
    repo, rev = snapshot_of_this_repo(tmp_path_factory.mktemp("hook-repo"))
    return repo, rev, tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900, env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home),
                                            "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1"})


def test_hook_definitions() -> None:
    hooks = {h["id"]: h for h in HOOKS}
    assert set(hooks) == {"ha-lint", "ha-lint-all"}
    assert hooks["ha-lint"]["language"] == "python" and hooks["ha-lint"]["entry"] == "ha-lint"
    # Every input ha-lint reads reaches it; ha-lint skips the rest (a workflow file) with a note.
    assert hooks["ha-lint"]["types"] == ["file"] and "types_or" not in hooks["ha-lint"]
    inputs = re.compile(hooks["ha-lint"]["files"])
    for name in ("stack.template", "a.yaml", "b.yml", "c.json", "main.tf", "cdk.tf.json", "prod.tfvars",
                 "prod.tfvars.json", "live/terragrunt.hcl", "live/root.hcl", "cdk.out/manifest.json", ".ha-lint.yml"):
        assert inputs.search(name), name
    for name in ("README.md", "app.py", "Makefile", "main.tf.bak"):
        assert not inputs.search(name), name
    assert hooks["ha-lint"].get("pass_filenames", True) is True
    assert hooks["ha-lint-all"]["pass_filenames"] is False and hooks["ha-lint-all"]["always_run"] is True


def test_try_repo_fails_a_bad_template(hook_repo: tuple[Path, str, Path], tmp_path: Path) -> None:
    # try-repo installs the hook into a fresh environment on every call: one call here.
    repo, _, home = hook_repo
    project = new_repo(tmp_path / "project")
    (project / ".ha-lint.yml").write_text(CONFIG)
    (project / "orders.yaml").write_text(TEMPLATE)
    (project / "billing.yaml").write_text(GOOD_TEMPLATE)
    git("add", "--all", cwd=project)

    run = pre_commit("try-repo", str(repo), "ha-lint", "--files", "orders.yaml", "billing.yaml", ".ha-lint.yml",
                     cwd=project, home=home)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "ha-lint" in run.stdout and "Failed" in run.stdout
    assert "HA101 rds-instance-single-az [high] OrdersDb" in run.stdout
    assert "orders.yaml\n" in run.stdout and "billing.yaml" not in run.stdout  # the good one has nothing
    assert "2 findings (2 high" in run.stdout


def test_a_real_commit_is_stopped_then_let_through(hook_repo: tuple[Path, str, Path], tmp_path: Path) -> None:
    repo, rev, home = hook_repo
    project = new_repo(tmp_path / "project")
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{
        "repo": str(repo), "rev": rev, "hooks": [{"id": "ha-lint"}]}]}))
    (project / ".ha-lint.yml").write_text(CONFIG)
    db = 'variable "multi_az" {\n  type    = bool\n  default = false\n}\n'
    (project / "db").mkdir()
    (project / "db" / "variables.tf").write_text(db)
    (project / "db" / "main.tf").write_text('resource "aws_db_instance" "main" {\n  engine = "postgres"\n'
                                            '  instance_class = "db.m6g.large"\n  multi_az = true\n}\n')
    commit_all(project, "initial")
    install = pre_commit("install", cwd=project, home=home)
    assert install.returncode == 0, install.stderr

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "commit", "-m", message], cwd=project, capture_output=True, text=True,
                              timeout=900, env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home),
                                                "PRE_COMMIT_COLOR": "never"})

    (project / "orders.yaml").write_text(TEMPLATE)
    git("add", "orders.yaml", cwd=project)
    refused = commit("add orders stack")
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "HA101 rds-instance-single-az [high] OrdersDb" in output and "NS401 sg-admin-port-open" in output
    assert git("rev-list", "--count", "HEAD", cwd=project).strip() == "1"  # nothing committed

    (project / "orders.yaml").write_text(GOOD_TEMPLATE)
    git("add", "orders.yaml", cwd=project)
    accepted = commit("add orders stack, Multi-AZ")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git("rev-list", "--count", "HEAD", cwd=project).strip() == "2"

    # Only main.tf is in the commit; the variable it reads lives in variables.tf.
    (project / "db" / "main.tf").write_text('resource "aws_db_instance" "main" {\n  engine = "postgres"\n'
                                            '  instance_class = "db.m6g.large"\n  multi_az = var.multi_az\n}\n')
    git("add", "db/main.tf", cwd=project)
    refused = commit("multi-AZ from a variable")
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "db/main.tf" in output and "aws_db_instance.main" in output
    assert "variable multi_az defaults to" in output and "(db/variables.tf:3)" in output


def test_readme_config_names_real_hooks() -> None:
    from helpers import readme_blocks

    config = yaml.safe_load(readme_blocks("pre-commit", "yaml")[0])
    ids = {h["id"] for h in HOOKS}
    assert {hook["id"] for repo in config["repos"] for hook in repo["hooks"]} <= ids


def test_a_commit_of_other_files_passes_and_a_variables_file_is_checked(hook_repo: tuple[Path, str, Path],
                                                                       tmp_path: Path) -> None:
    # pre-commit passes every YAML file of a commit: a workflow alone is skipped with a note and
    # passes; a .tfvars.json alone reaches ha-lint, which judges its module with it.
    repo, rev, home = hook_repo
    project = new_repo(tmp_path / "project")
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{
        "repo": str(repo), "rev": rev, "hooks": [{"id": "ha-lint", "verbose": True}]}]}))
    (project / ".ha-lint.yml").write_text(CONFIG)
    (project / "db").mkdir()
    (project / "db" / "variables.tf").write_text('variable "multi_az" {\n  type    = bool\n  default = true\n}\n')
    (project / "db" / "main.tf").write_text('resource "aws_db_instance" "main" {\n  engine = "postgres"\n'
                                            '  instance_class = "db.m6g.large"\n  multi_az = var.multi_az\n}\n')
    commit_all(project, "initial")
    assert pre_commit("install", cwd=project, home=home).returncode == 0

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "commit", "-m", message], cwd=project, capture_output=True, text=True,
                              timeout=900, env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home),
                                                "PRE_COMMIT_COLOR": "never"})

    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "ci.yml").write_text("name: ci\non: push\njobs: {}\n")
    git("add", ".github/workflows/ci.yml", cwd=project)
    accepted = commit("CI workflow")
    output = accepted.stdout + accepted.stderr
    assert accepted.returncode == 0, output
    assert "ha-lint" in output and "Passed" in output  # it ran (not "no files to check")
    assert ".github/workflows/ci.yml: not a CloudFormation template, Terraform file or plan; skipped" in output

    (project / "db" / "prod.auto.tfvars.json").write_text('{"multi_az": false}\n')
    git("add", "db/prod.auto.tfvars.json", cwd=project)
    refused = commit("prod variables")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "HA101 rds-instance-single-az [high] aws_db_instance.main" in output
    assert "db/prod.auto.tfvars.json:1" in output
