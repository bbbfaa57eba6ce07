"""Parse what Terraform parses: HCL that Terraform accepts loads, whatever python-hcl2's grammar
alone says (new lines inside ( ) and [ ] mean nothing in HCL), and what Terraform refuses
is still refused with the same plain words."""

from __future__ import annotations

import hcl2
import pytest

from conftest import FIXTURES
from ha_lint import hclexpr
from ha_lint.loaders import LoadFailure
from ha_lint.loaders.terraform import load_file, load_tfvars

MULTILINE = FIXTURES / "resolve" / "tf_multiline_expressions" / "main.tf"


def test_the_fixture_is_one_python_hcl2_alone_refuses() -> None:
    """The gap is real: without ha-lint's handling of new lines the file does not parse."""
    with pytest.raises(Exception, match="QMARK"):
        hcl2.loads(MULTILINE.read_text())


class Settings:
    """Variables for evaluating both sides of a comparison."""

    def __init__(self, **values: object) -> None:
        self.values = values

    def get(self, name: str, default: object = None) -> object:
        return self.values if name == "var" else default


SUBNETS = [{"name": "a", "public": True, "id": "subnet-1"}, {"name": "b", "public": False, "id": "subnet-2"}]
SETTINGS = [Settings(single_az=True, create_replica=False, environment="prod", extra={"c": 3}, subnets=SUBNETS,
                     azs=["eu-west-1a"], a=False, b=True, c=False),
            Settings(single_az=False, create_replica=False, environment="dev", extra={}, subnets=[],
                     azs=["eu-west-1b", "eu-west-1c"], a=False, b=False, c=False)]


def one_line(expression: str) -> object:
    """An expression as the loader reads it when written on one line (python-hcl2's grammar
    alone reads that too)."""
    hcl2.loads(f"x = {expression}\n")
    return load_file(f"locals {{\n  x = {expression}\n}}\n", "one_line.tf").locals[0].body["x"]


def same_meaning(loaded: object, expression: str) -> bool:
    """The loaded value (an expression as written, over several lines) means what the same
    expression written on one line means, for each of SETTINGS."""
    return all(hclexpr.evaluate_value(loaded, s) == hclexpr.evaluate_value(one_line(expression), s)
               for s in SETTINGS)


def test_a_conditional_over_several_lines_in_parentheses_loads_with_its_lines() -> None:
    tf = load_file(MULTILINE.read_text(), "main.tf")
    db = next(b for b in tf.blocks if b.labels == ("aws_db_instance", "orders"))
    assert same_meaning(db.body["multi_az"], "(var.single_az ? false : true)")
    assert same_meaning(db.body["backup_retention_period"], '(var.create_replica || var.environment == "prod" ? 0 : 7)')
    assert (db.line, db.lines["multi_az"], db.lines["backup_retention_period"]) == (19, 22, 28)
    sg = next(b for b in tf.blocks if b.labels == ("aws_security_group", "bastion"))
    assert same_meaning(sg.body["ingress"][0]["cidr_blocks"], '[var.single_az ? "0.0.0.0/0" : "10.0.0.0/8"]')
    assert sg.lines["ingress"] == 38


def test_new_lines_still_separate_the_items_of_an_object_inside_parentheses() -> None:
    text = 'locals {\n  tags = merge({\n    a = 1\n    b = (2\n      + 3)\n  }, var.extra)\n}\n'
    local = load_file(text, "main.tf").locals[0]
    assert same_meaning(local.body["tags"], "merge({\n a = 1\n b = (2 + 3)\n}, var.extra)")
    assert hclexpr.evaluate_value(local.body["tags"], SETTINGS[0]) == {"a": 1, "b": 5, "c": 3}


def test_a_tfvars_value_is_at_its_own_line() -> None:
    """Not at the first line that looks like it sets the name: a comment, a map's key, a heredoc."""
    text = '# multi_az = true\ntags = {\n  multi_az = "x"\n}\nnote = <<EOT\nmulti_az = 1\nEOT\nmulti_az = false\n'
    assert {name: line for name, (_, line) in load_tfvars(text, "terraform.tfvars").items()} == {
        "tags": 2, "note": 5, "multi_az": 8}


def test_a_multi_line_conditional_in_a_tfvars_file_loads() -> None:
    values = load_tfvars('multi_az = (true\n  ? false\n  : true\n)\nretention = 7\n', "terraform.tfvars")
    assert {name: (hclexpr.evaluate_value(raw), line) for name, (raw, line) in values.items()} == {
        "multi_az": (False, 1), "retention": (7, 5)}


@pytest.mark.parametrize("text, message, line", [
    ('resource "aws_sns_topic" "t" {\n  name = (var.a\n    ? "x"\n', "the file ends before the '(' at line 2 is closed", 2),
    ('resource "aws_sns_topic" "t" {\n  name = var.a\n    ? "x"\n    : "y"\n}\n', "unexpected '?' at line 3", 3),
])
def test_what_terraform_refuses_is_still_refused_in_plain_words(text: str, message: str, line: int) -> None:
    """A conditional split over lines outside brackets is an error in Terraform too (the new line
    ends the attribute); an unclosed '(' is named with its line."""
    with pytest.raises(LoadFailure) as caught:
        load_file(text, "main.tf")
    assert message in caught.value.message and caught.value.line == line


def test_other_shapes_of_new_lines_inside_brackets_load() -> None:
    """A for expression's condition on a line of its own, an index over several lines, an
    operator starting a line inside a list."""
    text = ('locals {\n  names = [for s in var.subnets : s.name\n    if s.public\n  ]\n'
            '  first = var.azs[\n    0\n  ]\n  any = anytrue([\n    var.a,\n    var.b\n    || var.c,\n  ])\n}\n')
    body = load_file(text, "main.tf").locals[0].body
    assert same_meaning(body["names"], "[for s in var.subnets : s.name if s.public]")
    assert same_meaning(body["first"], "var.azs[0]")
    assert same_meaning(body["any"], "anytrue([var.a, var.b || var.c])")
    assert [hclexpr.evaluate_value(body["names"], s) for s in SETTINGS] == [["a"], []]


def test_a_for_expression_in_braces_ignores_new_lines_and_an_object_does_not() -> None:
    """In ``{ for ... }`` new lines mean nothing (Terraform); in an object they separate items,
    also when a key starts with 'for' (for_each, format, for-x)."""
    text = 'locals {\n  by_name = { for s in var.subnets : s.name\n    => s.id\n  }\n' \
           '  object = {\n    for-x  = 1\n    format = 2\n  }\n}\n'
    body = load_file(text, "main.tf").locals[0].body
    assert same_meaning(body["by_name"], "{ for s in var.subnets : s.name => s.id }")
    assert hclexpr.evaluate_value(body["by_name"], SETTINGS[0]) == {"a": "subnet-1", "b": "subnet-2"}
    assert body["object"] == {"for-x": 1, "format": 2}
