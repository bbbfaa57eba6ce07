from ha_lint.engine import Rule
from ha_lint.queries.iam import log_access
from ha_lint.wording import subject


class LambdaNoLogPermission(Rule):
    id = "OP606"
    name = "lambda-no-log-permission"
    severity = "low"
    since = "0.1.0"
    summary = "Lambda function whose execution role cannot write CloudWatch Logs."
    tags = ("operations", "lambda", "logging", "iam")
    docs = """
    ## What it does
    Flags a Lambda function whose execution role, defined in the scanned set, allows neither
    or only one of `logs:CreateLogStream` and `logs:PutLogEvents`: through its inline
    policies, policies attached to it (`AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy`,
    `AWS::IAM::RolePolicy`, `aws_iam_role_policy`, `aws_iam_role_policy_attachment`,
    `aws_iam_policy_attachment`), customer managed policies of the scanned set, or AWS
    managed policies that do (`AWSLambdaBasicExecutionRole`,
    `AWSLambdaVPCAccessExecutionRole`, `AWSLambdaSQSQueueExecutionRole`,
    `AWSLambdaKinesisExecutionRole`, `AWSLambdaDynamoDBExecutionRole`,
    `AWSLambdaMSKExecutionRole`, `CloudWatchLogsFullAccess`, `AdministratorAccess`, ...).
    Wildcards (`logs:*`, `logs:Put*`, `*`) and `NotAction` are honoured; statement
    conditions and resources are not evaluated. Terraform `aws_iam_policy_document` data
    sources are read as the policy they render (unless they merge other documents or build
    statements dynamically). An explicit `Deny` without a condition on `"*"` removes what
    the allows grant.

    The actions decide, not the resources: a policy written with `jsonencode({...})` whose
    `Resource` is known only after apply (`aws_dynamodb_table.t.arn`) is read, and so is a
    statement under `Fn::If`: it grants surely what every branch grants (a branch with
    `AWS::NoValue` grants nothing).

    Not flagged: SAM functions without `Role` (SAM generates a role with
    AWSLambdaBasicExecutionRole); roles outside the scanned set; roles where a part that
    cannot be read may grant a missing logs action (a policy document that merges other
    documents, an ARN built from `${AWS::Partition}`, a customer managed policy defined
    elsewhere, an action list from a parameter or variable, a condition branch that grants
    them). AWS managed policies not known to grant log writes are taken to grant
    none.

    ## Why it matters
    Without these permissions the function runs but writes no logs: when it fails there is
    nothing to diagnose from, and metric filters and alarms on its log group never fire.
    Recovery starts blind (REL 6, monitor workload resources).

    ## Example
    ```yaml
    WorkerRole:
      Type: AWS::IAM::Role
      Properties:
        AssumeRolePolicyDocument: {...}
        Policies:
          - PolicyName: s3
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Action: s3:GetObject
                  Resource: "*"
    Worker:
      Type: AWS::Lambda::Function
      Properties:
        Role: !GetAtt WorkerRole.Arn
    ```
    ```hcl
    resource "aws_iam_role" "worker" {
      name = "worker"
      assume_role_policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
      })
      inline_policy {   # only an S3 policy
        name = "s3"
        policy = jsonencode({
          Version   = "2012-10-17"
          Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
        })
      }
    }

    resource "aws_lambda_function" "worker" {
      function_name = "worker"
      role          = aws_iam_role.worker.arn
    }
    ```

    ## Use instead
    ```yaml
        ManagedPolicyArns:
          - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
    ```
    ```hcl
    resource "aws_iam_role_policy_attachment" "worker_logs" {
      role       = aws_iam_role.worker.name
      policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 6 (monitor workload resources); AWS Lambda Developer Guide: execution role
    - Equivalent: none in Checkov or Trivy
    """

    def check(self, arch):
        for fn in arch.of_kind("lambda_function"):
            access = log_access(arch, fn)
            if not access.known or not access.missing or access.role is None:
                continue
            lacks = (f"grants neither {' nor '.join(access.missing)}" if len(access.missing) > 1
                     else f"does not grant {access.missing[0]}")
            yield self.finding(
                fn,
                f"{subject(fn)} runs as role {access.role.address}, which {lacks}: the function "
                "writes no logs. Attach "
                "AWSLambdaBasicExecutionRole or allow logs:CreateLogStream and logs:PutLogEvents.",
                prop="role", detail="logs",
            )
