"""The cache of loaded files and resolved Terraform root modules: a warm re-scan gives exactly
the cold scan's findings, is served from the cache, and never serves a stale result when a
template, a child module, a tfvars file, a variable or the rule options change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from ha_lint import cache as cache_module
from ha_lint.engine import all_rules
from ha_lint.graph import Options
from ha_lint.scan import ScanSettings, scan

ROOT_MODULE = """\
module "db" {
  source   = "./modules/db"
  multi_az = var.multi_az
}

variable "multi_az" {
  type    = bool
  default = true
}
"""

CHILD_MODULE = """\
variable "multi_az" {
  type = bool
}

resource "aws_db_instance" "this" {
  engine                  = "postgres"
  instance_class          = "db.m6g.large"
  allocated_storage       = 100
  multi_az                = var.multi_az
  backup_retention_period = RETENTION
}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app" / "modules" / "db").mkdir(parents=True)
    (root / "app" / "main.tf").write_text(ROOT_MODULE)
    (root / "app" / "modules" / "db" / "main.tf").write_text(CHILD_MODULE.replace("RETENTION", "7"))
    shutil.copy(FIXTURES / "HA101" / "cfn_bad.yaml", root / "stack.yaml")
    return root


def findings(root: Path, cache_dir: Path | None, options: Options | None = None) -> list[tuple[str, int, str, str]]:
    settings = ScanSettings(paths=[str(root)], cache_dir=cache_dir, jobs=1, options=options or Options())
    result = scan(settings, [cls() for cls in all_rules()])
    assert result.errors == []
    return sorted((Path(f.file).name, f.line, f.rule_id, f.resource) for f in result.findings)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every cache lookup of the scan, True for a hit (our own Cache, observed, not replaced)."""
    seen: list[bool] = []
    real_get = cache_module.Cache.get

    def get(self: cache_module.Cache, key: str):
        value = real_get(self, key)
        seen.append(value is not None)
        return value

    monkeypatch.setattr(cache_module.Cache, "get", get)
    return seen


def test_a_warm_scan_is_served_from_the_cache_with_the_same_findings(repo: Path, tmp_path: Path,
                                                                     lookups: list[bool]) -> None:
    cold = findings(repo, None)
    assert ("main.tf", 9, "HA101", "module.db.aws_db_instance.this") not in cold  # multi_az defaults to true
    assert any(rule == "HA101" and name == "stack.yaml" for name, _, rule, _ in cold)
    first = findings(repo, tmp_path / "cache")
    assert first == cold
    assert lookups and not any(lookups)  # an empty cache: every lookup missed
    lookups.clear()
    assert findings(repo, tmp_path / "cache") == cold
    assert lookups and all(lookups)  # every file and the root module came from the cache


def test_a_changed_child_module_is_resolved_again(repo: Path, tmp_path: Path) -> None:
    findings(repo, tmp_path / "cache")
    child = repo / "app" / "modules" / "db" / "main.tf"
    child.write_text(CHILD_MODULE.replace("RETENTION", "0"))
    warm = findings(repo, tmp_path / "cache")
    assert ("main.tf", 10, "BK201", "module.db.aws_db_instance.this") in warm
    assert warm == findings(repo, None)


def test_a_tfvars_file_or_a_variable_in_the_environment_changes_the_result(repo: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    bad = ("main.tf", 9, "HA101", "module.db.aws_db_instance.this")
    assert bad not in findings(repo, tmp_path / "cache")
    (repo / "app" / "terraform.tfvars").write_text("multi_az = false\n")
    assert bad in findings(repo, tmp_path / "cache")
    (repo / "app" / "terraform.tfvars").unlink()
    assert bad not in findings(repo, tmp_path / "cache")
    monkeypatch.setenv("TF_VAR_multi_az", "false")
    assert bad in findings(repo, tmp_path / "cache")


def test_rule_options_always_apply_to_a_warm_scan(repo: Path, tmp_path: Path) -> None:
    short = ("main.tf", 10, "BK202", "module.db.aws_db_instance.this")
    assert short not in findings(repo, tmp_path / "cache")  # 7 days meets the default minimum
    assert short in findings(repo, tmp_path / "cache", Options(min_backup_retention_days=14))


def test_a_changed_template_is_loaded_again(repo: Path, tmp_path: Path) -> None:
    before = findings(repo, tmp_path / "cache")
    stack = repo / "stack.yaml"
    stack.write_text(stack.read_text().replace("MultiAZ: false", "MultiAZ: true"))
    after = findings(repo, tmp_path / "cache")
    assert after == findings(repo, None)
    assert len([f for f in after if f[2] == "HA101"]) < len([f for f in before if f[2] == "HA101"])


def test_the_cache_is_kept_per_version_of_ha_lint(tmp_path: Path) -> None:
    store = cache_module.Cache(tmp_path)
    assert store.directory == tmp_path / cache_module.code_fingerprint()
    store.put("ab" * 32, {"answer": 42})
    assert store.get("ab" * 32) == {"answer": 42}
    assert cache_module.Cache(tmp_path / "elsewhere").get("ab" * 32) is None
