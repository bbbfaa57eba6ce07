"""Terraform values resolved the way ``terraform plan`` would, with their origins.

Real HCL through python-hcl2, the expression evaluator and the resolver (no mocks); the
firing rules through these mechanisms are proven case by case in ``fixtures/resolve/``."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from ha_lint.graph import Architecture
from ha_lint.model import Resource
from ha_lint.scan import ScanResult, ScanSettings, load_documents
from ha_lint.values import UNKNOWN, AzToken, Choice, Origin, Ref


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def load(root: Path, files: dict[str, str] | None = None, **settings) -> tuple[dict[str, Resource], ScanResult]:
    write(root, files or {})
    result = ScanResult()
    _, found = load_documents(ScanSettings(paths=[str(root)], jobs=1, **settings), result)
    assert result.errors == []
    return {r.address: r for r in found}, result


@pytest.fixture(autouse=True)
def no_tf_var_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)


def test_variable_precedence_and_origins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_VAR_a", "env")
    monkeypatch.setenv("TF_VAR_b", "env")
    (tmp_path / "extra.tfvars").write_text('d = "var-file"\ne = "var-file"\n')
    found, _ = load(tmp_path, {
        "main.tf": """
            variable "a" {}
            variable "b" {}
            variable "c" {}
            variable "d" {}
            variable "e" {}
            variable "f" { default = "default" }
            resource "aws_sns_topic" "t" {
              name         = "${var.a}/${var.b}/${var.c}/${var.d}/${var.e}/${var.f}"
              display_name = var.c
            }
        """,
        "terraform.tfvars": 'b = "tfvars"\nc = "tfvars"\n',
        "b.auto.tfvars": 'c = "auto-b"\n',
        "a.auto.tfvars.json": '{\n  "c": "auto-a-json",\n  "d": "${not.an.expression}"\n}\n',
    }, var_files=[str(tmp_path / "extra.tfvars")], variables={"e": "cli"})
    topic = found["aws_sns_topic.t"]
    assert topic.props["name"] == "env/tfvars/auto-b/var-file/cli/default"
    assert topic.origins["display_name"] == Origin('b.auto.tfvars sets c = "auto-b"', f"{tmp_path}/b.auto.tfvars", 1)


def test_json_tfvars_strings_are_literal(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {
        "main.tf": 'variable "d" {}\nresource "aws_sns_topic" "t" { name = var.d }\n',
        "terraform.tfvars.json": '{"d": "${not.an.expression}"}',
    })
    assert found["aws_sns_topic.t"].props["name"] == "${not.an.expression}"


def test_a_json_tfvars_file_that_does_not_parse_is_a_load_error_not_silence(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": 'variable "d" {\n  default = "x"\n}\nresource "aws_sns_topic" "t" { name = var.d }\n',
        "terraform.tfvars.json": '{\n  "d": "y",\n}\n',
    })
    result = ScanResult()
    _, found = load_documents(ScanSettings(paths=[str(tmp_path)], jobs=1), result)
    assert [(Path(e.file).name, e.line) for e in result.errors] == [("terraform.tfvars.json", 3)]
    assert "not valid JSON" in result.errors[0].message
    assert [r.props["name"] for r in found] == ["x"]  # the file's values are not used, the default is


def test_json_tfvars_values_are_at_their_own_lines(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {
        "main.tf": 'variable "d" {}\nresource "aws_sns_topic" "t" { name = var.d }\n',
        "terraform.tfvars.json": '{\n  "tags": {"d": "inner"},\n  "d": "outer"\n}\n',
    })
    assert found["aws_sns_topic.t"].origins["name"].line == 3


def test_locals_chain_origin_and_cycles(tmp_path: Path) -> None:
    found, result = load(tmp_path, {"main.tf": """
        variable "env" { default = "dev" }
        locals {
          prod     = var.env == "prod"
          multi_az = local.prod
          a        = local.b
          b        = local.a
          self     = local.self
        }
        resource "aws_db_instance" "db" {
          multi_az = local.multi_az
          engine   = local.a
          name     = local.self
        }
    """})
    db = found["aws_db_instance.db"]
    assert db.props["multi_az"] is False
    assert db.props["engine"] is UNKNOWN and db.props["name"] is UNKNOWN
    assert str(db.origins["multi_az"]) == (
        f'variable env defaults to "dev" ({tmp_path}/main.tf:2) -> local.prod = false ({tmp_path}/main.tf:4)'
        f' -> local.multi_az = false ({tmp_path}/main.tf:5)')
    assert result.warnings == []


def test_locals_are_evaluated_once_each(tmp_path: Path) -> None:
    """A chain where each local uses the previous one twice: exponential without caching."""
    lines = ["locals {", "  l0 = 1"] + [f"  l{i} = local.l{i - 1} + local.l{i - 1}" for i in range(1, 41)] + ["}"]
    lines += [f'resource "aws_sns_topic" "t{i}" {{ name = local.l40 }}' for i in range(300)]
    started = time.perf_counter()
    found, _ = load(tmp_path, {"main.tf": "\n".join(lines) + "\n"})
    assert found["aws_sns_topic.t299"].props["name"] == 2 ** 40
    assert time.perf_counter() - started < 20


def test_conditional_on_unknown_is_a_choice_naming_the_branch(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {"main.tf": """
        variable "env" {}
        resource "aws_db_instance" "db" {
          multi_az = var.env == "prod" ? true : false
          port     = var.env == "prod"
        }
    """})
    db = found["aws_db_instance.db"]
    assert db.props["multi_az"] == Choice((('var.env == "prod" ? (true branch)', True),
                                           ('var.env == "prod" ? (false branch)', False)))
    assert db.props["port"] is UNKNOWN


def test_count_for_each_and_unknown_count(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {"main.tf": """
        variable "n" {}
        resource "aws_subnet" "counted" {
          count      = 2
          cidr_block = "10.0.${count.index}.0/24"
        }
        resource "aws_subnet" "none" {
          count = 0
        }
        resource "aws_subnet" "each" {
          for_each   = { a = "10.1.0.0/24", b = "10.2.0.0/24" }
          cidr_block = each.value
          tags       = { Name = each.key }
        }
        resource "aws_subnet" "set" {
          for_each   = toset(["x", "y"])
          cidr_block = each.value
        }
        resource "aws_subnet" "unknown" {
          count      = var.n
          cidr_block = "10.9.${count.index}.0/24"
        }
    """})
    assert sorted(found) == ['aws_subnet.counted[0]', 'aws_subnet.counted[1]', 'aws_subnet.each["a"]',
                             'aws_subnet.each["b"]', 'aws_subnet.set["x"]', 'aws_subnet.set["y"]', 'aws_subnet.unknown']
    assert found["aws_subnet.counted[1]"].props["cidr_block"] == "10.0.1.0/24"
    assert found['aws_subnet.each["b"]'].props == {"cidr_block": "10.2.0.0/24", "tags": {"Name": "b"}}
    assert found["aws_subnet.unknown"].props["cidr_block"] is UNKNOWN  # one representative, index unknown


def test_functions_evaluate_or_are_unknown_never_raise(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {"main.tf": """
        locals {
          m = merge({ a = 1 }, { b = 2 })
        }
        resource "aws_sns_topic" "t" {
          name         = join("-", [lookup(local.m, "b", 0), length(local.m), upper("x")])
          display_name = file("missing.txt")
          policy       = jsonencode({ Version = "2012-10-17" })
          tags         = { when = timestamp(), cidr = cidrsubnet("10.0.0.0/16", 8, 3) }
        }
    """})
    topic = found["aws_sns_topic.t"]
    assert topic.props["name"] == "2-2-X"
    assert topic.props["display_name"] is UNKNOWN
    assert json.loads(topic.props["policy"]) == {"Version": "2012-10-17"}
    assert topic.props["tags"] == {"when": UNKNOWN, "cidr": "10.0.3.0/24"}


AZS = """
provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "dr"
  region = "eu-central-1"
}
data "aws_availability_zones" "available" {}
data "aws_availability_zones" "dr" {
  provider = aws.dr
}
data "aws_region" "current" {}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  availability_zone = element(data.aws_availability_zones.available.names, count.index)
}
resource "aws_subnet" "dr" {
  provider          = aws.dr
  vpc_id            = aws_vpc.main.id
  availability_zone = data.aws_availability_zones.dr.names[0]
}
resource "aws_instance" "app" {
  subnet_id         = aws_subnet.private[1].id
  availability_zone = aws_subnet.private[1].availability_zone
  tags              = { region = data.aws_region.current.name }
}
resource "aws_security_group" "app" {
  vpc_id = aws_subnet.dr.vpc_id
}
"""


def test_availability_zones_are_distinct_tokens_per_index_and_provider(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {"main.tf": AZS})
    a, b = (found[f"aws_subnet.private[{i}]"].props["availability_zone"] for i in (0, 1))
    assert (a, b) == (AzToken("eu-west-1", 0), AzToken("eu-west-1", 1))
    assert found["aws_subnet.dr"].props["availability_zone"] == AzToken("eu-central-1", 0)
    assert found["aws_subnet.dr"].meta.region == "eu-central-1"
    assert found["aws_instance.app"].props["tags"] == {"region": "eu-west-1"}


def test_availability_zones_without_a_region_are_still_distinct(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {"main.tf": AZS.replace('region = "eu-west-1"', "").replace('region = "eu-central-1"', "")})
    assert found["aws_subnet.private[0]"].props["availability_zone"] == AzToken("", 0)
    assert found["aws_subnet.private[1]"].props["availability_zone"] == AzToken("", 1)
    assert found["aws_subnet.dr"].props["availability_zone"] == AzToken("provider aws.dr", 0)
    found, _ = load(tmp_path / "with_region", {"main.tf": AZS.replace('region = "eu-west-1"', "")}, region="us-east-2")
    assert found["aws_subnet.private[0]"].props["availability_zone"] == AzToken("us-east-2", 0)


def test_resource_arguments_are_known_attributes_others_are_references(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {"main.tf": AZS})
    app = found["aws_instance.app"]
    assert app.props["subnet_id"] == Ref("aws_subnet.private[1]", "id")
    assert app.props["availability_zone"] == AzToken("eu-west-1", 1)  # aws_subnet.private[1]'s own argument
    assert found["aws_security_group.app"].props["vpc_id"] == Ref("aws_vpc.main", "id")
    arch = Architecture([], found.values())
    assert arch.targets(app, kind="subnet") == [found["aws_subnet.private[1]"]]
    assert set(arch.targets(found["aws_security_group.app"])) == {found["aws_subnet.dr"], found["aws_vpc.main"]}


MODULES = {
    "main.tf": """
        provider "aws" {
          region = "eu-west-1"
        }
        provider "aws" {
          alias  = "dr"
          region = "us-west-2"
        }
        variable "enable_copy" {
          default = false
        }
        module "db" {
          source   = "./modules/db"
          name     = "orders"
          multi_az = false
        }
        module "copy" {
          source   = "./modules/db"
          count    = var.enable_copy ? 1 : 0
          name     = "copy"
        }
        module "regional" {
          source    = "./modules/db"
          for_each  = { east = true, west = false }
          name      = each.key
          multi_az  = each.value
          providers = { aws = aws.dr }
        }
        resource "aws_route53_record" "db" {
          name    = module.db.endpoint
          records = [module.db.identifier, module.regional["west"].identifier]
          ttl     = module.db.settings.port
        }
    """,
    "modules/db/main.tf": """
        variable "name" {}
        variable "multi_az" {
          default = true
        }
        resource "aws_db_instance" "this" {
          identifier = var.name
          multi_az   = var.multi_az
          port       = 5432
        }
        output "endpoint" {
          value = aws_db_instance.this.endpoint
        }
        output "identifier" {
          value = aws_db_instance.this.identifier
        }
        output "settings" {
          value = { port = aws_db_instance.this.port }
        }
    """,
}


def test_local_modules_with_inputs_count_for_each_outputs_and_providers(tmp_path: Path) -> None:
    found, result = load(tmp_path, MODULES)
    assert result.warnings == []
    assert sorted(a for a in found if a.startswith("module.")) == [
        "module.db.aws_db_instance.this", 'module.regional["east"].aws_db_instance.this',
        'module.regional["west"].aws_db_instance.this']
    db = found["module.db.aws_db_instance.this"]
    assert db.props == {"identifier": "orders", "multi_az": False, "port": 5432}
    assert db.file == f"{tmp_path}/modules/db/main.tf" and db.meta.module == "module.db"
    assert str(db.origins["multi_az"]) == f"module db input multi_az = false ({tmp_path}/main.tf:15)"
    assert found['module.regional["west"].aws_db_instance.this'].meta.region == "us-west-2"
    assert db.meta.region == "eu-west-1"
    record = found["aws_route53_record.db"]
    assert record.props == {"name": Ref("module.db.aws_db_instance.this", "endpoint"),
                            "records": ["orders", "west"], "ttl": 5432}
    assert str(record.origins["records"]).startswith(f"module db input name = \"orders\" ({tmp_path}/main.tf:14)")
    arch = Architecture([], found.values())
    assert arch.targets(record) == [db]  # through the child's output


def test_root_module_variable_through_a_module_names_the_tfvars_line(tmp_path: Path) -> None:
    files = dict(MODULES)
    files["main.tf"] = files["main.tf"].replace("multi_az = false", "multi_az = var.db_multi_az") + \
        '\nvariable "db_multi_az" {\n  default = true\n}\n'
    files["terraform.tfvars"] = "# prod\ndb_multi_az = false\n"
    found, _ = load(tmp_path, files)
    db = found["module.db.aws_db_instance.this"]
    assert db.props["multi_az"] is False
    assert str(db.get("multi_az").origin) == (
        f"terraform.tfvars sets db_multi_az = false ({tmp_path}/terraform.tfvars:2)"
        f" -> module db input multi_az = false ({tmp_path}/main.tf:15)")


def test_missing_and_cyclic_modules_warn_with_file_and_line(tmp_path: Path) -> None:
    found, result = load(tmp_path, {
        "main.tf": """
            module "gone" {
              source = "./nowhere"
            }
            module "a" {
              source = "./a"
            }
        """,
        "a/main.tf": 'module "b" {\n  source = "../b"\n}\nresource "aws_sns_topic" "a" {}\n',
        "b/main.tf": 'module "a" {\n  source = "../a"\n}\nresource "aws_sns_topic" "b" {}\n',
    })
    assert sorted(found) == ["module.a.aws_sns_topic.a", "module.a.module.b.aws_sns_topic.b"]
    assert len(result.warnings) == 2
    assert str(result.warnings[0]).startswith(f"{tmp_path}/main.tf:2: module.gone: source './nowhere' not found")
    assert [w.code for w in result.warnings] == ["module-not-found", "module-cycle"]
    assert str(result.warnings[1]).startswith(f"{tmp_path}/b/main.tf:1: module.a: source '../a' calls a module that is already")


def test_registry_modules_come_from_modules_json(tmp_path: Path) -> None:
    found, result = load(tmp_path, {
        "main.tf": """
            module "bucket" {
              source  = "terraform-aws-modules/s3-bucket/aws"
              version = "4.1.0"
              bucket  = "logs"
            }
            module "not_installed" {
              source = "git::https://example.com/x.git"
            }
        """,
        ".terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "bucket", "Source": "registry.terraform.io/terraform-aws-modules/s3-bucket/aws",
             "Version": "4.1.0", "Dir": ".terraform/modules/bucket"}]}),
        ".terraform/modules/bucket/main.tf": 'variable "bucket" {}\nresource "aws_s3_bucket" "this" {\n  bucket = var.bucket\n}\n',
    })
    assert found["module.bucket.aws_s3_bucket.this"].props == {"bucket": "logs"}
    # the one that `terraform init` did not install is said, at its module block, with both fixes
    assert [(w.code, w.file, w.line) for w in result.warnings] == [("module-not-found", f"{tmp_path}/main.tf", 7)]
    assert "module.not_installed: source 'git::https://example.com/x.git'" in result.warnings[0].message
    assert "run `terraform init`, or pass --download-modules" in result.warnings[0].message


def test_dynamic_blocks(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {"main.tf": """
        variable "ports" {
          default = [22, 443]
        }
        resource "aws_security_group" "sg" {
          dynamic "ingress" {
            for_each = var.ports
            iterator = port
            content {
              from_port   = port.value
              to_port     = port.value
              cidr_blocks = ["0.0.0.0/0"]
            }
          }
        }
    """})
    assert found["aws_security_group.sg"].props["ingress"] == [
        {"from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]},
        {"from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}]


def test_fan_out_is_bounded(tmp_path: Path) -> None:
    """count = 100000 is treated as unknowable beyond the cap; nothing explodes."""
    started = time.perf_counter()
    found, _ = load(tmp_path, {"main.tf": """
        resource "aws_sns_topic" "many" {
          count = 100000
          name  = "t-${count.index}"
        }
    """})
    assert len(found) == 1000 and found["aws_sns_topic.many[999]"].props["name"] == "t-999"
    assert time.perf_counter() - started < 30


def test_nested_and_conditional_dynamic_blocks(tmp_path: Path) -> None:
    """dynamic blocks inside nested blocks and inside other dynamic blocks expand; a
    for_each on an unknown condition is a Choice of each branch's blocks; one over an
    unknown collection is unknown (not absent), static blocks of the same type are kept."""
    found, _ = load(tmp_path, {"main.tf": """
        variable "stage" {}
        variable "rules" {}
        variable "actions" {
          default = [{ type = "authenticate-oidc", secret = "s3cr3t" }]
        }
        resource "aws_lb_listener_rule" "r" {
          action {
            type = "forward"
            dynamic "forward" {
              for_each = [1]
              content {
                target_group { arn = "tg" }
              }
            }
          }
          dynamic "action" {
            for_each = var.actions
            content {
              type = action.value.type
              dynamic "authenticate_oidc" {
                for_each = [action.value.secret]
                content {
                  client_secret = authenticate_oidc.value
                }
              }
            }
          }
        }
        resource "aws_dynamodb_table" "t" {
          name = "t"
          dynamic "point_in_time_recovery" {
            for_each = var.stage == "prod" ? [1] : []
            content {
              enabled = true
            }
          }
        }
        resource "aws_security_group" "sg" {
          ingress {
            from_port = 443
          }
          dynamic "ingress" {
            for_each = var.rules
            content {
              from_port = ingress.value
            }
          }
          dynamic "egress" {
            for_each = var.rules
            content {
              from_port = egress.value
            }
          }
        }
    """})
    rule = found["aws_lb_listener_rule.r"]
    assert rule.props["action"] == [
        {"type": "forward", "forward": [{"target_group": [{"arn": "tg"}]}]},
        {"type": "authenticate-oidc", "authenticate_oidc": [{"client_secret": "s3cr3t"}]}]
    pitr = found["aws_dynamodb_table.t"].props["point_in_time_recovery"]
    assert pitr == Choice(((pitr.branches[0][0], [{"enabled": True}]), (pitr.branches[1][0], [])))
    assert "(true branch)" in pitr.branches[0][0] and "(false branch)" in pitr.branches[1][0]
    # The model reads through the Choice: the branch without the block has the default.
    enabled = found["aws_dynamodb_table.t"].get("pitr").value
    assert isinstance(enabled, Choice) and [v for _, v in enabled.branches] == [True, False]
    sg = found["aws_security_group.sg"]
    assert sg.props["ingress"] == [{"from_port": 443}] and sg.props["egress"] is UNKNOWN


def test_variable_types_convert_values_as_terraform_does(tmp_path: Path) -> None:
    """optional() attributes (Terraform 1.3+) get their defaults when omitted or null, nested
    ones too; attributes the type does not declare are dropped; primitives convert; a set of
    strings is in lexical order; nullable = false turns a null input into the default."""
    found, _ = load(tmp_path, {
        "main.tf": """
            variable "rules" {
              type = map(object({
                port     = optional(number, 443)
                protocol = optional(string, "tcp")
                cidr     = optional(string)
                tags     = optional(map(string), {})
                health   = optional(object({ enabled = optional(bool, true), path = optional(string, "/") }), {})
              }))
            }
            variable "azs" {
              type    = set(string)
              default = ["b", "a", "b"]
            }
            variable "size" {
              type    = string
              default = 5
            }
            variable "flag" {
              type    = bool
              default = "true"
            }
            variable "kept" {
              type     = number
              default  = 3
              nullable = false
            }
            variable "required" {
              type = object({ name = string })
              default = { other = "x" }
            }
            resource "aws_sns_topic" "t" {
              for_each = var.rules
              name     = each.key
              tags = {
                port     = each.value.port
                protocol = each.value.protocol
                cidr     = each.value.cidr
                extra    = try(each.value.extra, "dropped")
                health   = each.value.health.enabled
                path     = each.value.health.path
              }
            }
            resource "aws_sqs_queue" "q" {
              name = join(",", var.azs)
              tags = { size = var.size, flag = var.flag, kept = var.kept, name = var.required.name }
            }
        """,
        "terraform.tfvars": """
            rules = {
              web   = { cidr = "0.0.0.0/0", extra = "x" }
              admin = { port = 22, protocol = null, health = { path = "/ok" } }
            }
            kept  = null
        """,
    })
    web, admin = found['aws_sns_topic.t["web"]'].props["tags"], found['aws_sns_topic.t["admin"]'].props["tags"]
    assert web == {"port": 443, "protocol": "tcp", "cidr": "0.0.0.0/0", "extra": "dropped", "health": True, "path": "/"}
    assert admin == {"port": 22, "protocol": "tcp", "cidr": None, "extra": "dropped", "health": True, "path": "/ok"}
    assert found["aws_sqs_queue.q"].props == {"name": "a,b", "tags": {"size": "5", "flag": True, "kept": 3, "name": UNKNOWN}}


def test_each_value_names_where_the_collection_was_set(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {
        "main.tf": """
            variable "dbs" {}
            resource "aws_db_instance" "db" {
              for_each = var.dbs
              multi_az = each.value
            }
        """,
        "terraform.tfvars": 'dbs = { a = false }\n',
    })
    origin = found['aws_db_instance.db["a"]'].origins["multi_az"]
    assert origin.description.startswith("terraform.tfvars sets dbs") and origin.line == 1


def test_root_words_as_strings_in_a_function_call_are_strings(tmp_path: Path) -> None:
    # python-hcl2 renders toset(["logs", "data"]) as ${toset([logs, data])}: a bare root word
    # is no reference (var needs var.x, data data.type.name), so it is the string it was.
    found, _ = load(tmp_path, {"main.tf": """
        resource "aws_s3_bucket" "set" {
          for_each = toset(["logs", "data", "var", "module"])
          bucket   = "acme-${each.key}"
        }
    """})
    assert sorted(found) == ['aws_s3_bucket.set["data"]', 'aws_s3_bucket.set["logs"]',
                             'aws_s3_bucket.set["module"]', 'aws_s3_bucket.set["var"]']
    assert found['aws_s3_bucket.set["data"]'].props["bucket"] == "acme-data"


def test_a_count_decided_by_an_unknown_test_makes_each_instance_and_says_where_it_exists(tmp_path: Path) -> None:
    found, _ = load(tmp_path, {"main.tf": """
        variable "create" {
          type = bool
        }
        resource "aws_db_instance" "optional" {
          count          = var.create ? 1 : 0
          instance_class = "db.t3.micro"
        }
        resource "aws_db_instance" "readers" {
          count          = var.create ? 3 : 1
          instance_class = "db.t3.micro"
        }
        resource "aws_db_instance" "unless" {
          count          = var.create ? 0 : 1
          instance_class = "db.t3.micro"
        }
    """})
    assert sorted(found) == ["aws_db_instance.optional[0]", "aws_db_instance.readers[0]", "aws_db_instance.readers[1]",
                             "aws_db_instance.readers[2]", "aws_db_instance.unless[0]"]
    assert found["aws_db_instance.optional[0]"].meta.condition_unknown == "var.create"
    assert found["aws_db_instance.readers[0]"].meta.condition_unknown is None  # on every branch
    assert found["aws_db_instance.readers[2]"].meta.condition_unknown == "var.create"
    assert found["aws_db_instance.unless[0]"].meta.condition_unknown == "!var.create"


def test_instance_keys_are_quoted_in_addresses_as_terraform_quotes_them(tmp_path: Path) -> None:
    """A key holding a quote, a backslash, a template introducer or a control character is
    escaped as in Terraform's addresses (and plans): ``["a\\"b"]``, ``["$${x}"]``, ``["\\u0007"]``."""
    found, _ = load(tmp_path, {"main.tf": 'resource "aws_sns_topic" "t" {\n'
                                          '  for_each = toset(["a\\"b", "c\\\\d", "$${x}", "\\u0007", "é"])\n}\n'})
    assert sorted(found) == sorted(['aws_sns_topic.t["a\\"b"]', 'aws_sns_topic.t["c\\\\d"]', 'aws_sns_topic.t["$${x}"]',
                                    'aws_sns_topic.t["\\u0007"]', 'aws_sns_topic.t["é"]'])
