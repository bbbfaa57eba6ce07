"""Lines and expressions read from python-hcl2's parse tree (spike for issue 22 step 1)."""

from __future__ import annotations

import hcl2

from ha_lint import hclexpr
from ha_lint.loaders import hcltree
from ha_lint.hclexpr import Binary, Call, Conditional, Literal, TupleExpr
from ha_lint.loaders.terraform import load_file

TABLE = '''resource "aws_dynamodb_table" "orders" {
  name = "orders"
  tags = { Team = "data", "cost-center" = "42" }
  replicas = [
    { region = "eu-west-1" },
    {
      region = "eu-central-1"
    },
  ]
  ttl {
    enabled = true
  }
  ttl {
    enabled = false
  }
  dynamic "replica" {
    for_each = var.regions
    content {
      region_name = replica.value
    }
  }
}
'''


def _block(text: str) -> hcltree.TreeBlock:
    return next(hcltree.top_blocks(hcltree.parse_tree(text)))


def test_every_attribute_nested_block_key_and_item_has_its_line() -> None:
    block = _block(TABLE)
    assert (block.block_type, block.labels, block.line) == ("resource", ("aws_dynamodb_table", "orders"), 1)
    lines = block.lines
    assert lines["name"] == 2
    assert (lines["tags.Team"], lines["tags.cost-center"]) == (3, 3)  # keys of a map on one line
    assert (lines["replicas.0"], lines["replicas.1"], lines["replicas.1.region"]) == (5, 6, 7)
    assert (lines["ttl"], lines["ttl.0.enabled"], lines["ttl.1"], lines["ttl.1.enabled"]) == (10, 11, 13, 14)
    assert (lines["dynamic.0.replica"], lines["dynamic.0.replica.for_each"]) == (16, 17)
    assert lines["dynamic.0.replica.content.0.region_name"] == 19


def test_a_multi_line_conditional_in_parentheses_is_read_from_its_source() -> None:
    text = ('resource "aws_db_instance" "main" {\n'
            '  multi_az = (var.env == "prod" # production only\n'
            '    ? true\n'
            '    : false)\n'
            '}\n')
    assert _block(text).lines["multi_az"] == 2
    written = load_file(text, "main.tf").blocks[0].body["multi_az"]
    assert isinstance(written, hclexpr.Source)
    node = hclexpr.parse(written.text)
    assert isinstance(node, Conditional) and isinstance(node.cond, Binary)
    assert (node.true, node.false) == (Literal(True), Literal(False))


def test_the_source_keeps_what_python_hcl2_renderings_lose() -> None:
    # python-hcl2 renders [""] as [] and a quoted interpolated object key as ""k${x}""
    text = ('locals {\n'
            '  subnets = concat(var.subnets, [""])\n'
            '  tags = merge(var.tags, { "kubernetes.io/cluster/${var.name}" = "owned" })\n'
            '}\n')
    rendered = hcl2.loads(text)["locals"][0]
    assert rendered["subnets"] == "${concat(var.subnets, [])}"
    assert hclexpr._value_node(rendered["tags"]) is None  # the rendering does not parse

    body = load_file(text, "main.tf").locals[0].body
    subnets = hclexpr.parse(body["subnets"].text)
    assert isinstance(subnets, Call) and subnets.args[1] == TupleExpr((Literal(""),))
    tags = hclexpr.parse(body["tags"].text)
    refs: list[tuple] = []
    hclexpr._collect(tags, frozenset(), refs)
    assert ("var", "name") in refs and ("var", "tags") in refs


def test_the_loader_gives_lines_the_bracket_count_missed() -> None:
    tf = load_file('provider "aws" { alias = "dr" }\n'
                   'resource "aws_network_acl" "main" {\n'
                   '  ingress = [{\n'
                   '    rule_no = 100\n'
                   '    },\n'
                   '    {\n'
                   '      rule_no = 110\n'
                   '  }]\n'
                   '}\n', "main.tf")
    provider, acl = tf.blocks
    assert provider.lines["alias"] == 1  # an attribute on its block's own line
    assert (acl.lines["ingress"], acl.lines["ingress.1"], acl.lines["ingress.1.rule_no"]) == (3, 6, 7)


def test_the_loader_places_a_dynamic_blocks_content_at_the_block() -> None:
    tf = load_file(TABLE, "main.tf")
    lines = tf.blocks[0].lines
    assert lines["dynamic.0.replica"] == 16
    assert "dynamic.0.replica.content.0.region_name" not in lines  # line_of falls back to the block
