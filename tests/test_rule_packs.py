"""Rule packs from outside ha-lint (--rules-dir, entry points) are checked as they load, and
a rule can ship in preview: it runs only with --preview or ``preview: true``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES
from conftest import run_cli as ha_lint
from ha_lint.engine import RuleError, all_rules, pack_problems

DOCS = '''
    docs = """
    ## What it does
    Flags every workload.
    ## Why it matters
    A test needs a finding.
    ## Example
    Any template.
    ## Use instead
    Nothing.
    ## References
    None.
    """
'''


def rule_source(rule_id: str = "ACM101", name: str = "every-workload", docs: str = DOCS,
                extra: str = "") -> str:
    return (
        "from ha_lint.engine import Rule\n\n\n"
        "class EveryWorkload(Rule):\n"
        f"    id = {rule_id!r}\n"
        f"    name = {name!r}\n"
        '    severity = "medium"\n'
        '    summary = "Flags every workload."\n'
        f"{extra}{docs}\n"
        "    def check(self, arch):\n"
        "        for workload in arch.workloads.values():\n"
        "            yield self.workload_finding(workload, 'a workload')\n"
    )


def pack(tmp_path: Path, source: str) -> Path:
    directory = tmp_path / "pack"
    directory.mkdir(exist_ok=True)
    (directory / "acm101_every_workload.py").write_text(source)
    return directory


def test_a_well_formed_pack_loads_beside_the_built_in_rules(tmp_path: Path) -> None:
    rules = all_rules([str(pack(tmp_path, rule_source()))], plugins=False)
    assert "ACM101" in {r.id for r in rules} and "HA101" in {r.id for r in rules}


@pytest.mark.parametrize(("source", "problem"), [
    (rule_source(rule_id="acm1"), "ID 'acm1' is not two or three capital letters and three digits"),
    (rule_source(rule_id="ACME1011"), "ID 'ACME1011' is not two or three capital letters and three digits"),
    (rule_source(rule_id="HA101"), "clashes with ha-lint's own rule HA101 rds-instance-single-az"),
    (rule_source(name="rds-instance-single-az"), "clashes with ha-lint's own rule HA101 rds-instance-single-az"),
    (rule_source(name="EveryWorkload"), "name 'EveryWorkload' is not kebab-case words"),
    (rule_source(docs=DOCS.replace("## Use instead", "## Fixed")),
     "docs lack the section '## Use instead'"),
    (rule_source(docs=""), "docs lack the sections '## What it does', '## Why it matters', '## Example', "
                           "'## Use instead', '## References'"),
    (rule_source(extra="    preview = 'yes'\n"), "preview must be true or false, got 'yes'"),
    (rule_source(docs="    docs = 42\n"), "docs must be markdown text, got int"),
    (rule_source(extra="    summary = ['Flags', 'lists']\n"), "summary must be one line"),
], ids=["lowercase-id", "long-id", "built-in-id", "built-in-name", "name", "one-section", "no-docs", "preview",
        "docs-not-text", "summary-not-text"])
def test_a_malformed_pack_rule_is_one_diagnostic_naming_its_file(tmp_path: Path, source: str, problem: str) -> None:
    directory = pack(tmp_path, source)
    with pytest.raises(RuleError) as raised:
        all_rules([str(directory)], plugins=False)
    message = str(raised.value)
    assert message.startswith(str(directory / "acm101_every_workload.py") + ": rule ")
    assert problem in message


def test_an_id_that_is_not_text_is_one_diagnostic(tmp_path: Path) -> None:
    directory = pack(tmp_path, rule_source().replace("id = 'ACM101'", "id = 101"))
    with pytest.raises(RuleError, match="rule EveryWorkload: ID 101 is not two or three capital letters"):
        all_rules([str(directory)], plugins=False)


def test_a_pack_rule_may_not_take_a_suppression_check_id(tmp_path: Path) -> None:
    from ha_lint.suppress import META_RULES

    directory = pack(tmp_path, rule_source(rule_id="HL001"))
    with pytest.raises(RuleError, match="clashes with ha-lint's own rule HL001 suppression-without-reason"):
        all_rules([str(directory)], plugins=False, reserved=META_RULES)


def test_every_built_in_rule_passes_the_checks_a_pack_rule_must() -> None:
    assert {r.id: pack_problems(r) for r in all_rules(plugins=False) if pack_problems(r)} == {}


def test_a_bad_pack_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    directory = pack(tmp_path, rule_source(rule_id="acm1"))
    run = ha_lint(str(FIXTURES / "HA101" / "cfn_bad.yaml"), "--rules-dir", str(directory), "--no-cache")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert run.stderr.startswith("ha-lint: error: ") and "acm101_every_workload.py: rule acm1: ID 'acm1'" in run.stderr


# -- preview ----------------------------------------------------------------------------------

def test_a_preview_rule_runs_only_with_preview(tmp_path: Path) -> None:
    directory = pack(tmp_path, rule_source(extra='    preview = True\n    since = "0.2.0"\n'))
    template = str(FIXTURES / "HA101" / "cfn_good.yaml")
    common = [template, "--rules-dir", str(directory), "--no-cache", "--no-config", "--format", "json"]

    def ids(run: subprocess.CompletedProcess[str]) -> set[str]:
        assert run.returncode in (0, 1), run.stderr
        return {f["rule_id"] for f in json.loads(run.stdout)["findings"]}

    assert "ACM101" not in ids(ha_lint(*common))
    assert "ACM101" not in ids(ha_lint(*common, "--select", "ACM"))  # a prefix: the stable ones it matches
    assert "ACM101" in ids(ha_lint(*common, "--preview"))
    named = ha_lint(*common, "--select", "ACM101")  # named by its ID: said, not silently skipped
    assert named.returncode == 2 and "ACM101 is a preview rule: add --preview" in named.stderr
    config = tmp_path / "ha-lint.yml"
    config.write_text("preview: true\n")
    with_config = [template, "--rules-dir", str(directory), "--no-cache", "--config", str(config), "--format", "json"]
    assert "ACM101" in ids(ha_lint(*with_config))
    config.write_text("preview: yes please\n")
    bad = ha_lint(*with_config)
    assert bad.returncode == 2 and "preview" in bad.stderr and "expected true or false" in bad.stderr


def test_rules_and_explain_show_since_and_preview(tmp_path: Path) -> None:
    directory = pack(tmp_path, rule_source(extra='    preview = True\n    since = "0.2.0"\n'))
    listed = ha_lint("rules", "ACM", "--rules-dir", str(directory))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:5] == ["ACM101", "every-workload", "medium", "0.2.0", "(preview)"]
    data = json.loads(ha_lint("rules", "--format", "json", "--rules-dir", str(directory)).stdout)
    by_id = {r["id"]: r for r in data}
    assert (by_id["ACM101"]["since"], by_id["ACM101"]["preview"], by_id["ACM101"]["url"]) == ("0.2.0", True, None)
    assert (by_id["HA101"]["since"], by_id["HA101"]["preview"]) == ("0.1.0", False)
    explained = ha_lint("explain", "ACM101", "--rules-dir", str(directory))
    assert "Since 0.2.0. Preview: runs only with --preview" in explained.stdout


def test_an_installed_plugin_is_checked_the_same_way(tmp_path: Path) -> None:
    """A package that declares an entry point in the group ha_lint.rules (as pip installs it:
    a module and its dist-info on the path)."""
    site = tmp_path / "site"
    (site / "acme_rules").mkdir(parents=True)
    (site / "acme_rules" / "__init__.py").write_text(rule_source(docs=DOCS.replace("## References", "## Sources")))
    info = site / "acme_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[ha_lint.rules]\nacme = acme_rules\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run([sys.executable, "-m", "ha_lint", "rules"], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{site / 'acme_rules' / '__init__.py'}: rule ACM101: docs lack the section '## References'" in run.stderr
    (site / "acme_rules" / "__init__.py").write_text(rule_source())
    run = subprocess.run([sys.executable, "-m", "ha_lint", "rules", "ACM"], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0 and run.stdout.startswith("ACM101  every-workload"), run.stderr
