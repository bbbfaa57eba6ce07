from ha_lint.engine import Rule
from ha_lint.queries.az import azs_spanned, property_line
from ha_lint.values import as_int, bad_branches, when


class EksNodegroupSingleAz(Rule):
    id = "HA113"
    name = "eks-nodegroup-single-az"
    severity = "medium"
    summary = "EKS managed node group in subnets of one AZ, or allowed to shrink below two nodes."
    tags = ("availability", "eks")
    docs = """
    ## What it does
    Flags an `AWS::EKS::Nodegroup` / `aws_eks_node_group` whose subnets (`Subnets`,
    `subnet_ids`) resolve to fewer than two AZs (one subnet, or subnets in the same known
    AZ), and, separately, one whose minimum size (`ScalingConfig.MinSize`,
    `scaling_config { min_size }`) is below 2. Decision: a node group scaled to zero on
    purpose (minimum and desired size 0, as for GPU or batch pools scaled up on demand) is not
    flagged, as for Auto Scaling groups (HA105); an absent `ScalingConfig` is left to EKS
    and not flagged.

    ## Why it matters
    Pods can only be rescheduled onto nodes that exist. With every node in one AZ, an AZ
    outage takes all the workloads of the node group down; with a minimum of one node, the
    cluster autoscaler may shrink the group to a single node, and its failure stops every
    pod on it until a new node joins (REL 10, fault isolation; REL 11).

    ## Example
    ```yaml
    Workers:
      Type: AWS::EKS::Nodegroup
      Properties:
        ClusterName: !Ref Cluster
        NodeRole: !GetAtt NodeRole.Arn
        Subnets: [!Ref PrivateSubnetA]
        ScalingConfig:
          MinSize: 1
          DesiredSize: 2
          MaxSize: 4
    ```
    ```hcl
    resource "aws_eks_node_group" "workers" {
      cluster_name  = aws_eks_cluster.main.name
      node_role_arn = aws_iam_role.node.arn
      subnet_ids    = [aws_subnet.private_a.id]
      scaling_config {
        min_size     = 1
        desired_size = 2
        max_size     = 4
      }
    }
    ```

    ## Use instead
    ```yaml
        Subnets: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
        ScalingConfig:
          MinSize: 2
    ```
    ```hcl
      subnet_ids = [aws_subnet.private_a.id, aws_subnet.private_b.id]
      scaling_config {
        min_size = 2
      }
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Amazon EKS Best Practices Guide: Reliability (spread nodes across AZs)
    - Equivalent: none known in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for group in arch.of_kind("eks_nodegroup"):
            for span in azs_spanned(arch, group):
                if span.single_az:
                    yield self.finding(
                        group,
                        f"EKS node group {group.address} runs its nodes in {span.describe()}{when(span.branch)}: an "
                        "outage of that Availability Zone stops every pod on it. Give it subnets in at least two AZs.",
                        line=property_line(group, span.prop), detail=span.detail,
                    )
            low, desired = group.get("min_size"), group.get("desired_size")
            if as_int(low.value) == 0 and as_int(desired.value) == 0:
                continue  # scaled to zero on purpose
            for branch in bad_branches(low.value, lambda v: isinstance(as_int(v), int) and as_int(v) < 2):
                yield self.finding(
                    group,
                    f"EKS node group {group.address} may shrink to {low.value if branch is None else 'fewer than 2'} "
                    f"node(s){low.why()}{when(branch)}: a node failure then stops every pod of the group until a "
                    "replacement joins. Set the minimum size to at least 2.",
                    line=property_line(group, "min_size"), detail=f"min_size{':' + branch if branch else ''}",
                )
