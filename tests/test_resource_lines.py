"""Resource.line_of: the one way to find a property's line, in every form the Terraform loader
records lines under (a nested block ``a.0.b``, a ``dynamic "a"`` block's content, the dynamic
block itself), by neutral name or native path, falling back to the nearest written parent."""

from __future__ import annotations

from pathlib import Path

from ha_lint.scan import ScanSettings, scan

MAIN_TF = """\
resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"
  attribute {
    name = "id"
    type = "S"
  }
  point_in_time_recovery {
    enabled = false
  }
}

variable "dlq" {
  type    = string
  default = null
}

resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = "arn:aws:iam::123456789012:role/worker"
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "worker.zip"
  dynamic "dead_letter_config" {
    for_each = var.dlq == null ? [] : [var.dlq]
    content {
      target_arn = dead_letter_config.value
    }
  }
}

resource "aws_lambda_function" "plain" {
  function_name = "plain"
  role          = "arn:aws:iam::123456789012:role/plain"
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "plain.zip"
}
"""


def _resources(tmp_path: Path) -> dict[str, object]:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    result = scan(ScanSettings([str(tmp_path)], jobs=1), [])
    assert result.errors == []
    return {res.address: res for res in result.architecture.resources}


def test_a_property_in_a_nested_block_is_found_inside_its_first_block(tmp_path: Path) -> None:
    table = _resources(tmp_path)["aws_dynamodb_table.orders"]
    assert table.line_of("pitr") == 9  # point_in_time_recovery.0.enabled, not the block's line 8
    assert table.line_of("point_in_time_recovery", native=True) == 8
    assert table.line_of("point_in_time_recovery.enabled", native=True) == 9


def test_a_property_in_a_dynamic_block_is_at_the_dynamic_block(tmp_path: Path) -> None:
    # python-hcl2 gives the content {} block a line but not the attributes in it: the
    # dynamic "dead_letter_config" line is where the property is written (not the resource's).
    worker = _resources(tmp_path)["aws_lambda_function.worker"]
    assert worker.lines["dynamic.0.dead_letter_config"] == 24
    assert worker.line_of("dead_letter_config.target_arn", native=True) == 24
    assert worker.line_of("dead_letter_target") == 24  # the neutral name of the same property
    assert worker.line_of("dead_letter_config", native=True) == 24


def test_a_property_not_written_is_at_its_nearest_parent_or_the_resource(tmp_path: Path) -> None:
    resources = _resources(tmp_path)
    table, plain = resources["aws_dynamodb_table.orders"], resources["aws_lambda_function.plain"]
    assert table.line_of("point_in_time_recovery.no_such_key", native=True) == 8
    assert plain.line_of("dead_letter_config.target_arn", native=True) == plain.line == 32
    assert plain.line_of("function_name", native=True) == 33
