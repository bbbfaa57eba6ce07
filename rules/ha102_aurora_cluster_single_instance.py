from ha_lint.engine import Rule
from ha_lint.queries.az import azs_spanned, cluster_members, is_aurora_cluster
from ha_lint.values import possibilities, when
from ha_lint.wording import spelled, subject


class AuroraClusterSingleInstance(Rule):
    id = "HA102"
    name = "aurora-cluster-single-instance"
    severity = "high"
    since = "0.1.0"
    summary = "Aurora cluster with fewer than two instances, or all of them pinned to one AZ: no reader to fail over to."
    tags = ("availability", "aurora", "rds")
    docs = """
    ## What it does
    Flags an Aurora `AWS::RDS::DBCluster` / `aws_rds_cluster` that has fewer than two member
    instances in the scanned set (`AWS::RDS::DBInstance` with `DBClusterIdentifier`,
    `aws_rds_cluster_instance` with `cluster_identifier`, by reference or by the cluster's
    identifier; `count`/`for_each` expanded), or whose members are all pinned to the same
    AZ (`AvailabilityZone`). Members created on an undecided condition are counted in the
    branch where they exist; members whose number is unknown (an unresolved `count`) are
    given the benefit of the doubt, and so is a cluster handed to a nested stack.
    Not flagged: Aurora Serverless v1 (`EngineMode: serverless`: AWS keeps the capacity
    Multi-AZ), Multi-AZ DB clusters (`DBClusterInstanceClass`: their instances are created
    by the cluster), Aurora Limitless clusters (`ClusterScalabilityType: limitless`: compute is
    the shard group), and a headless secondary cluster of a global database (a cluster with
    `GlobalClusterIdentifier` and no instances). Aurora Replica auto scaling
    (`rds:cluster:ReadReplicaCount` scalable target on the cluster) counts its minimum
    capacity as members. A member created on the same CloudFormation condition as its cluster
    exists whenever the cluster does, so it counts as certain. When `EngineMode` depends on a
    condition, the finding names the provisioned branch. A cluster whose engine is not
    resolvable is not flagged; a Terraform `aws_rds_cluster` without `engine` is Aurora
    (the provider's default before v5.0, which made `engine` required).

    ## Why it matters
    Aurora keeps six copies of the data across three AZs, but compute is the instances: with
    one instance, a host or AZ failure leaves the cluster without a writer until Aurora
    recreates it (about 10 minutes). With a reader in another AZ, Aurora promotes it in
    about 30 seconds (high availability, REL 10 / REL 11).

    ## Example
    ```yaml
    Cluster:
      Type: AWS::RDS::DBCluster
      Properties:
        Engine: aurora-postgresql
    Writer:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: aurora-postgresql
        DBClusterIdentifier: !Ref Cluster
        DBInstanceClass: db.r6g.large
    ```
    ```hcl
    resource "aws_rds_cluster" "main" {
      engine = "aurora-postgresql"
    }
    resource "aws_rds_cluster_instance" "main" {
      count              = 1
      cluster_identifier = aws_rds_cluster.main.id
      instance_class     = "db.r6g.large"
      engine             = aws_rds_cluster.main.engine
    }
    ```

    ## Use instead
    ```yaml
    Reader:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: aurora-postgresql
        DBClusterIdentifier: !Ref Cluster
        DBInstanceClass: db.r6g.large
    ```
    ```hcl
      count = 2
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Amazon Aurora User Guide: High availability for Amazon Aurora (Aurora Replicas as failover targets)
    - Equivalent: AWS Security Hub RDS.15 (DB clusters configured for multiple AZs), AWS Config rds-cluster-multi-az-enabled
    """

    def check(self, arch):
        for cluster in arch.of_kind("rds_cluster"):
            if not is_aurora_cluster(cluster) or cluster.has("cluster_instance_class"):
                continue
            provisioned = [label for label, mode in possibilities(cluster.get("engine_mode").value)
                           if not (isinstance(mode, str) and mode.lower() == "serverless")]
            if not provisioned:
                continue  # Aurora Serverless v1: AWS keeps the capacity Multi-AZ
            mode_branch = None if None in provisioned else ", ".join(provisioned)  # serverless in the others
            if cluster.get("scalability_type").value == "limitless":
                continue  # Aurora Limitless: compute lives in the shard group, not in instances
            members = cluster_members(arch, cluster)
            low, high = members.count_range
            if high is None or (high == 0 and cluster.has("global_cluster")):
                continue  # more members may exist; or a headless secondary of a global database
            if low < 2:
                names = ", ".join(sorted({c for _, c in members.conditional}))
                branch = f" when condition {names} is false" if high >= 2 else ""
                listed = f" ({', '.join(m.address for m in members.certain)})" if members.certain else ""
                what = ("no instance in the scanned set" if low == 0 else f"1 instance in the scanned set{listed}")
                yield self.finding(
                    cluster,
                    f"{subject(cluster)} has {what}{branch}{when(mode_branch)}: "
                    f"{'no writer, and ' if low == 0 else ''}no reader to promote when the writer's host or "
                    "Availability Zone fails. Add a reader instance in another AZ.",
                    detail=f"instances{':' + names if branch else ''}", branch=mode_branch,
                )
                continue
            for span in azs_spanned(arch, cluster):
                if span.single_az:
                    yield self.finding(
                        cluster,
                        f"{subject(cluster)} has {span.describe()}{when(mode_branch)}: every instance "
                        "is pinned to one Availability Zone, so an AZ outage takes them all down. Place a reader in "
                        f"another AZ (or leave {spelled(cluster, 'AvailabilityZone', 'availability_zone')} unset).",
                        detail="availability_zone",
                    )
