"""One vocabulary for both languages.

Each ``kind(...)`` entry maps a CloudFormation type and a Terraform type to one resource
kind, and their property names to one set of names. Rules read ``db.get("multi_az")``;
this table says that is ``MultiAZ`` in CloudFormation and ``multi_az`` in Terraform, and
what AWS does when it is absent. Paths are dotted (``VpcConfig.SubnetIds``); Terraform
nested blocks are walked through transparently (``vpc_config.subnet_ids``).

Adding Terraform (or CloudFormation) support for a kind is an edit here, not in a rule.
Keep entries grouped by service and in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_SAME = object()


@dataclass(frozen=True)
class P:
    """A property: its CloudFormation path, Terraform path, and the default when absent."""

    cfn: str | None
    tf: str | None
    default: Any = None
    tf_default: Any = _SAME  # when the Terraform provider's default differs


@dataclass(frozen=True)
class _Native:
    kind: str
    paths: dict[str, str]
    defaults: dict[str, Any]


_TABLE: dict[str, _Native] = {}


def kind(name: str, *, cfn: str | tuple[str, ...] = (), tf: str | tuple[str, ...] = (),
         props: dict[str, P] | None = None) -> None:
    """Declare a kind; may be called again for the same kind with other native types."""
    props = props or {}
    for native in (cfn,) if isinstance(cfn, str) else cfn:
        _TABLE[native] = _Native(
            name,
            {k: p.cfn for k, p in props.items() if p.cfn},
            {k: p.default for k, p in props.items() if p.cfn and p.default is not None},
        )
    for native in (tf,) if isinstance(tf, str) else tf:
        _TABLE[native] = _Native(
            name,
            {k: p.tf for k, p in props.items() if p.tf},
            {k: (p.default if p.tf_default is _SAME else p.tf_default)
             for k, p in props.items()
             if p.tf and (p.default if p.tf_default is _SAME else p.tf_default) is not None},
        )


def kind_of(native_type: str) -> str:
    """The neutral kind of a native type; unmapped types are their own kind."""
    entry = _TABLE.get(native_type)
    return entry.kind if entry else native_type


def native_path(native_type: str, name: str) -> str | None:
    entry = _TABLE.get(native_type)
    return entry.paths.get(name) if entry else None


def default_of(native_type: str, name: str) -> Any:
    entry = _TABLE.get(native_type)
    return entry.defaults.get(name) if entry else None


def native_types(kind_name: str) -> list[str]:
    return [native for native, entry in _TABLE.items() if entry.kind == kind_name]


def is_mapped(native_type: str) -> bool:
    return native_type in _TABLE


# --------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------

kind("rds_instance", cfn="AWS::RDS::DBInstance", tf="aws_db_instance", props={
    "multi_az": P("MultiAZ", "multi_az", False),
    "backup_retention": P("BackupRetentionPeriod", "backup_retention_period", 1),
    "cluster": P("DBClusterIdentifier", None),
    "replica_source": P("SourceDBInstanceIdentifier", "replicate_source_db"),
    "engine": P("Engine", "engine"),
    "instance_class": P("DBInstanceClass", "instance_class"),
    "availability_zone": P("AvailabilityZone", "availability_zone"),
    "subnet_group": P("DBSubnetGroupName", "db_subnet_group_name"),
    "security_groups": P("VPCSecurityGroups", "vpc_security_group_ids"),
    "publicly_accessible": P("PubliclyAccessible", "publicly_accessible", False),
    "deletion_protection": P("DeletionProtection", "deletion_protection", False),
    "skip_final_snapshot": P(None, "skip_final_snapshot", None, False),
    "master_password": P("MasterUserPassword", "password"),
    "manage_master_password": P("ManageMasterUserPassword", "manage_master_user_password"),
    "port": P("Port", "port"),
    "tags": P("Tags", "tags"),
})

# Aurora members: an instance that belongs to a cluster.
kind("rds_cluster_instance", tf="aws_rds_cluster_instance", props={
    "cluster": P(None, "cluster_identifier"),
    "engine": P(None, "engine"),
    "instance_class": P(None, "instance_class"),
    "availability_zone": P(None, "availability_zone"),
    "publicly_accessible": P(None, "publicly_accessible", False),
})

kind("rds_cluster", cfn=("AWS::RDS::DBCluster", "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster"),
     tf=("aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster"), props={
    "engine": P("Engine", "engine"),
    "engine_mode": P("EngineMode", "engine_mode", "provisioned"),
    "backup_retention": P("BackupRetentionPeriod", "backup_retention_period", 1),
    "deletion_protection": P("DeletionProtection", "deletion_protection", False),
    "skip_final_snapshot": P(None, "skip_final_snapshot", None, False),
    "cluster_instance_class": P("DBClusterInstanceClass", "db_cluster_instance_class"),
    "availability_zones": P("AvailabilityZones", "availability_zones"),
    "subnet_group": P("DBSubnetGroupName", "db_subnet_group_name"),
    "security_groups": P("VpcSecurityGroupIds", "vpc_security_group_ids"),
    "global_cluster": P("GlobalClusterIdentifier", "global_cluster_identifier"),
    "replica_source": P("ReplicationSourceIdentifier", "replication_source_identifier"),
    "master_password": P("MasterUserPassword", "master_password"),
    "manage_master_password": P("ManageMasterUserPassword", "manage_master_user_password"),
    "port": P("Port", "port"),
    "tags": P("Tags", "tags"),
})

# --------------------------------------------------------------------------------------
# Networking
# --------------------------------------------------------------------------------------

kind("vpc", cfn="AWS::EC2::VPC", tf="aws_vpc", props={
    "cidr": P("CidrBlock", "cidr_block"),
})

kind("subnet", cfn="AWS::EC2::Subnet", tf="aws_subnet", props={
    "vpc": P("VpcId", "vpc_id"),
    "availability_zone": P("AvailabilityZone", "availability_zone"),
    "availability_zone_id": P("AvailabilityZoneId", "availability_zone_id"),
    "cidr": P("CidrBlock", "cidr_block"),
    "map_public_ip": P("MapPublicIpOnLaunch", "map_public_ip_on_launch", False),
})

kind("security_group", cfn="AWS::EC2::SecurityGroup", tf="aws_security_group", props={
    "vpc": P("VpcId", "vpc_id"),
    "ingress": P("SecurityGroupIngress", "ingress"),
    "egress": P("SecurityGroupEgress", "egress"),
    "name": P("GroupName", "name"),
})

# Separate rule resources. Shapes differ per native type, so each is its own kind; the
# security-group rule model (ha_lint.queries.sg) turns all of them into one rule shape.
kind("sg_ingress", cfn="AWS::EC2::SecurityGroupIngress", props={
    "group": P("GroupId", None),
    "protocol": P("IpProtocol", None),
    "from_port": P("FromPort", None),
    "to_port": P("ToPort", None),
    "cidr_ipv4": P("CidrIp", None),
    "cidr_ipv6": P("CidrIpv6", None),
    "source_group": P("SourceSecurityGroupId", None),
    "prefix_list": P("SourcePrefixListId", None),
})
kind("sg_egress", cfn="AWS::EC2::SecurityGroupEgress", props={
    "group": P("GroupId", None),
    "protocol": P("IpProtocol", None),
    "from_port": P("FromPort", None),
    "to_port": P("ToPort", None),
    "cidr_ipv4": P("CidrIp", None),
    "cidr_ipv6": P("CidrIpv6", None),
    "source_group": P("DestinationSecurityGroupId", None),
    "prefix_list": P("DestinationPrefixListId", None),
})
kind("sg_rule", tf="aws_security_group_rule", props={
    "direction": P(None, "type"),
    "group": P(None, "security_group_id"),
    "protocol": P(None, "protocol"),
    "from_port": P(None, "from_port"),
    "to_port": P(None, "to_port"),
    "cidr_ipv4": P(None, "cidr_blocks"),
    "cidr_ipv6": P(None, "ipv6_cidr_blocks"),
    "source_group": P(None, "source_security_group_id"),
    "self": P(None, "self", None, False),
    "prefix_list": P(None, "prefix_list_ids"),
})
kind("sg_ingress", tf="aws_vpc_security_group_ingress_rule", props={
    "group": P(None, "security_group_id"),
    "protocol": P(None, "ip_protocol"),
    "from_port": P(None, "from_port"),
    "to_port": P(None, "to_port"),
    "cidr_ipv4": P(None, "cidr_ipv4"),
    "cidr_ipv6": P(None, "cidr_ipv6"),
    "source_group": P(None, "referenced_security_group_id"),
    "prefix_list": P(None, "prefix_list_id"),
})
kind("sg_egress", tf="aws_vpc_security_group_egress_rule", props={
    "group": P(None, "security_group_id"),
    "protocol": P(None, "ip_protocol"),
    "from_port": P(None, "from_port"),
    "to_port": P(None, "to_port"),
    "cidr_ipv4": P(None, "cidr_ipv4"),
    "cidr_ipv6": P(None, "cidr_ipv6"),
    "source_group": P(None, "referenced_security_group_id"),
    "prefix_list": P(None, "prefix_list_id"),
})
