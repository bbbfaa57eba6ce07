from ha_lint.engine import Rule
from ha_lint.queries.events import async_invokers, failure_gaps, why_missing
from ha_lint.values import when
from ha_lint.wording import spelled, subject


def _failure_advice(fn):
    """Where a dead-letter queue or an on-failure destination is written, in the function's language."""
    if fn.type == "AWS::Serverless::Function":
        return "a DeadLetterQueue, or an EventInvokeConfig with DestinationConfig.OnFailure"
    return spelled(fn, "a DeadLetterConfig, or an AWS::Lambda::EventInvokeConfig with DestinationConfig.OnFailure",
                   "a dead_letter_config block, or an aws_lambda_function_event_invoke_config with "
                   "destination_config { on_failure { destination } }")


class LambdaAsyncNoFailureDestination(Rule):
    id = "OP602"
    name = "lambda-async-no-failure-destination"
    severity = "medium"
    since = "0.1.0"
    summary = "Lambda function invoked asynchronously with no dead-letter queue and no on-failure destination."
    tags = ("operations", "async", "lambda")
    docs = """
    ## What it does
    Flags a Lambda function (`AWS::Lambda::Function`, `AWS::Serverless::Function`,
    `aws_lambda_function`) that is invoked asynchronously and keeps no failed events: no
    dead-letter queue (`DeadLetterConfig`, SAM `DeadLetterQueue`, `dead_letter_config`) and
    no on-failure destination (an `AWS::Lambda::EventInvokeConfig` /
    `aws_lambda_function_event_invoke_config` with `OnFailure`, SAM
    `EventInvokeConfig.DestinationConfig.OnFailure`).

    A function counts as invoked asynchronously when the scanned set wires it to: an SNS
    subscription (separate or inline on the topic), an S3 bucket notification, an
    EventBridge / CloudWatch Events rule target, an EventBridge Scheduler schedule, a
    CloudWatch Logs subscription filter, an IoT rule, an event-invoke config, SAM events of
    those types (`SNS`, `S3`, `EventBridgeRule`, `CloudWatchEvent`, `Schedule`,
    `ScheduleV2`, `CloudWatchLogs`, `IoTRule`; not an `SNS` event with `SqsSubscription`,
    where the function polls a queue), or a Lambda permission for a service that
    only ever invokes asynchronously (SNS, S3, EventBridge, CloudWatch Logs, IoT, SES).
    An EventBridge target's or SNS subscription's own dead-letter config does not
    count: it keeps events the service could not deliver, not events the function failed.
    CloudFormation custom-resource handlers are not counted (the stack operation reports
    their failure). An event-invoke config with no on-failure destination (only retry
    settings or an on-success destination) marks the function as invoked asynchronously
    and keeps nothing that fails. Async settings apply per version or alias: a config whose
    `Qualifier` / `qualifier` names an alias or version (`live`, `3`) does not count when
    nothing in the scanned set invokes the function through one (no alias of it, no SAM
    `AutoPublishAlias`): the unqualified invocations still drop their failures. A Terraform
    `dynamic "dead_letter_config"` whose `for_each` is decided by a ternary (`var.dlq_arn == null ? [] : [...]`) is reported
    for the branch without the block; one whose `for_each` is unknown is not.

    ## Why it matters
    Lambda retries a failed asynchronous invocation twice, then discards the event. Without
    a dead-letter queue or on-failure destination, the failed S3 upload, order event or
    notification is gone with only a log line to show for it: no way to inspect or replay
    it (fault tolerance, REL 11).

    ## Example
    ```yaml
    Handler:
      Type: AWS::Serverless::Function
      Properties:
        Runtime: python3.12
        Handler: app.handler
        CodeUri: src/
        Events:
          Uploads:
            Type: S3
            Properties:
              Bucket: !Ref Uploads
              Events: s3:ObjectCreated:*
    ```
    ```hcl
    resource "aws_lambda_function" "handler" {
      function_name = "handler"
      role          = aws_iam_role.handler.arn
      runtime       = "python3.12"
      handler       = "app.handler"
      filename      = "handler.zip"
    }

    resource "aws_sns_topic_subscription" "orders" {
      topic_arn = aws_sns_topic.orders.arn
      protocol  = "lambda"
      endpoint  = aws_lambda_function.handler.arn
    }
    ```

    ## Use instead
    ```yaml
        DeadLetterQueue:
          Type: SQS
          TargetArn: !GetAtt HandlerDlq.Arn
    ```
    ```hcl
    resource "aws_lambda_function" "handler" {
      function_name = "handler"
      role          = aws_iam_role.handler.arn
      runtime       = "python3.12"
      handler       = "app.handler"
      filename      = "handler.zip"
      dead_letter_config {
        target_arn = aws_sqs_queue.handler_dlq.arn
      }
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 11 (withstand component failures); AWS Lambda Developer Guide: asynchronous invocation, destinations
    - Equivalent: Checkov CKV_AWS_116 (every function; this rule only asynchronously invoked ones)
    """

    def check(self, arch):
        invokers = async_invokers(arch)
        for fn in arch.of_kind("lambda_function"):
            if fn.uid not in invokers:
                continue
            by = invokers[fn.uid][0]
            for branch in failure_gaps(arch, fn):
                yield self.finding(
                    fn,
                    f"{subject(fn)} is invoked asynchronously ({by.description}, {by.via.file}:{by.line}) "
                    f"but has no dead-letter queue and no on-failure destination{why_missing(fn, 'dead_letter_target')}{when(branch)}: events that still fail "
                    f"after Lambda's two retries are discarded. Add {_failure_advice(fn)}.",
                    prop="dead_letter_target", detail=f"async:{branch or ''}",
                )
