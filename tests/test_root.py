"""The repository root: references (nested-stack templates, module sources, symbolic links)
are followed only inside it, and nothing of a file beyond it reaches any message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ha_lint.root import RepositoryRoot, git_toplevel, repository_root, root_of
from ha_lint.scan import ScanResult, ScanSettings, load_documents
from helpers import TEMPLATE, ha_lint, new_repo

SECRET = "LeakedSecretDb"  # a name that may appear in no output unless its file is read
SECRET_TEMPLATE = TEMPLATE.replace("OrdersDb", SECRET)
SECRET_MODULE = f'resource "aws_db_instance" "{SECRET}" {{\n  engine   = "postgres"\n  multi_az = false\n}}\n'
DB_MODULE = 'resource "aws_db_instance" "inside" {\n  engine   = "postgres"\n  multi_az = false\n}\n'


def parent_template(absolute: Path) -> str:
    return f"""\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Inside:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./child.yaml
  Relative:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ../secrets/secret.yaml
  Absolute:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: {absolute}
"""


TF_ROOT = """\
module "inside" {
  source = "../modules/db"
}

module "outside" {
  source = "../../secrets/mod"
}
"""


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """tmp/secrets (outside any repository) and tmp/repo (a git repository) whose files point
    at it by a relative and an absolute nested-stack URL, a module source and a link."""
    secrets = tmp_path / "secrets"
    (secrets / "mod").mkdir(parents=True)
    (secrets / "secret.yaml").write_text(SECRET_TEMPLATE)
    (secrets / "mod" / "main.tf").write_text(SECRET_MODULE)
    repo = new_repo(tmp_path / "repo")
    (repo / "parent.yaml").write_text(parent_template(secrets / "secret.yaml"))
    (repo / "child.yaml").write_text(TEMPLATE)
    (repo / "tf").mkdir()
    (repo / "tf" / "main.tf").write_text(TF_ROOT)
    (repo / "modules" / "db").mkdir(parents=True)
    (repo / "modules" / "db" / "main.tf").write_text(DB_MODULE)
    (repo / "link.yaml").symlink_to(secrets / "secret.yaml")
    return repo


def scan_json(*args: str, cwd: Path) -> tuple[int, dict, str]:
    run = ha_lint(*args, "--format", "json", cwd=cwd)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout), run.stdout + run.stderr


def outside_warnings(report: dict) -> set[tuple[str, int | None]]:
    return {(w["file"], w["line"]) for w in report["warnings"] if w["code"] == "reference-outside-root"}


def test_references_outside_the_repository_are_warnings_and_are_not_read(layout: Path) -> None:
    _, report, output = scan_json(".", cwd=layout)
    assert outside_warnings(report) == {("parent.yaml", 10), ("parent.yaml", 14), ("tf/main.tf", 6), ("link.yaml", None)}
    messages = [w["message"] for w in report["warnings"] if w["code"] == "reference-outside-root"]
    assert all("outside the repository root" in m and "--root" in m for m in messages)
    assert any("nested stack Relative: template '../secrets/secret.yaml'" in m for m in messages)
    assert any("module.outside: source '../../secrets/mod'" in m for m in messages)
    assert SECRET not in output  # nothing of the files beyond the root reaches any output
    # What lies inside is read as before: the nested child and the local module.
    found = {(f["file"], f["rule_id"], f["resource"]) for f in report["findings"]}
    assert ("child.yaml", "HA101", "OrdersDb") in found
    assert ("modules/db/main.tf", "HA101", "module.inside.aws_db_instance.inside") in found


def test_root_option_and_config_key_widen_the_root(layout: Path) -> None:
    _, report, output = scan_json(".", "--root", "..", cwd=layout)
    assert outside_warnings(report) == set()
    assert SECRET in output  # read now: its single-AZ database is a finding
    assert any(SECRET in f["resource"] for f in report["findings"])
    (layout / ".ha-lint.yml").write_text("root: ..\n")
    _, report, _ = scan_json(".", cwd=layout)
    assert outside_warnings(report) == set()
    (layout / ".ha-lint.yml").write_text("root: no-such-dir\n")
    run = ha_lint(".", cwd=layout)
    assert run.returncode == 2 and "root: 'no-such-dir' is not a directory" in run.stderr
    run = ha_lint(".", "--root", "no-such-dir", cwd=layout)
    assert run.returncode == 2 and "--root no-such-dir: no such directory" in run.stderr


def test_a_path_named_on_the_command_line_is_always_read(layout: Path) -> None:
    outside = layout.parent / "secrets" / "secret.yaml"
    _, report, _ = scan_json(str(outside), cwd=layout)
    assert any(SECRET in f["resource"] for f in report["findings"])
    # A link named on the command line is read too (only links met while walking are checked).
    _, report, _ = scan_json("link.yaml", cwd=layout)
    assert outside_warnings(report) == set()
    assert any(SECRET in f["resource"] for f in report["findings"])


def test_a_link_inside_the_root_is_followed(layout: Path) -> None:
    (layout / "stacks").mkdir()
    (layout / "stacks" / "alias.yaml").symlink_to(layout / "child.yaml")
    (layout / "link.yaml").unlink()
    _, report, _ = scan_json("stacks", cwd=layout)
    assert outside_warnings(report) == set()
    assert [f["file"] for f in report["findings"] if f["rule_id"] == "HA101"] == ["stacks/alias.yaml"]


def test_a_dot_terraform_linked_out_of_the_repository_is_not_read(layout: Path, tmp_path: Path) -> None:
    # .terraform/modules/modules.json as `terraform init` writes it, behind a link out of the repository.
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "modules" / "vpc").mkdir(parents=True)
    (elsewhere / "modules" / "vpc" / "main.tf").write_text(SECRET_MODULE)
    (elsewhere / "modules" / "modules.json").write_text(
        json.dumps({"Modules": [{"Key": "vpc", "Source": "terraform-aws-modules/vpc/aws", "Dir": ".terraform/modules/vpc"}]}))
    (layout / "remote").mkdir()
    (layout / "remote" / "main.tf").write_text('module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n')
    (layout / "remote" / ".terraform").symlink_to(elsewhere, target_is_directory=True)
    _, report, output = scan_json("remote", cwd=layout)
    assert ("remote", None) in outside_warnings(report)
    assert SECRET not in output
    # Widened, the same link is read.
    _, report, output = scan_json("remote", "--root", "..", cwd=layout)
    assert SECRET in output


def test_an_installed_module_directory_outside_the_root_is_not_read(layout: Path, tmp_path: Path) -> None:
    # modules.json (inside the repository) names a directory outside it.
    (layout / "remote" / ".terraform" / "modules").mkdir(parents=True)
    (layout / "remote" / "main.tf").write_text('module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n')
    (layout / "remote" / ".terraform" / "modules" / "modules.json").write_text(
        json.dumps({"Modules": [{"Key": "vpc", "Dir": str(layout.parent / "secrets" / "mod")}]}))
    _, report, output = scan_json("remote", cwd=layout)
    assert ("remote/main.tf", 2) in outside_warnings(report)
    assert SECRET not in output


def test_trusted_directories_count_as_inside(layout: Path) -> None:
    secrets = layout.parent / "secrets"
    settings = ScanSettings(paths=[str(layout / "tf")], jobs=1, cache_dir=None)
    result = ScanResult()
    _, resources = load_documents(settings, result)
    assert not any(SECRET in r.address for r in resources)
    assert any(getattr(w, "code", "") == "reference-outside-root" for w in result.warnings)
    settings.trusted_dirs = [secrets]  # ha-lint's own module download cache is trusted like this
    result = ScanResult()
    _, resources = load_documents(settings, result)
    assert any(SECRET in r.address for r in resources)
    assert not any(getattr(w, "code", "") == "reference-outside-root" for w in result.warnings)


def test_the_root_of_a_scanned_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "a" / "b").mkdir(parents=True)
    (repo / "a" / "b" / "t.yaml").write_text(TEMPLATE)
    plain = tmp_path / "plain" / "x"
    plain.mkdir(parents=True)
    (plain / "t.yaml").write_text(TEMPLATE)
    monkeypatch.chdir(tmp_path / "plain")
    assert root_of(repo / "a" / "b" / "t.yaml") == repo.resolve()  # the git top level
    assert root_of(plain / "t.yaml") == (tmp_path / "plain").resolve()  # below the current directory: it
    monkeypatch.chdir(repo)
    assert root_of(plain / "t.yaml") == plain.resolve()  # elsewhere: the path itself (a file's directory)
    assert root_of(plain) == plain.resolve()
    # Links are resolved: a path through a link is inside when its target is.
    boundary = repository_root([str(repo)])
    (tmp_path / "via").symlink_to(repo, target_is_directory=True)
    assert boundary.inside_root(tmp_path / "via" / "a" / "b" / "t.yaml")
    assert not boundary.inside_root(tmp_path / "plain" / "x" / "t.yaml")
    assert not boundary.inside_root(str(repo) + "-sibling")  # a prefix is not a parent
    assert RepositoryRoot((str(repo.resolve()),), (str(plain.resolve()),)).inside_root(plain / "t.yaml")


def test_root_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No git on PATH: the nearest .git above still marks the repository."""
    repo = new_repo(tmp_path / "repo")
    (repo / "sub").mkdir()
    git_toplevel.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    try:
        assert root_of(repo / "sub") == repo.resolve()
    finally:
        git_toplevel.cache_clear()


def test_a_stray_configuration_above_the_repository_is_not_used(tmp_path: Path) -> None:
    """Defect 12: a `.ha-lint.yml` in a parent of the repository silently turned every
    finding off. The search stops at the repository root."""
    (tmp_path / ".ha-lint.yml").write_text("ignore: [HA101, NS401]\nfail-on: never\n")
    repo = new_repo(tmp_path / "work" / "repo")
    (repo / "stacks").mkdir()
    (repo / "stacks" / "app.yaml").write_text(TEMPLATE)
    for args, cwd in (((".",), repo), (("stacks",), repo), ((str(repo / "stacks"),), Path("/"))):
        code, report, _ = scan_json(*args, "--select", "HA101,NS401", cwd=cwd)
        assert code == 1 and {f["rule_id"] for f in report["findings"]} == {"HA101", "NS401"}, args
    # The repository's own file is found from below, and --root widens the search.
    (repo / ".ha-lint.yml").write_text("ignore: [NS401]\n")
    _, report, _ = scan_json("stacks", "--select", "HA101,NS401", cwd=repo)
    assert {f["rule_id"] for f in report["findings"]} == {"HA101"}
    (repo / ".ha-lint.yml").unlink()
    code, report, _ = scan_json("stacks", "--root", str(tmp_path), "--select", "HA101,NS401", cwd=repo)
    assert code == 0 and report["findings"] == []  # the file above, inside the root now: its ignore and fail-on


def test_a_link_in_a_module_outside_the_scanned_paths_is_not_read(layout: Path) -> None:
    """A local module read for context (not scanned itself) whose .tf file is a link out of
    the repository: that file is a warning, the module's other files are read."""
    (layout / "modules" / "db" / "leak.tf").symlink_to(layout.parent / "secrets" / "mod" / "main.tf")
    _, report, output = scan_json("tf", cwd=layout)
    assert ("modules/db/leak.tf", None) in outside_warnings(report)
    assert SECRET not in output
    assert any(f["resource"] == "module.inside.aws_db_instance.inside" for f in report["findings"])
