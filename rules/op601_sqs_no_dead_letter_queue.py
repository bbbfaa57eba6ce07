from ha_lint.engine import Rule
from ha_lint.queries.events import dead_letter_queues, redrive_gaps, why_missing
from ha_lint.values import when
from ha_lint.wording import spelled, subject


class SqsNoDeadLetterQueue(Rule):
    id = "OP601"
    name = "sqs-no-dead-letter-queue"
    severity = "medium"
    since = "0.1.0"
    summary = "SQS queue without a redrive policy: a message that always fails is retried until it expires."
    tags = ("operations", "async", "sqs")
    docs = """
    ## What it does
    Flags an `AWS::SQS::Queue` / `aws_sqs_queue` with no redrive policy (`RedrivePolicy`,
    `redrive_policy`, or a separate `aws_sqs_queue_redrive_policy`), in every branch where
    it is absent. Not flagged: a queue that is itself a dead-letter queue, i.e. the target
    of another queue's redrive policy, of a Lambda `DeadLetterConfig` / SAM
    `DeadLetterQueue`, of an on-failure destination (event-invoke config, event source
    mapping), of an SNS subscription's or EventBridge target's dead-letter config; a queue
    whose redrive-allow policy (inline or `aws_sqs_queue_redrive_allow_policy`) admits
    source queues (`byQueue`, `allowAll`), or cannot be read (a `jsonencode` of source
    queue ARNs known only after apply: unknown is not reported). FIFO queues are checked
    like the others (their dead-letter queue must be FIFO too).

    A queue whose name, logical ID or enclosing module call says it is a
    dead-letter queue (`dlq`, `DeadLetter`: `orders-dlq`, `module.billing_dlq`) is taken as
    one even when its sources are outside the scanned set (another stack, another root
    module, a module output the graph does not follow): giving a DLQ its own DLQ is not
    what its author wants. An on-success destination queue is not a dead-letter queue.

    ## Why it matters
    Without a dead-letter queue, a poison message is received, fails and returns to the
    queue again and again until the retention period (4 days by default) deletes it: the
    consumer wastes capacity on it, and the failed work is lost without trace. A DLQ keeps
    failed messages for inspection and redrive (fault tolerance, REL 11).

    ## Example
    ```yaml
    OrdersQueue:
      Type: AWS::SQS::Queue
      Properties:
        VisibilityTimeout: 60
    ```
    ```hcl
    resource "aws_sqs_queue" "orders" {
      name = "orders"
    }
    ```

    ## Use instead
    ```yaml
    OrdersQueue:
      Type: AWS::SQS::Queue
      Properties:
        RedrivePolicy:
          deadLetterTargetArn: !GetAtt OrdersDlq.Arn
          maxReceiveCount: 5
    OrdersDlq:
      Type: AWS::SQS::Queue
    ```
    ```hcl
    resource "aws_sqs_queue" "orders" {
      name = "orders"
      redrive_policy = jsonencode({
        deadLetterTargetArn = aws_sqs_queue.orders_dlq.arn
        maxReceiveCount     = 5
      })
    }
    resource "aws_sqs_queue" "orders_dlq" {
      name = "orders-dlq"
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 11 (withstand component failures); Amazon SQS Developer Guide: dead-letter queues
    - Equivalent: KICS "SQS Queue Without Dead Letter Queue" (no Checkov/Trivy check)
    """

    def check(self, arch):
        dlqs = dead_letter_queues(arch)
        for queue in arch.of_kind("sqs_queue"):
            if queue.uid in dlqs:
                continue
            for branch in redrive_gaps(arch, queue):
                yield self.finding(
                    queue,
                    f"{subject(queue)} has no redrive policy{why_missing(queue, 'redrive_policy')}{when(branch)}: a message that keeps failing "
                    "is retried until it expires and is then lost. Add a dead-letter queue ("
                    + spelled(queue, "a RedrivePolicy", "a redrive_policy or an aws_sqs_queue_redrive_policy")
                    + " with a deadLetterTargetArn and a maxReceiveCount).",
                    prop="redrive_policy", detail="redrive_policy", branch=branch,
                )
