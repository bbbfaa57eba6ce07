"""Value traces (issue 21, "Traces that lead with the cause"): a finding on a value that came
from elsewhere says where, starting with the setting the user edits (a variable's default, a
parameter's default, a module input), without steps that do not decide the value, in under
200 characters in its message; the whole chain is JSON ``trace`` and SARIF
``relatedLocations``; the markdown summary links every finding to its file and line and keeps
its table cells short.

The examples: a Terraform root whose variable default goes through a module input to
``multi_az`` and, past a blue/green condition that gives the same value either way, to
``backup_retention_period``; a CloudFormation parent stack whose parameter default goes
through a nested stack's parameter to ``MultiAZ``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from ha_lint.values import BRIEF_LIMIT, Origin
from helpers import ha_lint, new_repo, report

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

TF_VARIABLES = """\
variable "db_multi_az" {
  default = false
}

variable "retention" {
  default = 0
}
"""

TF_MAIN = """\
module "db" {
  source                  = "./modules/db"
  multi_az                = var.db_multi_az
  backup_retention_period = var.retention
  blue_green_update       = { enabled = true }
}
"""

# As terraform-aws-modules/rds writes it: with blue/green on, a null retention becomes 1.
TF_MODULE = """\
variable "multi_az" {}
variable "backup_retention_period" {}
variable "blue_green_update" {
  default = null
}

resource "aws_db_instance" "this" {
  engine                  = "postgres"
  instance_class          = "db.m6g.large"
  multi_az                = var.multi_az
  backup_retention_period = var.blue_green_update != null ? coalesce(var.backup_retention_period, 1) : var.backup_retention_period
  deletion_protection     = true
}
"""

CFN_PARENT = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  DbMultiAz:
    Type: String
    Default: "false"
  Retention:
    Type: Number
    Default: 0
  UseSnapshots:
    Type: String
    Default: "yes"
Conditions:
  Snapshots: !Equals [!Ref UseSnapshots, "yes"]
Resources:
  Data:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./database.yaml
      Parameters:
        MultiAz: !Ref DbMultiAz
        Retention: !If [Snapshots, !Ref Retention, 0]
"""

CFN_CHILD = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  MultiAz: {Type: String}
  Retention: {Type: Number}
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.m6g.large
      AllocatedStorage: "100"
      MultiAZ: !Ref MultiAz
      BackupRetentionPeriod: !Ref Retention
      DeletionProtection: true
"""


def tf_project(tmp_path: Path, retention_default: str = "0") -> Path:
    repo = new_repo(tmp_path / "repo")
    (repo / "modules" / "db").mkdir(parents=True)
    (repo / "variables.tf").write_text(TF_VARIABLES.replace("default = 0", f"default = {retention_default}"))
    (repo / "main.tf").write_text(TF_MAIN)
    (repo / "modules" / "db" / "main.tf").write_text(TF_MODULE)
    return repo


def cfn_project(tmp_path: Path) -> Path:
    repo = new_repo(tmp_path / "repo")
    (repo / "parent.yaml").write_text(CFN_PARENT)
    (repo / "database.yaml").write_text(CFN_CHILD)
    return repo


def line_of(path: Path, text: str) -> int:
    [found] = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    return found


def by_rule(doc: dict) -> dict[str, dict]:
    return {f["rule_id"]: f for f in doc["findings"]}


def test_tf_trace_starts_at_the_variable_default_then_the_module_input(tmp_path: Path) -> None:
    repo = tf_project(tmp_path)
    _, doc = report(".", "--no-config", cwd=repo)
    ha101 = by_rule(doc)["HA101"]
    default_line = line_of(repo / "variables.tf", "default = false")
    input_line = line_of(repo / "main.tf", "multi_az                = var.db_multi_az")
    assert ha101["trace"] == [
        {"file": "variables.tf", "line": default_line, "text": "variable db_multi_az defaults to false"},
        {"file": "main.tf", "line": input_line, "text": "module db input multi_az = false"},
    ]
    # Reported at the input; the message shows the same chain, source first, file names and lines.
    assert (ha101["file"], ha101["line"]) == ("main.tf", input_line)
    assert (f"(variable db_multi_az defaults to false (variables.tf:{default_line})"
            f" -> module db input multi_az = false (main.tf:{input_line}))") in ha101["message"]


def test_tf_trace_leaves_out_a_condition_that_gives_the_same_value_either_way(tmp_path: Path) -> None:
    repo = tf_project(tmp_path)
    _, doc = report(".", "--no-config", cwd=repo)
    bk201 = by_rule(doc)["BK201"]
    assert bk201["trace"] == [
        {"file": "variables.tf", "line": line_of(repo / "variables.tf", "default = 0"),
         "text": "variable retention defaults to 0"},
        {"file": "main.tf", "line": line_of(repo / "main.tf", "backup_retention_period = var.retention"),
         "text": "module db input backup_retention_period = 0"},
    ]
    assert "blue_green" not in bk201["message"]


def test_tf_trace_keeps_a_condition_that_decides_the_value(tmp_path: Path) -> None:
    """A null retention is 1 only because blue/green is on: then the condition is a cause."""
    repo = tf_project(tmp_path, retention_default="null")
    _, doc = report(".", "--no-config", cwd=repo)
    bk202 = by_rule(doc)["BK202"]
    texts = [step["text"] for step in bk202["trace"]]
    assert texts[0] == "variable retention defaults to null"
    assert 'module db input blue_green_update = {"enabled": true}' in texts
    assert len(texts) == 3


def test_cfn_trace_starts_at_the_parameter_default_then_the_nested_stack_parameter(tmp_path: Path) -> None:
    repo = cfn_project(tmp_path)
    _, doc = report(".", "--no-config", cwd=repo)
    found = by_rule(doc)
    assert found["HA101"]["trace"] == [
        {"file": "parent.yaml", "line": 5, "text": "parameter DbMultiAz defaults to 'false'"},
        {"file": "parent.yaml", "line": 20, "text": "stack Data passes MultiAz = 'false'"},
    ]
    assert (found["HA101"]["file"], found["HA101"]["line"]) == ("database.yaml", 12)
    assert ("(parameter DbMultiAz defaults to 'false' (parent.yaml:5) -> stack Data passes MultiAz = 'false'"
            " (parent.yaml:20))") in found["HA101"]["message"]
    # !If [Snapshots, !Ref Retention, 0] is 0 either way: the condition is no cause.
    assert found["BK201"]["trace"] == [
        {"file": "parent.yaml", "line": 8, "text": "parameter Retention defaults to 0"},
        {"file": "parent.yaml", "line": 21, "text": "stack Data passes Retention = '0'"},
    ]
    assert "Snapshots" not in found["BK201"]["message"]


def test_a_value_written_in_place_has_no_trace_and_every_step_has_file_line_text(tmp_path: Path) -> None:
    repo = tf_project(tmp_path)
    _, doc = report(".", "--no-config", "--var", "retention=0", cwd=repo)
    for finding in doc["findings"]:
        assert all(set(step) == {"file", "line", "text"} for step in finding["trace"]), finding
    assert by_rule(doc)["DR306"]["trace"] == []
    # A --var is written in no file: its step has none.
    assert by_rule(doc)["BK201"]["trace"][0] == {"file": None, "line": None, "text": "--var retention=0"}


def test_sarif_related_locations_are_the_module_line_then_each_step(tmp_path: Path) -> None:
    repo = tf_project(tmp_path)
    run = ha_lint(".", "--no-config", "--format", "sarif", cwd=repo)
    doc = json.loads(run.stdout)
    jsonschema.validate(doc, SCHEMA)
    [ha101] = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "HA101"]
    related = [(r["id"], r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"],
                r["message"]["text"]) for r in ha101["relatedLocations"]]
    assert related == [
        (1, "modules/db/main.tf", line_of(repo / "modules" / "db" / "main.tf", "multi_az                = var.multi_az"),
         "aws_db_instance.this is written here; module db input multi_az = false decides it"),
        (2, "variables.tf", line_of(repo / "variables.tf", "default = false"),
         "trace step 1 of 2: variable db_multi_az defaults to false"),
        (3, "main.tf", line_of(repo / "main.tf", "multi_az                = var.db_multi_az"),
         "trace step 2 of 2: module db input multi_az = false"),
    ]


def test_a_long_chain_shows_its_source_and_last_step_in_under_200_characters(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "main.tf").write_text(
        'variable "environment_name_that_is_long" {\n  default = "development-orders"\n}\n'
        'locals {\n  production = var.environment_name_that_is_long == "production"\n'
        '  standby    = local.production\n  multi_az   = local.standby\n}\n'
        'resource "aws_db_instance" "db" {\n  engine              = "postgres"\n'
        '  multi_az            = local.multi_az\n  deletion_protection = true\n}\n')
    _, doc = report(".", "--no-config", cwd=repo)
    ha101 = by_rule(doc)["HA101"]
    assert [step["text"] for step in ha101["trace"]] == [
        'variable environment_name_that_is_long defaults to "development-orders"',
        "local.production = false", "local.standby = false", "local.multi_az = false"]
    shown = re.search(r"Multi-AZ is off \((.*)\)\. An AZ", ha101["message"]).group(1)
    assert shown.startswith('variable environment_name_that_is_long defaults to "development-orders"')
    assert shown.endswith(" (main.tf:2) -> (2 more steps) -> local.multi_az = false (main.tf:7)")
    assert len(shown) <= BRIEF_LIMIT


def test_brief_cuts_long_descriptions_to_the_limit() -> None:
    origin = Origin("x" * 300, "/abs/path/variables.tf", 3, (Origin("y" * 300, "/abs/main.tf", 12),))
    text = origin.brief()
    assert len(text) == BRIEF_LIMIT
    # never an absolute path: a long or absolute one is its folder and name
    assert "/abs/path" not in text and "(.../path/variables.tf:3) -> " in text and text.endswith("... (.../abs/main.tf:12)")
    assert Origin("module db input multi_az = false", "main.tf", 4).brief() == "module db input multi_az = false (main.tf:4)"


def test_markdown_links_each_finding_and_keeps_cells_short(tmp_path: Path) -> None:
    repo = tf_project(tmp_path)
    text = ha_lint(".", "--no-config", "--format", "markdown", cwd=repo).stdout
    input_line = line_of(repo / "main.tf", "multi_az                = var.db_multi_az")
    [row] = [line for line in text.splitlines() if line.startswith("| **high** |") and "HA101" in line]
    assert f"| [`main.tf:{input_line}`](main.tf#L{input_line}) |" in row
    message_cell = row.rstrip(" |").rsplit(" | ", 1)[1]
    assert message_cell.endswith("…") and len(message_cell.replace("\\", "")) <= 121
    # The full message and the trace, each step linked, in the details block after the table.
    details = text.split("<details><summary>Full messages and value traces", 1)[1].split("</details>", 1)[0]
    default_line = line_of(repo / "variables.tf", "default = false")
    assert (f"  - because: [`variables.tf:{default_line}`](variables.tf#L{default_line}) variable db\\_multi\\_az "
            f"defaults to false → [`main.tf:{input_line}`](main.tf#L{input_line}) module db input multi\\_az = false"
            ) in details
    assert "set \\`multi\\_az = true\\` for a standby in another AZ" in details

    github = {"GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_SHA": "abc123"}
    text = ha_lint(".", "--no-config", "--format", "markdown", cwd=repo, env=github).stdout
    assert f"[`main.tf:{input_line}`](https://github.example/acme/infra/blob/abc123/main.tf#L{input_line})" in text


def test_a_default_in_code_outside_the_repository_starts_at_the_call_that_leaves_it_unset(tmp_path: Path) -> None:
    """terraform-aws-modules/rds installed under .terraform/modules: its deletion_protection
    default is not the user's to edit; the module block that does not set it is."""
    import shutil

    from conftest import FIXTURES

    repo = new_repo(tmp_path / "repo")
    shutil.copytree(FIXTURES / "modules" / "registry_call", repo / "infra")
    _, doc = report("infra", "--no-config", cwd=repo)
    bk203 = by_rule(doc)["BK203"]
    wrapper = repo / "infra" / ".terraform" / "modules" / "db" / "main.tf"
    call_line = line_of(repo / "infra" / "main.tf", 'module "db" {')
    assert bk203["trace"] == [
        {"file": "infra/main.tf", "line": call_line, "text": "module.db leaves deletion_protection unset"},
        {"file": "infra/.terraform/modules/db/main.tf", "line": line_of(wrapper, 'variable "deletion_protection"') + 2,
         "text": "variable deletion_protection defaults to false"},
        {"file": "infra/.terraform/modules/db/main.tf", "line": line_of(wrapper, "deletion_protection     = var"),
         "text": "module db_instance input deletion_protection = false"},
    ]
    assert (bk203["file"], bk203["line"]) == ("infra/main.tf", call_line)
    assert (f"(module.db leaves deletion_protection unset (infra/main.tf:{call_line}) -> (1 more step) -> "
            "module db_instance input deletion_protection = false") in bk203["message"]


def test_a_finding_that_stays_in_a_local_module_points_at_the_call_of_each_root(tmp_path: Path) -> None:
    """dev and prod call one local module whose deletion_protection is hard-coded: the two
    findings stay in the module, each with its root's module block as a related location."""
    import shutil

    from conftest import FIXTURES

    repo = new_repo(tmp_path / "repo")
    shutil.copytree(FIXTURES / "modules" / "two_roots", repo / "live")
    _, doc = report("live", "--no-config", "--select", "BK203", cwd=repo)
    found = {f["root"]: f for f in doc["findings"]}
    for env in ("dev", "prod"):
        main_tf = repo / "live" / "envs" / env / "main.tf"
        assert found[f"live/envs/{env}"]["file"] == "live/modules/db/main.tf"
        assert found[f"live/envs/{env}"]["related"] == [
            {"file": f"live/envs/{env}/main.tf", "line": line_of(main_tf, 'module "db" {'),
             "message": "module.db is called here"}]
    run = ha_lint("live", "--no-config", "--select", "BK203", "--format", "sarif", cwd=repo)
    sarif = json.loads(run.stdout)
    jsonschema.validate(sarif, SCHEMA)
    calls = sorted(r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                   for r in sarif["runs"][0]["results"])
    assert calls == ["live/envs/dev/main.tf", "live/envs/prod/main.tf"]


def test_a_count_switch_is_no_cause_of_the_instances_it_makes(tmp_path: Path) -> None:
    """terraform-aws-modules/vpc: ``count = var.create_vpc && var.enable_nat_gateway ?
    local.nat_gateway_count : 0``. One NAT gateway because single_nat_gateway = true; create_vpc
    and enable_nat_gateway only say that there is one at all."""
    import shutil

    from conftest import FIXTURES

    repo = new_repo(tmp_path / "repo")
    shutil.copytree(FIXTURES / "modules" / "registry_call", repo / "infra")
    _, doc = report("infra", "--no-config", "--select", "HA107", cwd=repo)
    [ha107] = doc["findings"]
    vpc = repo / "infra" / ".terraform" / "modules" / "vpc" / "main.tf"
    assert ha107["trace"] == [
        {"file": "infra/main.tf", "line": line_of(repo / "infra" / "main.tf", "single_nat_gateway = true"),
         "text": "module vpc input single_nat_gateway = true"},
        {"file": "infra/.terraform/modules/vpc/main.tf", "line": line_of(vpc, "nat_gateway_count = var.single"),
         "text": "local.nat_gateway_count = 1"},
    ]


def test_a_chain_too_long_to_keep_says_where_it_was_cut() -> None:
    from ha_lint.resolve import MAX_VIA, chain

    steps = [Origin(f"local.step{n} = true", "main.tf", n + 1) for n in range(MAX_VIA + 8)]
    kept = chain(steps).steps()
    assert kept[0] == steps[0] and list(kept[2:]) == steps[-MAX_VIA:]
    assert kept[1] == Origin("(7 more steps not kept)")  # no file: JSON gives it file and line null
