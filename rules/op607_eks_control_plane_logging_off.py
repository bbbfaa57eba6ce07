from ha_lint.engine import Rule
from ha_lint.values import bad_branches, when
from ha_lint.wording import subject


class EksControlPlaneLoggingOff(Rule):
    id = "OP607"
    name = "eks-control-plane-logging-off"
    severity = "low"
    since = "0.1.0"
    summary = "EKS cluster with no control plane log types enabled."
    tags = ("operations", "eks", "logging")
    docs = """
    ## What it does
    Flags an `AWS::EKS::Cluster` / `aws_eks_cluster` that enables no control plane log
    type: `Logging.ClusterLogging.EnabledTypes` / `enabled_cluster_log_types` absent or
    empty (absent means off in both).

    ## Why it matters
    Control plane logs (api, audit, authenticator, controllerManager, scheduler) are the
    only record of what the Kubernetes API did: why pods were evicted, who deleted a
    deployment, why nodes failed to join. Without them an outage of the cluster's
    workloads is diagnosed blind (REL 6, monitor workload resources).

    ## Example
    ```yaml
    Cluster:
      Type: AWS::EKS::Cluster
      Properties:
        RoleArn: !GetAtt ClusterRole.Arn
        ResourcesVpcConfig:
          SubnetIds: [!Ref SubnetA, !Ref SubnetB]
    ```
    ```hcl
    resource "aws_eks_cluster" "main" {
      name     = "main"
      role_arn = aws_iam_role.cluster.arn
      vpc_config {
        subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
      }
    }
    ```

    ## Use instead
    ```yaml
        Logging:
          ClusterLogging:
            EnabledTypes:
              - Type: api
              - Type: audit
              - Type: authenticator
    ```
    ```hcl
      enabled_cluster_log_types = ["api", "audit", "authenticator"]
    ```

    ## References
    - AWS Well-Architected Reliability REL 6 (monitor workload resources); Amazon EKS User Guide: control plane logging
    - Equivalent: Checkov CKV_AWS_37, Trivy AWS-0038 (eks-enable-control-plane-logging)
    """

    def check(self, arch):
        for cluster in arch.of_kind("eks_cluster"):
            types = cluster.get("log_types")
            for branch in bad_branches(types.value, lambda v: v in (None, [], "") or type(v) is object):
                yield self.finding(
                    cluster,
                    f"{subject(cluster)} enables no control plane log types{types.why()}{when(branch)}: "
                    "API, audit and authenticator activity is not recorded. Enable at least api, audit and "
                    "authenticator logs.",
                    prop="log_types", detail="log_types", branch=branch,
                )
