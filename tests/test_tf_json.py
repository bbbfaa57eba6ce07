"""Terraform's JSON configuration syntax (``*.tf.json``): the same blocks as the HCL loader
gives, with the JSON's own lines; mixed with ``.tf`` files in one module; found by discovery
in a directory and when named; CDK for Terraform's stacks are root modules."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import hcl2
import pytest

from helpers import report
from ha_lint import hclexpr
from ha_lint.engine import all_rules, select
from ha_lint.loaders import LoadFailure
from ha_lint.loaders import terraform as tf
from ha_lint.loaders import tfjson
from ha_lint.scan import ScanSettings, scan

HCL = """\
variable "multi_az" {
  type    = bool
  default = false
}

resource "aws_db_instance" "db" {
  engine         = "postgres"
  multi_az       = var.multi_az
  identifier     = "orders-${var.env}"
  tags           = { Team = "orders" }
  lifecycle {
    ignore_changes = [tags]
  }
  depends_on = [aws_subnet.a]
}

provider "aws" {
  region = "eu-west-1"
}
"""

JSON_SYNTAX = """\
{
  "//": "the same configuration in the JSON syntax",
  "variable": {
    "multi_az": {
      "type": "bool",
      "default": false
    }
  },
  "resource": {
    "aws_db_instance": {
      "db": {
        "//": "a comment property",
        "engine": "postgres",
        "multi_az": "${var.multi_az}",
        "identifier": "orders-${var.env}",
        "tags": {"Team": "orders"},
        "lifecycle": {
          "ignore_changes": ["tags"]
        },
        "depends_on": ["aws_subnet.a"]
      }
    }
  },
  "provider": [{"aws": {"region": "eu-west-1"}}]
}
"""


def _blocks(file: tf.TfFile) -> dict[tuple[str, tuple[str, ...]], dict]:
    return {(b.block_type, b.labels): _rendered(b.body) for b in file.blocks}


def _rendered(value: object) -> object:
    """The HCL loader's values with each expression as written (``hclexpr.Source``) in
    python-hcl2's rendering of it, the form the JSON loader gives its expressions in."""
    if isinstance(value, hclexpr.Source):
        return hcl2.loads(f"x = {value.text}\n")["x"]
    if isinstance(value, dict):
        return {k: _rendered(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rendered(v) for v in value]
    return value


def test_json_syntax_gives_the_blocks_the_hcl_loader_gives() -> None:
    native = tf.load_file(HCL, "main.tf")
    written_as_json = tf.load_file(JSON_SYNTAX, "main.tf.json")
    assert _blocks(written_as_json) == _blocks(native)


def test_lines_are_the_json_properties_lines() -> None:
    file = tf.load_file(JSON_SYNTAX, "main.tf.json")
    db = next(b for b in file.blocks if b.labels == ("aws_db_instance", "db"))
    assert db.line == 11  # the "db": { line, where the block starts
    assert db.lines["multi_az"] == 14
    assert db.lines["tags"] == 16 and db.lines["tags.Team"] == 16
    assert db.lines["lifecycle.ignore_changes"] == 18
    assert "//" not in db.body


def test_labels_as_arrays_and_several_provider_configurations() -> None:
    text = json.dumps({
        "resource": [{"aws_subnet": {"a": {"availability_zone": "eu-west-1a"}}},
                     {"aws_subnet": [{"b": {"availability_zone": "eu-west-1b"}}]}],
        "provider": {"aws": [{"region": "eu-west-1"}, {"alias": "west", "region": "us-west-2"}]},
        "locals": [{"a": 1}, {"b": "${local.a}"}],
        "module": {"net": {"source": "./net", "providers": {"aws": "aws.west"}}},
    }, indent=2)
    file = tf.load_file(text, "gen.tf.json")
    assert [(b.block_type, b.labels) for b in file.blocks] == [
        ("resource", ("aws_subnet", "a")), ("resource", ("aws_subnet", "b")),
        ("provider", ("aws",)), ("provider", ("aws",)), ("module", ("net",))]
    assert [b.body for b in file.locals] == [{"a": 1}, {"b": "${local.a}"}]
    assert file.blocks[-1].body["providers"] == {"aws": "${aws.west}"}


def test_dynamic_blocks_take_python_hcl2_shapes() -> None:
    hcl = tf.load_file(textwrap.dedent("""\
        resource "aws_security_group" "sg" {
          dynamic "ingress" {
            for_each = var.ports
            content {
              from_port = ingress.value
            }
          }
        }
        """), "sg.tf")
    as_json = tf.load_file(json.dumps({"resource": {"aws_security_group": {"sg": {"dynamic": {"ingress": {
        "for_each": "${var.ports}", "content": {"from_port": "${ingress.value}"}}}}}}}), "sg.tf.json")
    assert _blocks(as_json) == _blocks(hcl)


def test_a_variable_default_is_literal_text() -> None:
    file = tf.load_file('{"variable": {"greeting": {"default": "${not_an_expression}"}}}', "v.tf.json")
    assert file.blocks[0].body["default"] == "$${not_an_expression}"


@pytest.mark.parametrize("text, line, words", [
    ('{\n  "resource": {\n    "aws_s3_bucket": {\n      "b": {"bucket": "x",}\n    }\n  }\n}', 4, "property name"),
    ('[1, 2]', 1, "one object"),
    ('{\n  "resource": {\n    "aws_s3_bucket": "nope"\n  }\n}', 3, "must be an object"),
    ('{"a": tru}', 1, "expected a value"),
])
def test_bad_json_is_one_failure_with_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(LoadFailure) as caught:
        tfjson.load_file(text, "bad.tf.json")
    assert caught.value.line == line
    assert words in caught.value.message


def _scan(*paths: Path, rules: tuple[str, ...] = ("HA101",)):
    return scan(ScanSettings(paths=[str(p) for p in paths], jobs=1),
                [cls() for cls in select(all_rules(), list(rules), None)])


def test_json_and_hcl_files_are_one_module(tmp_path: Path) -> None:
    (tmp_path / "variables.tf.json").write_text(json.dumps(
        {"variable": {"multi_az": {"type": "bool", "default": False}}}, indent=2))
    (tmp_path / "main.tf").write_text('resource "aws_db_instance" "db" {\n  engine   = "postgres"\n'
                                      '  multi_az = var.multi_az\n}\n')
    result = _scan(tmp_path)
    assert result.errors == [] and result.files == 2
    assert [(f.file.rsplit("/", 1)[-1], f.line, f.rule_id) for f in result.findings] == [("main.tf", 3, "HA101")]
    assert "variable multi_az" in result.findings[0].message


def test_a_tf_json_file_named_on_the_command_line_is_scanned(tmp_path: Path) -> None:
    stack = tmp_path / "cdktf.out" / "stacks" / "app"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(JSON_SYNTAX)
    code, doc = report(str(stack / "cdk.tf.json"), "--no-cache", "--select", "HA101")
    assert code == 1
    assert doc["summary"]["files"] == 1
    assert [(f["line"], f["rule_id"]) for f in doc["findings"]] == [(14, "HA101")]


def test_a_local_module_in_json_syntax_is_read_through_its_caller(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "modules" / "db").mkdir(parents=True)
    (tmp_path / "root" / "main.tf").write_text('module "db" {\n  source   = "../modules/db"\n  multi_az = false\n}\n')
    (tmp_path / "modules" / "db" / "main.tf.json").write_text(json.dumps({
        "variable": {"multi_az": {"type": "bool"}},
        "resource": {"aws_db_instance": {"this": {"engine": "postgres", "multi_az": "${var.multi_az}"}}},
    }, indent=2))
    result = _scan(tmp_path)
    assert result.errors == []
    assert [(f.resource, f.rule_id) for f in result.findings] == [("module.db.aws_db_instance.this", "HA101")]
    assert "input multi_az = false" in result.findings[0].message
    assert result.warnings == []  # the module's variables are read: no input-unknown
