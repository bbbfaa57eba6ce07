"""May this function write its logs? IAM read from real templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import architecture_of as _arch
from ha_lint.graph import Architecture
from ha_lint.queries.iam import LOG_ACTIONS, Grant, allowed_actions, denied_actions, grants, log_access
from ha_lint.values import UNKNOWN, Choice, Ref

ASSUME = "{Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}]}"


def _fn(arch: Architecture, address: str):
    (found,) = [r for r in arch.resources if r.address == address]
    return found


@pytest.mark.parametrize("statement, granted", [
    ({"Effect": "Allow", "Action": "logs:*", "Resource": "*"}, set(LOG_ACTIONS)),
    ({"Effect": "Allow", "Action": ["LOGS:put*"], "Resource": "*"}, {"logs:PutLogEvents"}),
    ({"Effect": "Allow", "Action": "*", "Resource": "*"}, set(LOG_ACTIONS)),
    ({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}, set(LOG_ACTIONS)),
    ({"Effect": "Allow", "NotAction": "logs:*", "Resource": "*"}, set()),
    ({"Effect": "Deny", "Action": "logs:*", "Resource": "*"}, set()),
    ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}, set()),
])
def test_allowed_actions(statement, granted) -> None:
    assert allowed_actions({"Statement": [statement]}, LOG_ACTIONS) == granted


def test_unreadable_statement_is_unknown() -> None:
    assert allowed_actions({"Statement": [{"Effect": "Allow", "Action": UNKNOWN}]}, LOG_ACTIONS) is UNKNOWN
    assert allowed_actions(UNKNOWN, LOG_ACTIONS) is UNKNOWN


def test_an_unknown_part_decides_only_what_it_may_grant() -> None:
    table = Ref("aws_dynamodb_table.t", "arn")
    # An unknown Resource decides nothing about actions.
    assert allowed_actions({"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": table}]},
                           LOG_ACTIONS) == set()
    # An unknown Effect matters only for the actions the statement names.
    assert grants({"Statement": [{"Effect": UNKNOWN, "Action": "s3:GetObject"}]}, LOG_ACTIONS) == Grant()
    assert grants({"Statement": [{"Effect": UNKNOWN, "Action": "logs:*"}]}, LOG_ACTIONS) == Grant(
        maybe=frozenset(LOG_ACTIONS))
    # A known pattern grants what it matches; an unknown one leaves the rest open.
    assert grants({"Statement": [{"Effect": "Allow", "Action": ["logs:Create*", UNKNOWN]}]}, LOG_ACTIONS) == Grant(
        frozenset({"logs:CreateLogStream"}), frozenset({"logs:PutLogEvents"}))
    # A statement under a condition grants surely only what every branch grants.
    both = Choice((("c true", {"Effect": "Allow", "Action": "logs:*"}), ("c false", None)))
    assert grants({"Statement": [both]}, LOG_ACTIONS) == Grant(maybe=frozenset(LOG_ACTIONS))
    neither = Choice((("c true", {"Effect": "Allow", "Action": "s3:*"}), ("c false", None)))
    assert grants({"Statement": [neither]}, LOG_ACTIONS) == Grant()


def test_cloudformation_roles(tmp_path: Path) -> None:
    arch = _arch(tmp_path, f"""
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Bare:
            Type: AWS::IAM::Role
            Properties: {{AssumeRolePolicyDocument: {ASSUME}}}
          Attached:
            Type: AWS::IAM::Role
            Properties: {{AssumeRolePolicyDocument: {ASSUME}}}
          AttachedPolicy:
            Type: AWS::IAM::Policy
            Properties:
              PolicyName: logs
              Roles: [!Ref Attached]
              PolicyDocument: {{Statement: [{{Effect: Allow, Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "*"}}]}}
          Partition:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument: {ASSUME}
              ManagedPolicyArns: [!Sub "arn:${{AWS::Partition}}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
          Vpc:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument: {ASSUME}
              ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]
          F1: {{Type: AWS::Lambda::Function, Properties: {{Role: !GetAtt Bare.Arn, Code: {{ZipFile: x}}, Handler: a.b, Runtime: python3.12}}}}
          F2: {{Type: AWS::Lambda::Function, Properties: {{Role: !GetAtt Attached.Arn, Code: {{ZipFile: x}}, Handler: a.b, Runtime: python3.12}}}}
          F3: {{Type: AWS::Lambda::Function, Properties: {{Role: !GetAtt Partition.Arn, Code: {{ZipFile: x}}, Handler: a.b, Runtime: python3.12}}}}
          F4: {{Type: AWS::Serverless::Function, Properties: {{Role: !GetAtt Vpc.Arn, CodeUri: src/, Handler: a.b, Runtime: python3.12}}}}
          F5: {{Type: AWS::Serverless::Function, Properties: {{CodeUri: src/, Handler: a.b, Runtime: python3.12}}}}
          F6: {{Type: AWS::Lambda::Function, Properties: {{Role: "arn:aws:iam::123456789012:role/elsewhere", Code: {{ZipFile: x}}, Handler: a.b, Runtime: python3.12}}}}
        """)
    bare = log_access(arch, _fn(arch, "F1"))
    assert (bare.known, bare.role.address, bare.missing) == (True, "Bare", LOG_ACTIONS)
    assert log_access(arch, _fn(arch, "F2")).missing == ()
    assert log_access(arch, _fn(arch, "F3")).known is False  # ${AWS::Partition}: unreadable ARN
    assert log_access(arch, _fn(arch, "F4")).missing == ()
    generated = log_access(arch, _fn(arch, "F5"))
    assert (generated.generated, generated.missing) == (True, ())
    assert log_access(arch, _fn(arch, "F6")).known is False


def test_terraform_roles(tmp_path: Path) -> None:
    arch = _arch(tmp_path, """
        resource "aws_iam_role" "named" {
          name               = "named-role"
          assume_role_policy = "{}"
        }
        resource "aws_iam_role_policy_attachment" "by_name" {
          role       = "named-role"
          policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        }
        resource "aws_iam_role" "documented" {
          name               = "documented"
          assume_role_policy = "{}"
        }
        data "aws_iam_policy_document" "logs" {
          statement {
            actions   = ["logs:*"]
            resources = ["*"]
          }
        }
        resource "aws_iam_role_policy" "documented" {
          role   = aws_iam_role.documented.id
          policy = data.aws_iam_policy_document.logs.json
        }
        resource "aws_lambda_function" "named" {
          function_name = "named"
          role          = aws_iam_role.named.arn
          handler       = "a.b"
          runtime       = "python3.12"
          filename      = "a.zip"
        }
        resource "aws_lambda_function" "documented" {
          function_name = "documented"
          role          = aws_iam_role.documented.arn
          handler       = "a.b"
          runtime       = "python3.12"
          filename      = "a.zip"
        }
        """, "mod/main.tf")
    named = log_access(arch, _fn(arch, "aws_lambda_function.named"))
    assert (named.known, named.missing) == (True, LOG_ACTIONS)  # attached by name: S3 only
    documented = log_access(arch, _fn(arch, "aws_lambda_function.documented"))
    assert (documented.known, documented.missing) == (True, ())  # the data source's statement: logs:*


def test_policy_document_data_sources(tmp_path: Path) -> None:
    arch = _arch(tmp_path, """
        variable "extra_policy" {
          type = string
        }
        resource "aws_s3_bucket" "data" {
          bucket = "data"
        }
        data "aws_iam_policy_document" "s3" {
          statement {
            sid       = "Read"
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.data.arn}/*"]
          }
        }
        data "aws_iam_policy_document" "merged" {
          source_policy_documents = [var.extra_policy]
          statement {
            actions   = ["s3:GetObject"]
            resources = ["*"]
          }
        }
        data "aws_iam_policy_document" "denied" {
          statement {
            actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
            resources = ["*"]
          }
          statement {
            effect    = "Deny"
            actions   = ["logs:*"]
            resources = ["*"]
          }
        }
        data "aws_iam_policy_document" "deny_with_condition" {
          statement {
            actions   = ["logs:*"]
            resources = ["*"]
          }
          statement {
            effect    = "Deny"
            actions   = ["logs:*"]
            resources = ["*"]
            condition {
              test     = "StringNotEquals"
              variable = "aws:RequestedRegion"
              values   = ["eu-west-1"]
            }
          }
        }
        resource "aws_iam_role" "s3" {
          name               = "s3"
          assume_role_policy = "{}"
        }
        resource "aws_iam_role_policy" "s3" {
          role   = aws_iam_role.s3.id
          policy = data.aws_iam_policy_document.s3.json
        }
        resource "aws_iam_role" "merged" {
          name               = "merged"
          assume_role_policy = "{}"
        }
        resource "aws_iam_role_policy" "merged" {
          role   = aws_iam_role.merged.id
          policy = data.aws_iam_policy_document.merged.json
        }
        resource "aws_iam_role" "denied" {
          name               = "denied"
          assume_role_policy = "{}"
          inline_policy {
            name   = "logs"
            policy = data.aws_iam_policy_document.denied.json
          }
        }
        resource "aws_iam_role" "conditional" {
          name               = "conditional"
          assume_role_policy = "{}"
          inline_policy {
            name   = "logs"
            policy = data.aws_iam_policy_document.deny_with_condition.json
          }
        }
        """ + "".join(f"""
        resource "aws_lambda_function" "{name}" {{
          function_name = "{name}"
          role          = aws_iam_role.{name}.arn
          handler       = "a.b"
          runtime       = "python3.12"
          filename      = "a.zip"
        }}""" for name in ("s3", "merged", "denied", "conditional")), "mod/main.tf")
    s3 = log_access(arch, _fn(arch, "aws_lambda_function.s3"))
    assert (s3.known, s3.missing) == (True, LOG_ACTIONS)  # read even though the bucket ARN is unknown
    assert log_access(arch, _fn(arch, "aws_lambda_function.merged")).known is False  # merges another document
    denied = log_access(arch, _fn(arch, "aws_lambda_function.denied"))
    assert (denied.known, denied.missing) == (True, LOG_ACTIONS)  # an explicit deny wins
    assert log_access(arch, _fn(arch, "aws_lambda_function.conditional")).missing == ()  # the deny may not apply


@pytest.mark.parametrize("statement, denied", [
    ({"Effect": "Deny", "Action": "logs:*", "Resource": "*"}, set(LOG_ACTIONS)),
    ({"Effect": "Deny", "NotAction": "logs:PutLogEvents", "Resource": ["*"]}, {"logs:CreateLogStream"}),
    ({"Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:log-group:/secret/*"}, set()),
    ({"Effect": "Deny", "Action": "logs:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}, set()),
    ({"Effect": "Allow", "Action": "logs:*", "Resource": "*"}, set()),
])
def test_denied_actions(statement, denied) -> None:
    assert denied_actions({"Statement": [statement]}, LOG_ACTIONS) == denied
