"""Asynchronous wiring, read from real templates (cfn-lint and python-hcl2 parse them)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import architecture_of as _arch, resource_at as _res
from ha_lint.queries.events import (async_invokers, dead_letter_queues, failure_gaps, functions_named,
                                    missing_branches, redrive_gaps, stream_mappings)
from ha_lint.values import Ref

FN = ("{Type: AWS::Lambda::Function, Properties: {Runtime: python3.12, Handler: app.handler, "
      "Role: 'arn:aws:iam::123456789012:role/app', Code: {ZipFile: pass}}}")


def test_every_kind_of_async_trigger_is_found(tmp_path: Path) -> None:
    arch = _arch(tmp_path, f"""
        Transform: AWS::Serverless-2016-10-31
        Resources:
          BySns: {FN}
          ByS3: {FN}
          ByRule: {FN}
          ByPermission: {FN}
          ByApi: {FN}
          Topic:
            Type: AWS::SNS::Topic
          Sub:
            Type: AWS::SNS::Subscription
            Properties: {{TopicArn: !Ref Topic, Protocol: lambda, Endpoint: !GetAtt BySns.Arn}}
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              NotificationConfiguration:
                LambdaConfigurations:
                  - {{Event: "s3:ObjectCreated:*", Function: !GetAtt ByS3.Arn}}
          Rule:
            Type: AWS::Events::Rule
            Properties:
              ScheduleExpression: rate(1 hour)
              Targets: [{{Id: t, Arn: !Sub "${{ByRule.Arn}}"}}]
          Perm:
            Type: AWS::Lambda::Permission
            Properties: {{Action: lambda:InvokeFunction, FunctionName: !Ref ByPermission, Principal: logs.eu-west-1.amazonaws.com}}
          ApiPerm:
            Type: AWS::Lambda::Permission
            Properties: {{Action: lambda:InvokeFunction, FunctionName: !Ref ByApi, Principal: apigateway.amazonaws.com}}
          Sam:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: a.b
              CodeUri: src/
              Events:
                Nightly: {{Type: Schedule, Properties: {{Schedule: rate(1 day)}}}}
                Http: {{Type: Api, Properties: {{Path: /, Method: get}}}}
        """)
    found = {uid.split("#")[1]: [i.description for i in items] for uid, items in async_invokers(arch).items()}
    assert found == {
        "BySns": ["SNS subscription Sub"],
        "ByS3": ["S3 bucket Bucket"],
        "ByRule": ["EventBridge rule Rule"],  # through Fn::Sub: the graph edge, not the value
        "ByPermission": ["Lambda permission Perm for CloudWatch Logs"],
        "Sam": ["its EventBridge schedule rule event Nightly"],
    }


def test_functions_are_named_through_aliases_and_arns(tmp_path: Path) -> None:
    arch = _arch(tmp_path, f"""
        Resources:
          Api:
            Type: AWS::Lambda::Function
            Properties:
              FunctionName: orders-api
              Runtime: python3.12
              Handler: app.handler
              Role: arn:aws:iam::123456789012:role/app
              Code: {{ZipFile: "pass"}}
          Other: {FN}
          Live:
            Type: AWS::Lambda::Alias
            Properties: {{FunctionName: !Ref Api, FunctionVersion: "1", Name: live}}
        """)
    api, live = _res(arch, "Api"), _res(arch, "Live")
    assert functions_named(arch, live, Ref("Live")) == [api]
    assert functions_named(arch, live, "arn:aws:lambda:eu-west-1:123456789012:function:orders-api:live") == [api]
    assert functions_named(arch, live, "orders-api") == []  # a bare name only where names are expected
    assert functions_named(arch, live, "orders-api", plain=True) == [api]


def test_failure_gaps_follow_dlq_invoke_configs_and_branches(tmp_path: Path) -> None:
    arch = _arch(tmp_path, f"""
        Parameters:
          Stage: {{Type: String}}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        Resources:
          Failures:
            Type: AWS::SQS::Queue
          Bare: {FN}
          WithDlq:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: a.b
              Role: arn:aws:iam::123456789012:role/app
              Code: {{ZipFile: "pass"}}
              DeadLetterConfig: {{TargetArn: !GetAtt Failures.Arn}}
          ProdOnly:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: a.b
              Role: arn:aws:iam::123456789012:role/app
              Code: {{ZipFile: "pass"}}
              DeadLetterConfig: !If [IsProd, {{TargetArn: !GetAtt Failures.Arn}}, !Ref AWS::NoValue]
          Configured: {FN}
          Config:
            Type: AWS::Lambda::EventInvokeConfig
            Properties:
              FunctionName: !Ref Configured
              Qualifier: $LATEST
              DestinationConfig: {{OnFailure: {{Destination: !GetAtt Failures.Arn}}}}
        """)
    assert failure_gaps(arch, _res(arch, "Bare")) == [None]
    assert failure_gaps(arch, _res(arch, "WithDlq")) == []
    assert failure_gaps(arch, _res(arch, "ProdOnly")) == ["condition IsProd false"]
    assert failure_gaps(arch, _res(arch, "Configured")) == []


def test_dead_letter_queues_by_every_route(tmp_path: Path) -> None:
    arch = _arch(tmp_path, f"""
        Resources:
          Work:
            Type: AWS::SQS::Queue
            Properties:
              RedrivePolicy: {{deadLetterTargetArn: !GetAtt WorkFailed.Arn, maxReceiveCount: 3}}
          WorkFailed:
            Type: AWS::SQS::Queue
          LambdaFailures:
            Type: AWS::SQS::Queue
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: a.b
              Role: arn:aws:iam::123456789012:role/app
              Code: {{ZipFile: "pass"}}
              DeadLetterConfig: {{TargetArn: !GetAtt LambdaFailures.Arn}}
          ByName:
            Type: AWS::SQS::Queue
            Properties: {{QueueName: billing-dlq}}
          ByArn:
            Type: AWS::SQS::Queue
            Properties: {{QueueName: exports-failed}}
          Exports:
            Type: AWS::SQS::Queue
            Properties:
              RedrivePolicy: {{deadLetterTargetArn: "arn:aws:sqs:eu-west-1:123456789012:exports-failed", maxReceiveCount: 3}}
          Allowing:
            Type: AWS::SQS::Queue
            Properties:
              RedriveAllowPolicy: {{redrivePermission: allowAll}}
          Denying:
            Type: AWS::SQS::Queue
            Properties:
              RedriveAllowPolicy: {{redrivePermission: denyAll}}
        """)
    dlqs = {uid.split("#")[1] for uid in dead_letter_queues(arch)}
    assert dlqs == {"WorkFailed", "LambdaFailures", "ByName", "ByArn", "Allowing"}
    assert redrive_gaps(arch, _res(arch, "Work")) == []
    assert redrive_gaps(arch, _res(arch, "Denying")) == [None]


def test_stream_mappings_only_for_streams(tmp_path: Path) -> None:
    arch = _arch(tmp_path, f"""
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          Source: {{Type: String}}
        Resources:
          Fn: {FN}
          Stream:
            Type: AWS::Kinesis::Stream
            Properties: {{ShardCount: 1}}
          Table:
            Type: AWS::DynamoDB::Table
            Properties:
              BillingMode: PAY_PER_REQUEST
              AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
              KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
              StreamSpecification: {{StreamViewType: NEW_IMAGE}}
          Queue:
            Type: AWS::SQS::Queue
          FromStream:
            Type: AWS::Lambda::EventSourceMapping
            Properties: {{FunctionName: !Ref Fn, EventSourceArn: !GetAtt Stream.Arn, StartingPosition: LATEST}}
          FromTable:
            Type: AWS::Lambda::EventSourceMapping
            Properties:
              FunctionName: !Ref Fn
              EventSourceArn: !GetAtt Table.StreamArn
              StartingPosition: LATEST
              DestinationConfig: {{OnFailure: {{Destination: !GetAtt Queue.Arn}}}}
          FromQueue:
            Type: AWS::Lambda::EventSourceMapping
            Properties: {{FunctionName: !Ref Fn, EventSourceArn: !GetAtt Queue.Arn}}
          FromUnknown:
            Type: AWS::Lambda::EventSourceMapping
            Properties: {{FunctionName: !Ref Fn, EventSourceArn: !Ref Source, StartingPosition: LATEST}}
          Sam:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: a.b
              CodeUri: src/
              Events:
                Changes: {{Type: DynamoDB, Properties: {{Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST}}}}
        """)
    found = {(m.name, m.stream, m.missing) for m in stream_mappings(arch)}
    assert found == {("FromStream", "Kinesis stream", (None,)), ("FromTable", "DynamoDB stream", ()),
                     ("Sam event Changes", "DynamoDB stream", (None,))}


def test_terraform_wiring_and_repeated_blocks(tmp_path: Path) -> None:
    arch = _arch(tmp_path, """
        resource "aws_sqs_queue" "work" {
          name = "work"
          redrive_policy = jsonencode({
            deadLetterTargetArn = aws_sqs_queue.failed.arn
            maxReceiveCount     = 3
          })
        }
        resource "aws_sqs_queue" "failed" {
          name = "failed"
        }
        resource "aws_lambda_function" "fn" {
          function_name = "fn"
          role          = "arn:aws:iam::123456789012:role/fn"
          handler       = "a.b"
          runtime       = "python3.12"
          filename      = "fn.zip"
        }
        resource "aws_lambda_function_event_invoke_config" "fn" {
          function_name = aws_lambda_function.fn.function_name
          destination_config {
            on_success {
              destination = aws_sqs_queue.success.arn
            }
          }
        }
        resource "aws_sqs_queue" "success" {
          name = "success"
        }
        """, "mod/main.tf")
    dlqs = {uid.split("#")[1] for uid in dead_letter_queues(arch)}
    assert dlqs == {"aws_sqs_queue.failed"}  # an on-success destination is not a DLQ
    fn = _res(arch, "aws_lambda_function.fn")
    assert [i.description for i in async_invokers(arch)[fn.uid]] == ["event-invoke config aws_lambda_function_event_invoke_config.fn"]
    assert failure_gaps(arch, fn) == [None]
    assert missing_branches(_res(arch, "aws_lambda_function_event_invoke_config.fn"), "on_failure") == [None]


def test_a_written_dynamic_dead_letter_block_the_properties_lack_may_exist(tmp_path: Path) -> None:
    """meta.dynamic_blocks lists a resource's own dynamic blocks as written (not those nested in
    a block). One the resolved properties have no value for (here: no content to expand) may
    add the dead-letter config: no gap is claimed; without it the gap is."""
    arch = _arch(tmp_path, """
        resource "aws_lambda_function" "shapeless" {
          function_name = "shapeless"
          dynamic "dead_letter_config" {
            for_each = ["arn:aws:sqs:eu-west-1:123456789012:failed"]
          }
          vpc_config {
            dynamic "subnet" {
              for_each = []
              content {}
            }
          }
        }
        resource "aws_lambda_function" "plain" {
          function_name = "plain"
        }
        """, "mod/main.tf")
    shapeless, plain = _res(arch, "aws_lambda_function.shapeless"), _res(arch, "aws_lambda_function.plain")
    assert shapeless.meta.dynamic_blocks == ("dead_letter_config",) and plain.meta.dynamic_blocks == ()
    assert "dead_letter_config" not in shapeless.props
    assert failure_gaps(arch, shapeless) == [] and failure_gaps(arch, plain) == [None]


def test_terraform_dead_letter_queues_by_allow_policy_and_module_name(tmp_path: Path) -> None:
    (tmp_path / "mod" / "queue").mkdir(parents=True)
    (tmp_path / "mod" / "queue" / "main.tf").write_text(textwrap.dedent("""
        variable "name" {
          type = string
        }
        resource "aws_sqs_queue" "this" {
          name = "${var.name}-${uuid()}"
        }
        """))
    arch = _arch(tmp_path, """
        resource "aws_sqs_queue" "orders" {
          name = "orders"
        }
        resource "aws_sqs_queue" "orders_failed" {
          name = "orders-failed"
        }
        resource "aws_sqs_queue_redrive_allow_policy" "orders_failed" {
          queue_url = aws_sqs_queue.orders_failed.id
          redrive_allow_policy = jsonencode({
            redrivePermission = "byQueue",
            sourceQueueArns   = [aws_sqs_queue.orders.arn]
          })
        }
        resource "aws_sqs_queue" "locked" {
          name                 = "locked"
          redrive_allow_policy = jsonencode({ redrivePermission = "denyAll" })
        }
        module "billing_dlq" {
          source = "./queue"
          name   = "billing"
        }
        module "billing" {
          source = "./queue"
          name   = "billing"
        }
        """, "mod/main.tf")
    dlqs = {uid.split("#")[1] for uid in dead_letter_queues(arch)}
    # orders_failed: its allow policy names source queues known only after apply (unknown is not
    # reported); module.billing_dlq: the call is named for a dead-letter queue.
    assert dlqs == {"aws_sqs_queue.orders_failed", "module.billing_dlq.aws_sqs_queue.this"}


def test_stream_mapping_points_at_its_destination_or_itself(tmp_path: Path) -> None:
    arch = _arch(tmp_path, f"""
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn: {FN}
          Stream:
            Type: AWS::Kinesis::Stream
            Properties: {{ShardCount: 1}}
          Bare:
            Type: AWS::Lambda::EventSourceMapping
            Properties:
              FunctionName: !Ref Fn
              EventSourceArn: !GetAtt Stream.Arn
              StartingPosition: LATEST
          Empty:
            Type: AWS::Lambda::EventSourceMapping
            Properties:
              FunctionName: !Ref Fn
              EventSourceArn: !GetAtt Stream.Arn
              StartingPosition: LATEST
              DestinationConfig:
                OnFailure: {{}}
          Sam:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: a.b
              CodeUri: src/
              Events:
                Clicks:
                  Type: Kinesis
                  Properties: {{Stream: !GetAtt Stream.Arn, StartingPosition: LATEST}}
        """)
    lines = {m.name: (m.line, m.missing) for m in stream_mappings(arch)}
    assert lines == {
        "Bare": (_res(arch, "Bare").line, (None,)),  # nothing of the destination written: the mapping
        "Empty": (_res(arch, "Empty").lines["DestinationConfig.OnFailure"], (None,)),
        "Sam event Clicks": (_res(arch, "Sam").lines["Events.Clicks"], (None,)),
    }
