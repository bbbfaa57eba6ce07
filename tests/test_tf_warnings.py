"""Never silent: what ha-lint could not read or resolve in Terraform is a warning the user sees
(``module-not-found``, ``input-unknown``, ``variable-unset``), in every format, with the code,
file and line; a warning never changes the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from helpers import ha_lint

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

# The example of issue 17: a root of registry and git modules, `terraform init` never run.
REGISTRY_ROOT = """\
module "db" {
  source  = "terraform-aws-modules/rds/aws"
  version = "~> 6.0"

  identifier              = "orders"
  multi_az                = false
  backup_retention_period = 0
  publicly_accessible     = true
}

module "vpc" {
  source             = "git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=v5.8.1"
  single_nat_gateway = true
}

module "cache" {
  source = "./modules/cache"
}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def scan_all_formats(root: Path, *args: str) -> tuple[int, dict[str, str]]:
    """Exit code and every format's report of one scan."""
    names = {"json": "r.json", "sarif": "r.sarif", "text": "r.txt", "github": "r.gh", "markdown": "r.md"}
    out = root.parent / "out"
    out.mkdir(exist_ok=True)
    run = ha_lint(root.name, *args, *[a for fmt, name in names.items() for a in ("-f", f"{fmt}:{out / name}")],
                  cwd=root.parent)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, {fmt: (out / name).read_text() for fmt, name in names.items()}


def test_modules_that_are_not_available_are_warnings_in_every_format_and_do_not_fail(tmp_path: Path) -> None:
    root = write(tmp_path / "live", {"main.tf": REGISTRY_ROOT})
    code, reports = scan_all_formats(root, "--fail-on", "info")
    assert code == 0  # nothing found: the warnings do not fail the run, whatever --fail-on says

    doc = json.loads(reports["json"])
    assert doc["schema"] == 1 and doc["findings"] == [] and doc["errors"] == []
    assert doc["summary"]["warnings"] == 3 == len(doc["warnings"])
    by_line = {w["line"]: w for w in doc["warnings"]}
    assert {w["code"] for w in doc["warnings"]} == {"module-not-found"}
    assert {w["file"] for w in doc["warnings"]} == {"live/main.tf"}
    assert set(by_line) == {1, 11, 16}  # each module block
    db = by_line[1]["message"]
    assert db.startswith("module.db: source 'terraform-aws-modules/rds/aws' version '~> 6.0' is not available")
    assert "run `terraform init`, or pass --download-modules" in db
    assert "git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=v5.8.1" in by_line[11]["message"]
    assert by_line[16]["message"] == ("module.cache: source './modules/cache' not found: the directory does not exist; "
                                      "its resources are not checked")

    sarif = json.loads(reports["sarif"])
    jsonschema.validate(sarif, SCHEMA)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["level"], n["descriptor"]["id"], n["locations"][0]["physicalLocation"]["region"]["startLine"])
            for n in notes] == [("warning", "module-not-found", line) for line in (1, 11, 16)]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("live/main.tf")
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True

    text = reports["text"]
    assert "warning[module-not-found]: live/main.tf:1: module.db: source 'terraform-aws-modules/rds/aws'" in text
    assert text.rstrip().endswith("3 warnings")

    github = reports["github"].splitlines()
    assert github[0].startswith("::warning file=live/main.tf,line=1,title=ha-lint%3A module-not-found::module.db: ")

    markdown = reports["markdown"]
    assert "### Warnings (3)" in markdown
    assert "- `module-not-found` [`live/main.tf:16`](live/main.tf#L16): module.cache: source './modules/cache' not found" \
        in markdown


def test_a_warning_does_not_change_the_exit_code_of_findings(tmp_path: Path) -> None:
    root = write(tmp_path / "live", {"main.tf": REGISTRY_ROOT + """
resource "aws_db_instance" "legacy" {
  engine   = "postgres"
  multi_az = false
}
"""})
    code, reports = scan_all_formats(root, "--select", "HA101")
    doc = json.loads(reports["json"])
    assert code == 1 and [f["rule_id"] for f in doc["findings"]] == ["HA101"] and doc["summary"]["warnings"] == 3
    code, reports = scan_all_formats(root, "--select", "HA101", "--fail-on", "never")
    assert code == 0 and json.loads(reports["json"])["summary"]["warnings"] == 3


def test_installed_modules_give_no_warning_and_a_broken_file_in_one_is_said(tmp_path: Path) -> None:
    """With `terraform init` run, the module is read; a file of it that does not parse is a
    warning (it is outside the scanned paths: no load error reports it)."""
    root = write(tmp_path / "live", {
        "main.tf": 'module "db" {\n  source  = "terraform-aws-modules/rds/aws"\n  multi_az = false\n}\n',
        ".terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "db", "Source": "registry.terraform.io/terraform-aws-modules/rds/aws", "Version": "6.1.0",
             "Dir": ".terraform/modules/db"}]}),
        ".terraform/modules/db/main.tf": 'variable "multi_az" {}\nresource "aws_db_instance" "this" {\n'
                                          '  engine   = "mysql"\n  multi_az = var.multi_az\n}\n',
        ".terraform/modules/db/broken.tf": 'resource "aws_sns_topic" "t" {\n  name = \n}\n',
    })
    code, reports = scan_all_formats(root, "--select", "HA101", "--exclude", "**/.terraform/**")
    doc = json.loads(reports["json"])
    assert [f["resource"] for f in doc["findings"]] == ["module.db.aws_db_instance.this"]
    assert [(w["code"], w["file"].endswith(".terraform/modules/db/broken.tf"), w["line"]) for w in doc["warnings"]] \
        == [("module-file-not-loaded", True, 2)]
    assert "not valid HCL" in doc["warnings"][0]["message"]


def warnings_of(doc: dict, code: str) -> list[tuple[str | None, int | None, str]]:
    return [(w["file"], w["line"], w["message"]) for w in doc["warnings"] if w["code"] == code]


def test_inputs_that_match_no_variable_are_said_where_they_are_written(tmp_path: Path) -> None:
    root = write(tmp_path / "live", {
        "prod/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n\n'
                        'variable "environment" {\n  default = "prod"\n}\n\n'
                        'module "db" {\n  source    = "../modules/db"\n  multi_azz = true\n  name      = "orders"\n}\n',
        "prod/terraform.tfvars": 'environment = "prod"\nenvironmnet = "prod"\n',
        "dev/main.tf": 'variable "size" {\n  default = 1\n}\n',
        "modules/db/main.tf": 'variable "name" {}\nvariable "multi_az" {\n  default = false\n}\n'
                              'resource "aws_db_instance" "this" {\n  identifier = var.name\n  multi_az   = var.multi_az\n}\n',
        "extra.tfvars": 'size = 2\nsise = 3\n',
    })
    code, reports = scan_all_formats(root, "--select", "HA101", "--var", "size=2", "--var", "colour=blue",
                                     "--var-file", "live/extra.tfvars")
    doc = json.loads(reports["json"])
    assert code == 1 and [f["resource"] for f in doc["findings"]] == ["module.db.aws_db_instance.this"]
    unknown = warnings_of(doc, "input-unknown")
    assert (  # the misspelt module input, at its own line; multi_az stays at its default (the finding)
        "live/prod/main.tf", 11,
        "module.db: input 'multi_azz' matches no variable of the module (live/modules/db); Terraform refuses it "
        "(\"Unsupported argument\"): a misspelt or removed input, its value goes nowhere") in unknown
    assert ("live/prod/terraform.tfvars", 2, "terraform.tfvars sets 'environmnet', which matches no variable of the "
            "root module live/prod: its value goes nowhere") in unknown
    # --var and --var-file apply to every root: only a name no root declares is said (size is dev's)
    assert (None, None, "--var colour: matches no variable of any scanned root module; its value goes nowhere") in unknown
    assert ("live/extra.tfvars", 2, "--var-file live/extra.tfvars sets 'sise', which matches no variable of any "
            "scanned root module: its value goes nowhere") in unknown
    assert len(unknown) == 4
    assert warnings_of(doc, "variable-unset") == []  # every root variable has a default or a value


def test_root_variables_with_no_value_are_listed_once_per_deployed_root(tmp_path: Path) -> None:
    root = write(tmp_path / "live", {
        # deployed as it is (a provider block): its unset variables are worth a word, with their readers
        "prod/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n\nvariable "multi_az" {\n  type = bool\n}\n'
                        'variable "retention" {}\nvariable "name" {}\n\n'
                        'resource "aws_db_instance" "db" {\n  identifier              = var.name\n'
                        '  multi_az                = var.multi_az\n  backup_retention_period = var.retention\n}\n',
        "prod/terraform.tfvars": 'name = "orders"\n',
        # a module written to be called (no provider, no tfvars): no values is normal there
        "modules/queue/main.tf": 'variable "name" {}\nresource "aws_sqs_queue" "q" {\n  name = var.name\n}\n',
    })
    code, reports = scan_all_formats(root, "--select", "HA101,BK201")
    doc = json.loads(reports["json"])
    assert doc["findings"] == [] and code == 0  # unknown values are not findings: the warning says why
    assert warnings_of(doc, "variable-unset") == [(
        "live/prod/main.tf", 5,
        "root module live/prod: variables multi_az, retention have no value and no default (give them with --var, "
        "--var-file or a terraform.tfvars); what reads them is unknown, so the rules that need it are not judged: "
        "aws_db_instance.db.multi_az, aws_db_instance.db.backup_retention_period")]
    code, reports = scan_all_formats(root, "--select", "HA101,BK201", "--var", "multi_az=false", "--var", "retention=0")
    doc = json.loads(reports["json"])
    assert warnings_of(doc, "variable-unset") == [] and {f["rule_id"] for f in doc["findings"]} == {"HA101", "BK201"}


def test_a_module_block_without_a_source_is_said(tmp_path: Path) -> None:
    root = write(tmp_path / "live", {"main.tf": 'module "db" {\n  multi_az = false\n}\n'})
    _, reports = scan_all_formats(root)
    assert warnings_of(json.loads(reports["json"]), "module-not-found") == [
        ("live/main.tf", 1, "module.db: no source string (Terraform refuses a module block without a literal "
                            "`source`); not expanded")]
