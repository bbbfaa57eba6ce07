from ha_lint.engine import Rule
from ha_lint.queries.az import azs_spanned
from ha_lint.values import when
from ha_lint.wording import subject


class LambdaVpcSingleAz(Rule):
    id = "HA115"
    name = "lambda-vpc-single-az"
    severity = "low"
    since = "0.1.0"
    summary = "Lambda function attached to a VPC through subnets of one Availability Zone."
    tags = ("availability", "lambda")
    docs = """
    ## What it does
    Flags a Lambda function (`AWS::Lambda::Function`, SAM `AWS::Serverless::Function`, with
    SAM `Globals` applied, and `aws_lambda_function`) whose `VpcConfig.SubnetIds` /
    `vpc_config { subnet_ids }` resolve to fewer than two distinct AZs: one subnet, or subnets
    all in the same known AZ. Functions outside a VPC (no subnets, or an empty list) are not
    flagged.

    ## Why it matters
    Outside a VPC, Lambda runs in several AZs for you. Inside a VPC it can only run where its
    subnets are: with one AZ, an AZ outage stops every invocation that needs a network
    interface there (REL 10, fault isolation).

    ## Example
    ```yaml
    Worker:
      Type: AWS::Serverless::Function
      Properties:
        Runtime: python3.12
        Handler: app.handler
        VpcConfig:
          SecurityGroupIds: [!Ref WorkerSg]
          SubnetIds: [!Ref PrivateSubnetA]
    ```
    ```hcl
    resource "aws_lambda_function" "worker" {
      vpc_config {
        security_group_ids = [aws_security_group.worker.id]
        subnet_ids         = [aws_subnet.private_a.id]
      }
    }
    ```

    ## Use instead
    ```yaml
          SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
    ```
    ```hcl
        subnet_ids = [aws_subnet.private_a.id, aws_subnet.private_b.id]
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (use fault isolation: deploy to multiple locations)
    - AWS Lambda Developer Guide: Connecting functions to a VPC (choose subnets in multiple AZs)
    - Equivalent: AWS Security Hub Lambda.5, AWS Config lambda-vpc-multi-az-check
    """

    def check(self, arch):
        for fn in arch.of_kind("lambda_function"):
            for span in azs_spanned(arch, fn):
                if span.single_az:
                    yield self.finding(
                        fn,
                        f"{subject(fn)} runs in a VPC through {span.describe()}{when(span.branch)}: "
                        "an outage of that Availability Zone stops it. List subnets in at least two AZs.",
                        line=fn.line_of(span.prop), detail=span.detail,
                    )
