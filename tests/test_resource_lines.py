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


GROUPS_TF = """\
variable "ports" {
  default = [80, 443]
}

resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
"""

GROUPS_YAML = """\
Conditions:
  IsProd: !Equals [!Ref AWS::Region, eu-west-1]
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 10.0.0.0/8
        - !If
          - IsProd
          - IpProtocol: tcp
            FromPort: 443
            ToPort: 443
            CidrIp: 0.0.0.0/0
          - IpProtocol: tcp
            FromPort: 80
            ToPort: 80
            CidrIp: 0.0.0.0/0
"""


def test_an_entry_of_a_list_is_at_its_block_its_dynamic_block_or_its_branch(tmp_path: Path) -> None:
    # Terraform: the written block, then the blocks a dynamic "ingress" makes, at the dynamic block.
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(GROUPS_TF)
    (tmp_path / "cfn").mkdir()
    (tmp_path / "cfn" / "web.yaml").write_text(GROUPS_YAML)
    result = scan(ScanSettings([str(tmp_path)], jobs=1), [])
    found = {res.address: res for res in result.architecture.resources}
    web = found["aws_security_group.web"]
    entries = web.get("ingress").value
    assert [web.entry_line("ingress", i, entry=e) for i, e in enumerate(entries)] == [7, 13, 13]
    assert web.entry_line("ingress", 0, "cidr_blocks") == 11
    assert web.entry_line("ingress", 0, "no_such_field") == 7  # the entry, when the field is not written
    assert web.entry_line("ingress", 2) is None  # no line of its own without the entry that says how it was made
    # CloudFormation: an entry written as !If is at the arm its branch names.
    cfn = found["Web"]
    assert cfn.entry_line("ingress", 1, "FromPort") == 13  # inside the !If: the entry's line
    assert cfn.entry_line("ingress", 0, "FromPort") == 10
    assert cfn.entry_line("ingress", 1) == 13
    assert cfn.entry_line("ingress", 1, branch="condition IsProd true") == 15
    assert cfn.entry_line("ingress", 1, branch="condition IsProd false") == 19
    assert cfn.entry_line("ingress", 1, 0, "x") is None  # inside a list index not written: no line, not the entry's
