"""Findings at the module call (issue 17): a finding on a module's resource is reported at the
input of the call that decided it, else at the module block of code outside the repository,
else where the resource is written; it keeps its identity (baseline, SARIF fingerprint), names
its module and root, and can be suppressed where it is reported.

The example of the issue: ``fixtures/modules/registry_call``, a root calling stand-ins for
``terraform-aws-modules/rds/aws`` and ``terraform-aws-modules/vpc/aws`` (installed under
``.terraform/modules`` with ``modules.json``, or downloaded with ``--download-modules`` from a
registry served on 127.0.0.1); ``fixtures/modules/two_roots``: dev and prod over one module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, run_cli
from ha_lint import baseline
from ha_lint.model import Finding
from helpers import ha_lint, new_repo, report

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
EXAMPLE = FIXTURES / "modules" / "registry_call"
TWO_ROOTS = FIXTURES / "modules" / "two_roots"
DB_INSTANCE = ".terraform/modules/db/modules/db_instance/main.tf"
VPC = ".terraform/modules/vpc/main.tf"
# The rule, the input written in the root's main.tf that decides it, and the line in the
# module where the resource's property (or, for HA107, the resource) is written.
EXAMPLE_FINDINGS = {
    "HA101": ("multi_az                = false", DB_INSTANCE, "multi_az                = var.multi_az"),
    "BK201": ("backup_retention_period = 0", DB_INSTANCE, "backup_retention_period = var.backup_retention_period"),
    "NS408": ("publicly_accessible     = true", DB_INSTANCE, "publicly_accessible     = var.publicly_accessible"),
    "HA107": ("single_nat_gateway = true", VPC, 'resource "aws_nat_gateway" "this"'),
}


def line_of(path: Path, text: str) -> int:
    """The line of ``path`` holding ``text`` (exactly one)."""
    found = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    assert len(found) == 1, (path, text, found)
    return found[0]


def example_repo(tmp_path: Path) -> Path:
    repo = new_repo(tmp_path / "repo")
    shutil.copytree(EXAMPLE, repo / "infra")
    return repo


def by_rule(doc: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for finding in doc["findings"]:
        assert finding["rule_id"] not in out or finding["rule_id"] == "DR306", finding
        out[finding["rule_id"]] = finding
    return out


def assert_example_at_inputs(doc: dict, cwd: Path, main_tf: Path, module_dir: Path | None) -> None:
    """HA101, BK201, NS408, HA107 at the input lines of ``main_tf``, each pointing back at the
    module's line (``module_dir``: where the modules are, when known)."""
    found = by_rule(doc)
    for rule, (given, module_file, written) in EXAMPLE_FINDINGS.items():
        finding = found[rule]
        assert (cwd / finding["file"]).resolve() == main_tf.resolve(), finding
        assert finding["line"] == line_of(main_tf, given), finding
        assert finding["resource"].startswith(("module.db.module.db_instance.aws_db_instance.this",
                                               "module.vpc.aws_nat_gateway.this")), finding
        [related] = finding["related"]
        inside_module = module_file.split(".terraform/modules/")[1].split("/", 1)[1]  # the module's own path
        assert related["file"].endswith(inside_module), related
        if module_dir is not None:
            assert related["line"] == line_of(module_dir / module_file.split(".terraform/modules/")[1], written)
        assert "is written here" in related["message"]
        source = "terraform-aws-modules/vpc/aws" if rule == "HA107" else "terraform-aws-modules/rds/aws"
        assert source in finding["message"] and "root " in finding["message"], finding["message"]


def test_the_issue_example_is_reported_at_the_inputs_of_the_root(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    main_tf = repo / "infra" / "main.tf"
    code, doc = report("infra", "--no-config", cwd=repo)
    assert code == 1 and doc["errors"] == []
    assert_example_at_inputs(doc, repo, main_tf, repo / "infra" / ".terraform" / "modules")
    found = by_rule(doc)
    # registry versions come from modules.json
    assert "terraform-aws-modules/rds/aws 6.1.1" in found["HA101"]["message"]
    assert "terraform-aws-modules/vpc/aws 5.8.1" in found["HA107"]["message"]
    # the deciding input for HA107 is single_nat_gateway, not enable_nat_gateway next to it
    assert "single_nat_gateway = true decides it" in found["HA107"]["related"][0]["message"]
    # No input causes BK203 (the module's own default): reported at the module "db" block.
    assert found["BK203"]["file"].endswith("infra/main.tf")
    assert found["BK203"]["line"] == line_of(main_tf, 'module "db" {')
    assert "outside the repository" in found["BK203"]["related"][0]["message"]
    # findings not on a module's resource have no related locations and no root
    assert found["DR306"]["related"] == [] and found["DR306"]["root"] is None
    # nothing is reported inside .terraform/
    assert not any(".terraform" in f["file"] for f in doc["findings"])


def test_each_finding_is_suppressible_at_its_input_line(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    main_tf = repo / "infra" / "main.tf"
    lines = main_tf.read_text().splitlines()
    for rule, (given, _, _) in EXAMPLE_FINDINGS.items():
        number = line_of(main_tf, given)
        lines[number - 1] += f"  # ha-lint: ignore[{rule}] sandbox copy of the orders stack"
    main_tf.write_text("\n".join(lines) + "\n")
    code, doc = report("infra", "--no-config", "--show-suppressed", cwd=repo)
    rules = {f["rule_id"] for f in doc["findings"]}
    assert rules.isdisjoint(EXAMPLE_FINDINGS), rules
    assert "HL003" not in rules and "HL001" not in rules
    assert sorted(s["rule_id"] for s in doc["suppressed"]) == sorted(EXAMPLE_FINDINGS)
    assert all(s["suppression"]["at"].startswith("infra/main.tf:") for s in doc["suppressed"])


def test_a_suppression_on_the_line_above_the_input_works_too(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    main_tf = repo / "infra" / "main.tf"
    text = main_tf.read_text().replace("  single_nat_gateway = true\n",
                                       "  # ha-lint: ignore[HA107] one NAT gateway is enough for this sandbox\n"
                                       "  single_nat_gateway = true\n")
    main_tf.write_text(text)
    _, doc = report("infra", "--no-config", cwd=repo)
    assert "HA107" not in {f["rule_id"] for f in doc["findings"]}
    assert "HL003" not in {f["rule_id"] for f in doc["findings"]}
    assert doc["summary"]["suppressed"] == 1


def test_sarif_is_valid_with_related_locations_and_identity_fingerprints(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    out = repo / "out.sarif"
    run = ha_lint("infra", "--no-config", "--format", f"sarif:{out}", cwd=repo)
    assert run.returncode == 1, run.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, SCHEMA)
    results = {r["ruleId"]: r for r in doc["runs"][0]["results"]}
    ha101 = results["HA101"]
    location = ha101["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "infra/main.tf"
    assert location["region"]["startLine"] == line_of(repo / "infra" / "main.tf", "multi_az                = false")
    related, *steps = ha101["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == f"infra/{DB_INSTANCE}"
    assert related["physicalLocation"]["region"]["startLine"] == line_of(
        repo / "infra" / DB_INSTANCE, "multi_az                = var.multi_az")
    # Then the value's trace, source first: the root's input, then the wrapper module's input.
    wrapper = ".terraform/modules/db/main.tf"
    assert [(step["physicalLocation"]["artifactLocation"]["uri"], step["physicalLocation"]["region"]["startLine"],
             step["message"]["text"], step["id"]) for step in steps] == [
        ("infra/main.tf", line_of(repo / "infra" / "main.tf", "multi_az                = false"),
         "trace step 1 of 2: module db input multi_az = false", 2),
        (f"infra/{wrapper}", line_of(repo / "infra" / wrapper, "multi_az                = var.multi_az"),
         "trace step 2 of 2: module db_instance input multi_az = false", 3)]
    assert ha101["properties"]["root"] == "infra"
    # The fingerprint is the identity with the file that defines the resource, plus the root:
    # never the reported file or line.
    defined = Finding("HA101", "", "", "", f"{repo}/infra/{DB_INSTANCE}", 1,
                      "module.db.module.db_instance.aws_db_instance.this[0]", "", "multi_az", root=str(repo / "infra"))
    assert ha101["partialFingerprints"][baseline.FINGERPRINT_KEY] == baseline.fingerprint(defined, repo.resolve())


def test_moving_the_input_keeps_the_fingerprint(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)

    def fingerprints() -> dict[str, tuple[int, str]]:
        out = repo / "out.sarif"
        ha_lint("infra", "--no-config", "--format", f"sarif:{out}", cwd=repo)
        return {r["ruleId"]: (r["locations"][0]["physicalLocation"]["region"]["startLine"],
                              r["partialFingerprints"][baseline.FINGERPRINT_KEY])
                for r in json.loads(out.read_text())["runs"][0]["results"]}

    before = fingerprints()
    main_tf = repo / "infra" / "main.tf"
    main_tf.write_text("# Orders: a sandbox copy\n# of the production stack\n" + main_tf.read_text())
    after = fingerprints()
    for rule in EXAMPLE_FINDINGS:
        assert after[rule][0] == before[rule][0] + 2
        assert after[rule][1] == before[rule][1]


def test_downloaded_modules_are_reported_at_the_inputs_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other way of installing them: --download-modules from a registry on 127.0.0.1."""
    from test_download_modules import Server, tar_gz

    modules = EXAMPLE / ".terraform" / "modules"
    server = Server()
    try:
        home = tmp_path / "home"
        home.mkdir()
        config = home / "terraform.rc"
        config.write_text(f'host "registry.terraform.io" {{\n  services = {{\n'
                          f'    "modules.v1" = "{server.url}/v1/modules/"\n  }}\n}}\n')
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
        for name, version, directory in (("rds", "6.1.1", modules / "db"), ("vpc", "5.8.1", modules / "vpc")):
            files = {f"terraform-aws-{name}-{version}/{p.relative_to(directory)}": p.read_text()
                     for p in sorted(directory.rglob("*.tf"))}
            server.routes[f"/archives/{name}.tar.gz"] = (200, {}, tar_gz(files))
            server.serve_module("terraform-aws-modules", name, "aws",
                                {version: f"/archives/{name}.tar.gz//*?archive=tar.gz"})
        repo = new_repo(tmp_path / "repo")
        (repo / "infra").mkdir()
        shutil.copy(EXAMPLE / "main.tf", repo / "infra" / "main.tf")
        out = tmp_path / "report.json"
        code = run_cli("infra", "--no-config", "-j", "1", "--cache-dir", str(tmp_path / "cache"),
                       "--download-modules", "-f", "json", "-o", str(out), cwd=repo).returncode
        doc = json.loads(out.read_text())
    finally:
        server.close()
    assert code == 1 and doc["errors"] == [], doc["errors"]
    assert_example_at_inputs(doc, repo, repo / "infra" / "main.tf", None)


def test_one_module_under_two_roots_gives_each_root_its_finding(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    shutil.copytree(TWO_ROOTS, repo / "live")
    code, doc = report("live", "--no-config", cwd=repo)
    assert code == 1
    dev, module = repo / "live" / "envs" / "dev" / "main.tf", repo / "live" / "modules" / "db" / "main.tf"
    found = {(f["rule_id"], f["file"], f["line"], f["root"]) for f in doc["findings"] if f["rule_id"] != "DR306"}
    assert found == {
        # dev's inputs decide these: reported in dev's main.tf
        ("HA101", "live/envs/dev/main.tf", line_of(dev, "multi_az                = false"), "live/envs/dev"),
        ("BK202", "live/envs/dev/main.tf", line_of(dev, "backup_retention_period = 1"), "live/envs/dev"),
        # hard-coded in the local module: stays there, once per root
        ("BK203", "live/modules/db/main.tf", line_of(module, "deletion_protection     = false"), "live/envs/dev"),
        ("BK203", "live/modules/db/main.tf", line_of(module, "deletion_protection     = false"), "live/envs/prod"),
    }
    messages = sorted(f["message"] for f in doc["findings"] if f["rule_id"] == "BK203")
    assert "root live/envs/dev." in messages[0] and "root live/envs/prod." in messages[1]

    text = ha_lint("live", "--no-config", cwd=repo).stdout
    assert "live/modules/db/main.tf (root live/envs/dev)" in text
    assert "live/modules/db/main.tf (root live/envs/prod)" in text

    out = repo / "out.sarif"
    ha_lint("live", "--no-config", "--format", f"sarif:{out}", cwd=repo)
    sarif = json.loads(out.read_text())
    jsonschema.validate(sarif, SCHEMA)
    prints = {r["properties"]["root"]: r["partialFingerprints"][baseline.FINGERPRINT_KEY]
              for r in sarif["runs"][0]["results"] if r["ruleId"] == "BK203"}
    assert set(prints) == {"live/envs/dev", "live/envs/prod"} and len(set(prints.values())) == 2


def test_a_suppression_in_the_local_module_still_covers_every_root(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    shutil.copytree(TWO_ROOTS, repo / "live")
    module = repo / "live" / "modules" / "db" / "main.tf"
    module.write_text(module.read_text().replace(
        "  multi_az                = var.multi_az\n",
        "  multi_az                = var.multi_az # ha-lint: ignore[HA101] single-AZ is the module's dev default\n"))
    _, doc = report("live", "--no-config", cwd=repo)
    assert "HA101" not in {f["rule_id"] for f in doc["findings"]}
    assert "HL003" not in {f["rule_id"] for f in doc["findings"]}


def test_per_path_ignores_match_the_defining_file(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    shutil.copytree(TWO_ROOTS, repo / "live")
    (repo / ".ha-lint.yml").write_text(
        "per-path-ignores:\n  - path: live/modules/db/**\n    rules: [HA101]\n    reason: the dev database is single-AZ\n")
    _, doc = report("live", cwd=repo)
    assert "HA101" not in {f["rule_id"] for f in doc["findings"]}
    assert "HL003" not in {f["rule_id"] for f in doc["findings"]}


def test_nested_local_modules_report_at_the_outermost_call(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "modules" / "app").mkdir(parents=True)
    (repo / "modules" / "db").mkdir(parents=True)
    (repo / "main.tf").write_text('module "app" {\n  source      = "./modules/app"\n  db_multi_az = false\n}\n')
    (repo / "modules" / "app" / "main.tf").write_text(
        'variable "db_multi_az" {\n  type = bool\n}\n\nmodule "db" {\n  source   = "../db"\n'
        '  multi_az = var.db_multi_az\n}\n')
    (repo / "modules" / "db" / "main.tf").write_text(
        'variable "multi_az" {\n  type = bool\n}\n\nresource "aws_db_instance" "this" {\n  engine            = "postgres"\n'
        '  instance_class    = "db.m6g.large"\n  allocated_storage = 100\n  multi_az          = var.multi_az\n'
        '  backup_retention_period = 7\n}\n')
    _, doc = report(".", "--no-config", "--select", "HA101", cwd=repo)
    [finding] = doc["findings"]
    assert (finding["file"], finding["line"]) == ("main.tf", 3)
    assert finding["resource"] == "module.app.module.db.aws_db_instance.this"
    assert finding["related"][0]["file"] == "modules/db/main.tf" and finding["related"][0]["line"] == 9


def test_a_hard_coded_value_in_a_local_module_stays_where_it_is_written(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "modules" / "db").mkdir(parents=True)
    (repo / "main.tf").write_text('module "db" {\n  source = "./modules/db"\n}\n')
    (repo / "modules" / "db" / "main.tf").write_text(
        'resource "aws_db_instance" "this" {\n  engine            = "postgres"\n  instance_class    = "db.m6g.large"\n'
        '  allocated_storage = 100\n  multi_az          = false\n  backup_retention_period = 7\n}\n')
    _, doc = report(".", "--no-config", "--select", "HA101", cwd=repo)
    [finding] = doc["findings"]
    # it stays, pointing at the module block that makes it
    assert (finding["file"], finding["line"], finding["related"]) == (
        "modules/db/main.tf", 5, [{"file": "main.tf", "line": 1, "message": "module.db is called here"}])
    assert finding["message"].endswith("(In module.db; root ..)")


def test_a_baseline_written_before_the_move_still_matches() -> None:
    """tests/data/modules_baseline_before_call_site.json was written by ha-lint before findings
    moved to the call (each finding in its module file; two roots' identical findings once)."""
    written = json.loads((ROOT / "tests" / "data" / "modules_baseline_before_call_site.json").read_text())
    assert all("root" not in entry for entry in written["findings"])
    assert any(".terraform/" in entry["file"] for entry in written["findings"])
    code, doc = report("fixtures/modules", "--no-config", "--baseline",
                       "tests/data/modules_baseline_before_call_site.json", cwd=ROOT)
    assert code == 0, doc["findings"]
    assert doc["findings"] == []
    assert doc["summary"]["baselined"] == 12  # BK203 of dev and prod: one entry from before
    assert not any(w["code"] == "baseline-stale" for w in doc["warnings"])


def test_a_new_baseline_records_the_root_and_a_new_root_is_new(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    shutil.copytree(TWO_ROOTS, repo / "live")
    prod = repo / "live" / "envs" / "prod"
    shutil.rmtree(prod)
    written = repo / "baseline.json"
    assert ha_lint("live", "--no-config", "--write-baseline", str(written), cwd=repo).returncode == 0
    entries = json.loads(written.read_text())["findings"]
    assert {e.get("root") for e in entries if e["rule"] == "BK203"} == {"live/envs/dev"}
    shutil.copytree(TWO_ROOTS / "envs" / "prod", prod)  # a second root calls the same module
    code, doc = report("live", "--no-config", "--baseline", str(written), cwd=repo)
    assert code == 1
    assert {(f["rule_id"], f["root"]) for f in doc["findings"]} == {("BK203", "live/envs/prod"), ("DR306", None)}


def test_a_change_to_the_module_alone_shows_the_finding_it_causes_at_the_call(tmp_path: Path) -> None:
    """--diff: the finding is reported in main.tf (unchanged), but its resource is written in
    the changed module file; it is shown, and a suppression at the call still applies."""
    from helpers import commit_all

    repo = new_repo(tmp_path / "repo")
    shutil.copytree(TWO_ROOTS, repo / "live")
    module = repo / "live" / "modules" / "db" / "main.tf"
    module.write_text(module.read_text().replace("  multi_az                = var.multi_az\n", "  multi_az                = true\n"))
    commit_all(repo, "dev and prod, always Multi-AZ")
    module.write_text(module.read_text().replace("  multi_az                = true\n", "  multi_az                = var.multi_az\n"))
    code, doc = report("live", "--no-config", "--diff", "HEAD", "--select", "HA101", cwd=repo)
    assert code == 1
    assert [(f["file"], f["line"]) for f in doc["findings"]] == [
        ("live/envs/dev/main.tf", line_of(repo / "live" / "envs" / "dev" / "main.tf", "multi_az                = false"))]

    dev = repo / "live" / "envs" / "dev" / "main.tf"
    dev.write_text(dev.read_text().replace("  multi_az                = false\n",
                                           "  multi_az                = false # ha-lint: ignore[HA101] dev, rebuilt nightly\n"))
    commit_all(repo, "dev accepts single-AZ")
    module.write_text(module.read_text().replace("  deletion_protection     = false\n", "  deletion_protection     = true\n"))
    code, doc = report("live", "--no-config", "--diff", "HEAD", "--select", "HA101", cwd=repo)
    assert code == 0 and doc["findings"] == [] and doc["summary"]["suppressed"] == 1


class _Scope:
    """Root names for hclexpr: ``var`` only."""

    def __init__(self, variables: dict) -> None:
        self.variables = variables

    def get(self, name: str, default=None):
        return self.variables if name == "var" else default


def test_a_known_condition_s_untaken_branch_decides_nothing() -> None:
    from ha_lint.hclexpr import deciding_references, references

    count = "${var.single_nat_gateway ? 1 : var.one_nat_gateway_per_az ? length(var.azs) : var.max_subnets}"
    everything = [("var", "single_nat_gateway"), ("var", "one_nat_gateway_per_az"), ("var", "azs"), ("var", "max_subnets")]
    assert references(count) == everything
    assert deciding_references(count, _Scope({"single_nat_gateway": True})) == [("var", "single_nat_gateway")]
    # the branch taken first, then the conditions that chose it
    assert deciding_references(count, _Scope({"single_nat_gateway": False, "one_nat_gateway_per_az": True})) == [
        ("var", "azs"), ("var", "one_nat_gateway_per_az"), ("var", "single_nat_gateway")]
    # an unknown condition: both branches may decide
    assert deciding_references(count, _Scope({})) == everything


def test_a_condition_or_filter_that_decides_nothing_is_no_origin() -> None:
    from ha_lint.hclexpr import deciding_references

    retention = "${var.blue_green_update != null ? coalesce(var.backup_retention_period, 1) : var.backup_retention_period}"
    same = _Scope({"blue_green_update": {"enabled": True}, "backup_retention_period": 0})
    assert deciding_references(retention, same) == [("var", "backup_retention_period")]
    decides = _Scope({"blue_green_update": {"enabled": True}, "backup_retention_period": None})
    assert deciding_references(retention, decides) == [("var", "backup_retention_period"), ("var", "blue_green_update")]
    # A for filter decides which items exist, not what an item holds.
    each = "${{for k, v in var.instances : k => v if var.create}}"
    assert deciding_references(each, _Scope({"instances": {"a": {}}, "create": True})) == [("var", "instances")]
    assert deciding_references("${[for k in [1] : k if var.create]}", _Scope({"create": True})) == [("var", "create")]
    # A count or for_each whose condition chooses between instances and none: the switch only
    # says that the instances exist; their number (or collection) is what a finding is about.
    count = "${var.create && var.enable_nat ? var.nat_count : 0}"
    switched = _Scope({"create": True, "enable_nat": True, "nat_count": 1})
    assert deciding_references(count, switched, instances=True) == [("var", "nat_count")]
    assert deciding_references(count, switched) == [("var", "nat_count"), ("var", "create"), ("var", "enable_nat")]
    groups = "${var.create ? var.groups : {}}"
    assert deciding_references(groups, _Scope({"create": True, "groups": {"a": {}}}), instances=True) == [("var", "groups")]


def test_a_value_through_a_dynamic_block_is_reported_at_the_input(tmp_path: Path) -> None:
    """``dynamic "x" { for_each = [each.value.y]; iterator = i; content { type = i.value } }``:
    the content's value was set where the for_each collection was (the call's input)."""
    repo = new_repo(tmp_path / "repo")
    shutil.copytree(FIXTURES / "DR302" / "tf_bad_dynamic_module", repo / "dns")
    _, doc = report(".", "--no-config", "--select", "DR302", cwd=repo)
    [finding] = doc["findings"]
    assert (finding["file"], finding["line"]) == ("dns/main.tf", 5)
    module = repo / "dns" / "modules" / "dns" / "main.tf"
    assert [(r["file"], r["line"]) for r in finding["related"]] == [
        ("dns/modules/dns/main.tf", line_of(module, 'dynamic "failover_routing_policy"'))]
    assert "module dns input records" in finding["related"][0]["message"]


def test_a_collection_given_at_the_call_decides_even_when_defaulted_flags_filter_it(tmp_path: Path) -> None:
    """``for_each = {for k, v in var.mappings : k => v if var.a && var.b && var.c}``: four
    settings, but only the collection was written by the caller (the flags keep their
    defaults), so the finding is reported at that input."""
    repo = new_repo(tmp_path / "repo")
    (repo / "mod").mkdir()
    (repo / "mod" / "main.tf").write_text(
        'variable "mappings" {\n  type    = any\n  default = {}\n}\n'
        'variable "a" { default = true }\nvariable "b" { default = true }\nvariable "c" { default = true }\n'
        'resource "aws_lambda_event_source_mapping" "this" {\n'
        '  for_each          = { for k, v in var.mappings : k => v if var.a && var.b && var.c }\n'
        '  function_name     = "fn"\n  event_source_arn  = each.value.arn\n  starting_position = "LATEST"\n}\n')
    (repo / "root").mkdir()
    (repo / "root" / "main.tf").write_text(
        'resource "aws_kinesis_stream" "s" {\n  name        = "s"\n  shard_count = 1\n}\n'
        'module "lambda" {\n  source = "../mod"\n  mappings = {\n'
        '    kinesis = { arn = aws_kinesis_stream.s.arn }\n  }\n}\n')
    _, doc = report(".", "--no-config", "--select", "OP603", cwd=repo)
    [finding] = doc["findings"]
    assert (finding["file"], finding["line"]) == ("root/main.tf", 7)
    assert [(r["file"], r["line"]) for r in finding["related"]] == [("mod/main.tf", 8)]


def test_a_rule_resource_made_per_named_rule_is_reported_at_the_cidr_input(tmp_path: Path) -> None:
    """A security-group rule made by ``count`` over a list of named rules, its CIDR given two
    calls up: NS402 judges the open source, so it goes to the outermost call's CIDR input, not
    to the wrapper's rule list (third precision review: terraform-aws-security-group's
    examples/computed, reported inside the shared wrapper)."""
    repo = new_repo(tmp_path / "repo")
    for name in ("rule", "wrap", "root"):
        (repo / name).mkdir()
    (repo / "rule" / "main.tf").write_text(
        'variable "ingress_rules" { default = [] }\nvariable "ingress_cidr_blocks" { default = [] }\n'
        'variable "rules" {\n  default = { mysql-tcp = [3306, 3306, "tcp"] }\n}\n'
        'resource "aws_security_group" "this" {\n  name   = "sg"\n  vpc_id = "vpc-0123456789abcdef0"\n}\n'
        'resource "aws_security_group_rule" "ingress_rules" {\n'
        '  count             = length(var.ingress_rules)\n'
        '  security_group_id = aws_security_group.this.id\n  type              = "ingress"\n'
        '  cidr_blocks       = var.ingress_cidr_blocks\n'
        '  from_port         = var.rules[var.ingress_rules[count.index]][0]\n'
        '  to_port           = var.rules[var.ingress_rules[count.index]][1]\n'
        '  protocol          = var.rules[var.ingress_rules[count.index]][2]\n}\n')
    (repo / "wrap" / "main.tf").write_text(
        'variable "ingress_cidr_blocks" { default = [] }\nmodule "sg" {\n  source              = "../rule"\n'
        '  ingress_rules       = ["mysql-tcp"]\n  ingress_cidr_blocks = var.ingress_cidr_blocks\n}\n')
    (repo / "root" / "main.tf").write_text(
        'module "mysql_sg" {\n  source              = "../wrap"\n  ingress_cidr_blocks = ["0.0.0.0/0"]\n}\n')
    _, doc = report("root", "--no-config", "--select", "NS402", cwd=repo)
    [finding] = doc["findings"]
    assert (finding["file"], finding["line"]) == ("root/main.tf", 3), finding
    assert [(r["file"], r["line"]) for r in finding["related"]] == [("rule/main.tf", 14)]


def test_an_input_holding_an_unknown_value_shows_it_as_known_after_apply(tmp_path: Path) -> None:
    """``vpc_zone_identifier = slice(module.vpc.private_subnets, 0, 1)``: one subnet whose ID the
    deployment decides. The input that decides the finding is shown as Terraform's plan shows
    it, not with the marker's name (third precision review: terraform-aws-autoscaling's
    warm_pool example read 'vpc_zone_identifier = ["UNKNOWN"]')."""
    repo = new_repo(tmp_path / "repo")
    for name in ("asg", "root"):
        (repo / name).mkdir()
    (repo / "asg" / "main.tf").write_text(
        'variable "subnets" { default = [] }\n'
        'resource "aws_autoscaling_group" "this" {\n  min_size            = 2\n  max_size            = 4\n'
        '  vpc_zone_identifier = var.subnets\n}\n')
    (repo / "root" / "main.tf").write_text(
        'data "aws_subnets" "private" {}\n'
        'module "asg" {\n  source  = "../asg"\n  subnets = slice(data.aws_subnets.private.ids, 0, 1)\n}\n')
    _, doc = report("root", "--no-config", "--select", "HA104", cwd=repo)
    [finding] = doc["findings"]
    assert (finding["file"], finding["line"]) == ("root/main.tf", 4), finding
    [related] = finding["related"]
    assert "input subnets = [(known after apply)] decides it" in related["message"], related
    assert "UNKNOWN" not in json.dumps(finding)


def test_a_lookup_that_finds_its_key_is_not_decided_by_its_default() -> None:
    """terraform-aws-security-group's cidr_blocks: lookup(rule, "cidr_blocks", join(",",
    var.ingress_cidr_blocks)). A rule that sets cidr_blocks is where the CIDR came from; the
    module-wide default is no origin of it (it was named in NS402's message). A rule without
    the key takes the default, and the default is the origin."""
    from ha_lint.hclexpr import Source, deciding_references

    cidrs = Source('compact(split(",", lookup(var.rules[0], "cidr_blocks", join(",", var.ingress_cidr_blocks))))')
    given = _Scope({"rules": [{"cidr_blocks": "0.0.0.0/0"}], "ingress_cidr_blocks": ["10.10.0.0/16"]})
    assert deciding_references(cidrs, given) == [("var", "rules", 0, "cidr_blocks")]  # the key it reads
    defaulted = _Scope({"rules": [{"from_port": 5432}], "ingress_cidr_blocks": ["10.10.0.0/16"]})
    assert deciding_references(cidrs, defaulted) == [("var", "ingress_cidr_blocks")]
    assert deciding_references(cidrs, _Scope({})) == [("var", "rules", 0), ("var", "ingress_cidr_blocks")]


MAP_MODULE = '''variable "create" {
  type    = bool
  default = true
}

variable "databases" {
  type = map(any)
}

resource "aws_db_instance" "this" {
  for_each                = var.create ? { for k, v in var.databases : k => v if v != null } : {}
  engine                  = "postgres"
  instance_class          = "db.m6g.large"
  allocated_storage       = 100
  backup_retention_period = 7
  multi_az                = try(each.value.multi_az, true)
  identifier              = "${var.prefix}-${each.key}"
}

variable "prefix" {
  type = string
}
'''


def test_a_value_from_a_map_written_at_the_call_is_reported_at_its_key(tmp_path: Path) -> None:
    """terraform-aws-modules' shape (eks node groups, aurora instances): a map of objects given
    at the call, a for_each over it (filtered, behind a create switch) and each.value.x read
    inside. The finding is at the key that set the value, and the message names that part, not
    the map's first line with every value the map reads (the prefix below)."""
    repo = new_repo(tmp_path / "repo")
    (repo / "modules" / "db").mkdir(parents=True)
    (repo / "modules" / "db" / "main.tf").write_text(MAP_MODULE)
    (repo / "main.tf").write_text(
        'locals {\n  name = "orders"\n}\n\nmodule "db" {\n  source = "./modules/db"\n  prefix = local.name\n'
        '  databases = {\n    primary = {\n      multi_az = true\n    }\n    reporting = {\n'
        '      instance = "small"\n      multi_az = false\n    }\n  }\n}\n')
    _, doc = report(".", "--no-config", "--select", "HA101", cwd=repo)
    [finding] = doc["findings"]
    assert (finding["file"], finding["line"]) == ("main.tf", 14)  # reporting.multi_az, not `databases = {` (8)
    assert finding["resource"] == 'module.db.aws_db_instance.this["reporting"]'
    assert "module db input databases.reporting.multi_az = false" in finding["message"]
    assert "local.name" not in finding["message"]
