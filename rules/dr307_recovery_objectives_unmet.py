from ha_lint.engine import Rule
from ha_lint.queries.dr import context, dr_posture, significant_workloads, workload_label
from ha_lint.resilience.assumptions import table
from ha_lint.resilience.model import build, targets_of


class RecoveryObjectivesUnmet(Rule):
    id = "DR307"
    name = "recovery-objectives-unmet"
    severity = "high"
    since = "0.1.0"
    summary = "Declared RTO/RPO/DR strategy targets that the detected recovery posture cannot meet."
    tags = ("dr", "rto", "rpo")
    docs = """
    ## What it does
    Compares the recovery objectives declared for a workload with what its templates can
    deliver, and reports each objective that is missed (once per workload and objective,
    on the template or the root module's `main.tf`):
    - **RTO**: the estimated recovery time of the worst failure scenario (the loss of an AZ
      the workload uses, or of its Region) is above the target;
    - **RPO**: the estimated data loss of the worst scenario is above the target;
    - **strategy**: the declared DR strategy (backup and restore < pilot light < warm
      standby < multi-site) is stronger than the one the templates implement.
    Targets come from the template's `Metadata: {ha-lint: {targets: {rto, rpo, strategy}}}`,
    from tags on a resource of the workload (`ha-lint:rto`, `ha-lint:rpo`,
    `ha-lint:dr-strategy`: Terraform has no template metadata), else from the configuration
    file's `targets:` (or `--dr-strategy`). The estimates are those of `ha-lint resilience`,
    which shows every scenario; the assumption table (with its AWS sources) is in
    `docs/resilience.md` and can be overridden in the configuration (`assumptions:`).
    The model reads the DR posture DR304 and DR306 read. A data store that may
    be replicated to another Region (a destination whose Region the templates leave open)
    counts as replicated, so no objective is reported missed on that unknown; the declared
    strategy is missed only when even the strongest strategy the templates may implement
    is weaker. A bucket that receives replication is the copy: losing its Region loses no
    data the source does not keep, and the source does not depend on it.
    The typical (lower) end of an estimated RTO range is compared, so a miss is
    a miss even in a good case; a Region loss counts, so a single-Region workload cannot
    meet a 15-minute RTO whatever its Multi-AZ posture.

    ## Why it matters
    An RTO or RPO that the architecture cannot deliver is found out during the outage.
    RPO 5 minutes with daily snapshots loses up to a day of data; RTO 15 minutes with
    backup and restore only takes hours (REL 13: define recovery objectives and use a
    recovery strategy that meets them).

    ## Example
    ```yaml
    Metadata:
      ha-lint:
        targets: {rto: 15m, rpo: 5m}
    Resources:
      Orders:
        Type: AWS::DynamoDB::Table
        Properties:
          BillingMode: PAY_PER_REQUEST
          AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
          KeySchema: [{AttributeName: id, KeyType: HASH}]
          PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
    ```
    ```hcl
    provider "aws" {
      region = "eu-west-1"
    }

    resource "aws_dynamodb_table" "orders" {
      name         = "orders"
      billing_mode = "PAY_PER_REQUEST"
      hash_key     = "id"
      attribute {
        name = "id"
        type = "S"
      }
      point_in_time_recovery {
        enabled = true
      }
      tags = { "ha-lint:rto" = "15m", "ha-lint:rpo" = "5m" }
    }
    ```

    ## Use instead
    ```yaml
    Orders:
      Type: AWS::DynamoDB::GlobalTable   # a replica in a second Region
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
        Replicas:
          - {Region: eu-west-1, PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}}
          - {Region: eu-central-1, PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}}
    ```
    ```hcl
    stream_enabled   = true
    stream_view_type = "NEW_AND_OLD_IMAGES"
    replica {   # a replica in a second Region
      region_name = "eu-central-1"
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 13 (plan for disaster recovery: define RTO and RPO)
    - Whitepaper: Disaster Recovery of Workloads on AWS
    - Equivalent: none in Checkov/Trivy/KICS
    """

    def check(self, arch):
        ctx = context(arch)
        assumptions = table(arch.options.extra.get("assumptions"))
        for workload in significant_workloads(arch):
            resources = ctx.resources.get(workload.id, [])
            if not targets_of(arch, workload, resources).declared:
                continue
            model = build(arch, workload, resources, dr_posture(arch, workload.id, ctx), assumptions)
            for miss in model.misses:
                yield self.workload_finding(workload, f"{workload_label(workload)}: {miss.message} Run `ha-lint "
                                            "resilience` for every scenario; add the recovery mechanisms the target "
                                            "needs, or declare the objectives the design delivers.",
                                            detail=miss.objective)
