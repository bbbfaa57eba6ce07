from ha_lint.engine import Rule
from ha_lint.queries.az import azs_spanned
from ha_lint.values import Ref, as_int, as_list, bad_branches, when
from ha_lint.wording import plural, subject

_LAUNCH_TEMPLATE_TYPES = ("AWS::EC2::LaunchTemplate", "aws_launch_template")
_PLACEMENT_GROUP_TYPES = ("AWS::EC2::PlacementGroup", "aws_placement_group")


def cluster_placement_group(arch, group):
    """The placement group of strategy ``cluster`` the node group's launch template puts its
    nodes in (``LaunchTemplateData.Placement.GroupName``, ``placement { group_name }``), by
    reference or by name; None when there is none, or it is not known."""
    for template in arch.targets(group):
        if template.type not in _LAUNCH_TEMPLATE_TYPES:
            continue
        data = template.raw("LaunchTemplateData") if template.source == "cloudformation" else template.props
        placements = as_list(data.get("Placement" if template.source == "cloudformation" else "placement")) \
            if isinstance(data, dict) else []
        for placement in placements:
            name = placement.get("GroupName", placement.get("group_name")) if isinstance(placement, dict) else None
            for candidate in _placement_groups(arch, template, name):
                strategy = candidate.raw("Strategy") if candidate.source == "cloudformation" else candidate.raw("strategy")
                if isinstance(strategy, str) and strategy.lower() == "cluster":
                    return candidate
    return None


def _placement_groups(arch, template, name):
    if isinstance(name, Ref):
        target = arch.resolve_ref(template, name)
        return [target] if target is not None and target.type in _PLACEMENT_GROUP_TYPES else []
    if isinstance(name, str):
        return [g for g in arch.in_workload(template.workload) if g.type in _PLACEMENT_GROUP_TYPES
                and name in (g.raw("GroupName"), g.raw("name"))]
    return []


class EksNodegroupSingleAz(Rule):
    id = "HA113"
    name = "eks-nodegroup-single-az"
    severity = "medium"
    since = "0.1.0"
    summary = "EKS managed node group in subnets of one AZ, or allowed to shrink below two nodes."
    tags = ("availability", "eks")
    docs = """
    ## What it does
    Flags an `AWS::EKS::Nodegroup` / `aws_eks_node_group` whose subnets (`Subnets`,
    `subnet_ids`) resolve to fewer than two AZs (one subnet, or subnets in the same known
    AZ), and, separately, one whose minimum size (`ScalingConfig.MinSize`,
    `scaling_config { min_size }`) is below 2. A node group scaled to zero on
    purpose (minimum and desired size 0, as for GPU or batch pools scaled up on demand) is not
    flagged, as for Auto Scaling groups (HA105); an absent `ScalingConfig` is left to EKS
    and not flagged.

    A node group whose launch template places its nodes in a placement group of strategy
    `cluster` (`LaunchTemplateData.Placement.GroupName`, `placement { group_name }`, by
    reference or by name) must be in one AZ: a cluster placement group cannot span AZs. Its
    single-AZ finding is reported at info severity and states the trade-off (low latency
    between nodes for availability) instead of asking for a second AZ. Spread and partition
    placement groups are no such reason. A severity set for the rule in the configuration
    applies to it too.

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
            placement = cluster_placement_group(arch, group)
            for span in azs_spanned(arch, group):
                if not span.single_az:
                    continue
                if placement is not None:  # one AZ is what a cluster placement group is
                    yield self.finding(
                        group,
                        f"{subject(group)} runs its nodes in {span.describe()}{when(span.branch)}, as "
                        f"its cluster placement group {placement.address} requires: low latency between nodes is "
                        "traded for availability, and an outage of that Availability Zone stops every pod on it. "
                        "Keep workloads that must survive an AZ outage in a node group spread over two AZs.",
                        line=group.line_of(span.prop), detail=span.detail, severity="info",
                    )
                    continue
                yield self.finding(
                    group,
                    f"{subject(group)} runs its nodes in {span.describe()}{when(span.branch)}: an "
                    "outage of that Availability Zone stops every pod on it. Give it subnets in at least two AZs.",
                    line=group.line_of(span.prop), detail=span.detail,
                )
            low, desired = group.get("min_size"), group.get("desired_size")
            if as_int(low.value) == 0 and as_int(desired.value) == 0:
                continue  # scaled to zero on purpose
            for branch in bad_branches(low.value, lambda v: isinstance(as_int(v), int) and as_int(v) < 2):
                yield self.finding(
                    group,
                    f"{subject(group)} may shrink to "
                    f"{plural(as_int(low.value), 'node') if branch is None else 'fewer than 2 nodes'}{low.why()}{when(branch)}: a node failure then stops every pod of the group until a "
                    "replacement joins. Set the minimum size to at least 2.",
                    line=group.line_of("min_size"), detail="min_size", branch=branch,
                )
