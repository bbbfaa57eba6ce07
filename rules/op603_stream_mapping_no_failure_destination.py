from ha_lint.engine import Rule
from ha_lint.queries.events import stream_mappings
from ha_lint.values import when
from ha_lint.wording import spelled, subject


def _opening(mapping):
    """The mapping, or the SAM function and the name of its stream event."""
    if mapping.name == mapping.owner.address:
        return subject(mapping.owner)
    return f"{subject(mapping.owner)} event `{mapping.name.rpartition(' event ')[2]}`"


class StreamMappingNoFailureDestination(Rule):
    id = "OP603"
    name = "stream-mapping-no-failure-destination"
    severity = "medium"
    since = "0.1.0"
    summary = "Lambda event source mapping from Kinesis or DynamoDB Streams without an on-failure destination."
    tags = ("operations", "async", "lambda", "streams")
    docs = """
    ## What it does
    Flags an `AWS::Lambda::EventSourceMapping` / `aws_lambda_event_source_mapping` whose
    source is a Kinesis stream (or stream consumer) or a DynamoDB stream, and a SAM
    function's `Kinesis` / `DynamoDB` event, with no on-failure destination
    (`DestinationConfig.OnFailure`, `destination_config { on_failure {} }`). The source is
    known from a reference to the stream or table, or from a literal ARN; an unresolved
    source is not reported. SQS, Kafka and MQ mappings are not streams and are not flagged.
    The finding points at the part of `DestinationConfig` that is written (an empty
    `OnFailure`), else at the mapping itself, or at the SAM event.

    ## Why it matters
    Lambda reads a shard in order. When a batch keeps failing, Lambda retries it until the
    records expire (24 hours by default for Kinesis and DynamoDB Streams), and the whole
    shard stops behind it; with `MaximumRetryAttempts` or `MaximumRecordAgeInSeconds` set,
    the batch is skipped instead, and without an on-failure destination nothing records
    what was dropped (fault tolerance, REL 11).

    ## Example
    ```yaml
    Mapping:
      Type: AWS::Lambda::EventSourceMapping
      Properties:
        FunctionName: !Ref Processor
        EventSourceArn: !GetAtt ClickStream.Arn
        StartingPosition: LATEST
    ClickStream:
      Type: AWS::Kinesis::Stream
      Properties:
        ShardCount: 1
    ```
    ```hcl
    resource "aws_lambda_event_source_mapping" "clicks" {
      function_name     = aws_lambda_function.processor.arn
      event_source_arn  = aws_kinesis_stream.clicks.arn
      starting_position = "LATEST"
    }

    resource "aws_kinesis_stream" "clicks" {
      name        = "clicks"
      shard_count = 1
    }
    ```

    ## Use instead
    ```yaml
        MaximumRetryAttempts: 3
        BisectBatchOnFunctionError: true
        DestinationConfig:
          OnFailure:
            Destination: !GetAtt ClickFailures.Arn
    ```
    ```hcl
      maximum_retry_attempts         = 3
      bisect_batch_on_function_error = true
      destination_config {
        on_failure {
          destination_arn = aws_sqs_queue.click_failures.arn
        }
      }
    ```

    ## References
    - AWS Well-Architected Reliability REL 11 (withstand component failures); AWS Lambda Developer Guide: Kinesis / DynamoDB error handling
    - Equivalent: none in Checkov or Trivy
    """

    def check(self, arch):
        for mapping in stream_mappings(arch):
            for branch in mapping.missing:
                yield self.finding(
                    mapping.owner,
                    f"{_opening(mapping)} feeds a {mapping.stream} to Lambda with no on-failure destination"
                    f"{when(branch)}: a batch that keeps failing blocks its shard until the records expire, or is "
                    "skipped with no record kept. Add "
                    + spelled(mapping.owner, "DestinationConfig.OnFailure (an SQS queue or SNS topic) and a retry "
                              "limit (MaximumRetryAttempts)",
                              "destination_config { on_failure { destination_arn } } (an SQS queue or SNS topic) "
                              "and a retry limit (maximum_retry_attempts)") + ".",
                    line=mapping.line, detail=f"{mapping.name}:on_failure", branch=branch,
                )
