from ha_lint.engine import Rule
from ha_lint.queries.dr import context, dr_posture, significant_workloads, workload_label


class WorkloadSingleRegion(Rule):
    id = "DR306"
    name = "workload-single-region"
    severity = "info"
    since = "0.1.0"
    summary = "Workload with no multi-Region failover path; names the DR strategy it implements."
    tags = ("dr", "rto", "multi-region")
    docs = """
    ## What it does
    Reports once per workload (a CloudFormation stack, or a Terraform root module, that
    holds at least one entry point, compute or data resource) that has no multi-Region
    failover path at all: no Route 53 failover or latency records, no Global Accelerator,
    no CloudFront origin group failing over to an origin in another Region, no DynamoDB
    global table, no cross-Region replication of data (S3 replication to another Region,
    RDS cross-Region read replicas, Aurora global databases). Backup
    copies to another Region alone do not make a failover path. The finding names the DR
    strategy the workload implements (none, backup and restore, pilot light, warm standby,
    multi-site active/active) and the evidence for it, and points at the template (or the
    root module's `main.tf`). Backup and restore holds only for the data that is backed up:
    when a data store of the workload has no backup, the message says so ("and none for
    part of its data") and names that store first, since it bounds what can be restored.
    A workload is something that serves or stores. An S3 bucket that only
    receives logs, trails or configuration snapshots is not a data store: one a CloudTrail
    trail, an AWS Config delivery channel, server access logging, load balancer or
    CloudFront access logs, VPC flow logs or WAF logging write to (by reference, or by a
    literal bucket name of the same template), one with the `LogDeliveryWrite` /
    `log-delivery-write` ACL, or one whose bucket policy lets a log-delivery service
    (`cloudtrail.amazonaws.com`, `config.amazonaws.com`, `delivery.logs.amazonaws.com`,
    `logging.s3.amazonaws.com`) write. So a logging stack or an AWS Config recorder is not
    a workload, and a bucket that receives another bucket's replication is the copy, not a
    workload's data (a recovery-Region stack holding only the copy is not reported).
    Likewise a Lambda function that runs only while stacks deploy (invoked by a
    CloudFormation custom resource's `ServiceToken`, an `AWS::CloudFormation::Macro`'s
    `FunctionName` or `aws_lambda_invocation`, and referenced by nothing else that could
    call it: no event source, schedule, alias, permission or SAM `Events`) serves no one
    afterwards and is not compute. A function that only such deploy-time
    functions reference (a macro's function holding the ARN of the custom-resource handler
    it emits) is deploy-time too, so a macro stack is not a workload.
    Failover records whose targets are all resources of the workload in one
    Region (a same-Region "sorry page") are not a Regional failover path; a path whose
    Region cannot be resolved (a replication destination given as a parameter) counts
    as one, so the workload is not reported. Regions are compared as DR304, DR307 and
    `ha-lint resilience` compare them: one CloudFormation stack is one Region; so is one
    provider configuration of a Terraform module (a bucket or replica under
    `provider = aws.replica` is in that provider's Region, another one when both Regions
    are known and differ, maybe another when either is unresolved). A read replica whose
    source is an identifier (`replicate_source_db = aws_db_instance.main.identifier`,
    `SourceDBInstanceIdentifier: !Ref Db` or a literal name) is in the same Region: AWS
    takes a cross-Region source only as an ARN. The finding is info: the text report
    lists it after the defects of its file.

    ## Why it matters
    Multi-AZ protects against the loss of a data center, not of a Region. A workload that
    lives in one Region recovers from a Regional outage only by rebuilding elsewhere from
    backups (RTO of hours, RPO of the last copied backup), or not at all. That may be the
    right trade-off, but it should be a decision: this finding states the posture so the
    RTO/RPO it implies can be compared with what the business needs (REL 10, REL 13).

    ## Example
    ```yaml
    Resources:
      Database:
        Type: AWS::RDS::DBInstance
        Properties:
          Engine: postgres
          MultiAZ: true
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine   = "postgres"
      multi_az = true
    }
    ```

    ## Use instead
    ```yaml
      DrReplica:   # deployed in the recovery Region's stack
        Type: AWS::RDS::DBInstance
        Properties:
          SourceDBInstanceIdentifier: arn:aws:rds:eu-west-1:111122223333:db:main
    ```
    ```hcl
    resource "aws_db_instance" "dr_replica" {
      provider            = aws.recovery_region
      replicate_source_db = aws_db_instance.main.arn
      instance_class      = "db.m6g.large"
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (use fault isolation: multiple locations), REL 13 (plan for disaster recovery)
    - Whitepaper: Disaster Recovery of Workloads on AWS (backup and restore, pilot light, warm standby, multi-site)
    - Equivalent: none in Checkov/Trivy/KICS
    """

    def check(self, arch):
        ctx = context(arch)
        for workload in significant_workloads(arch):
            posture = dr_posture(arch, workload.id, ctx)
            if posture.failover_path is not False:
                continue
            yield self.workload_finding(
                workload,
                f"{workload_label(workload)} has no multi-Region failover path: a Regional outage takes it down until it "
                f"is rebuilt elsewhere. Detected DR strategy: {posture.describe()}. If the business needs a lower "
                "RTO/RPO, add a pilot light or warm standby in a second Region.",
                detail="single_region",
            )
