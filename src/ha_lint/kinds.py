"""One vocabulary for both languages.

Each ``kind(...)`` entry maps a CloudFormation type and a Terraform type to one resource
kind, and their property names to one set of names. Rules read ``db.get("multi_az")``;
this table says that is ``MultiAZ`` in CloudFormation and ``multi_az`` in Terraform, and
what AWS does when it is absent. Paths are dotted (``VpcConfig.SubnetIds``); Terraform
nested blocks are walked through transparently (``vpc_config.subnet_ids``).

Adding Terraform (or CloudFormation) support for a kind is an edit here, not in a rule.
Keep entries grouped by service and in the same shape. A kind may have entries in several
sections (the properties the network rules read, then those the backup rules read): they
merge. A native type is one kind, and each of its properties is declared once: a second
declaration would silently replace the first, so loading this table refuses it.
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
    # An empty string means "not set" (a module's usual default: replicate_source_db = ""): the
    # provider and CloudFormation pass nothing for it.
    blank_is_unset: bool = False


@dataclass(frozen=True)
class _Native:
    kind: str
    paths: dict[str, str]
    defaults: dict[str, Any]
    blank_unset: frozenset[str] = frozenset()  # names whose empty string is "not set"


_TABLE: dict[str, _Native] = {}


def kind(name: str, *, cfn: str | tuple[str, ...] = (), tf: str | tuple[str, ...] = (),
         props: dict[str, P] | None = None) -> None:
    """Declare a kind; may be called again for the same kind with other native types, or with
    the same native type to add properties (entries of one kind merge). Raises ValueError for
    a native type declared as another kind, or a property of a native type declared twice."""
    props = props or {}
    for native in (cfn,) if isinstance(cfn, str) else cfn:
        _TABLE[native] = _merged(native, _Native(
            name,
            {k: p.cfn for k, p in props.items() if p.cfn},
            {k: p.default for k, p in props.items() if p.cfn and p.default is not None},
            frozenset(k for k, p in props.items() if p.cfn and p.blank_is_unset),
        ))
    for native in (tf,) if isinstance(tf, str) else tf:
        _TABLE[native] = _merged(native, _Native(
            name,
            {k: p.tf for k, p in props.items() if p.tf},
            {k: (p.default if p.tf_default is _SAME else p.tf_default)
             for k, p in props.items()
             if p.tf and (p.default if p.tf_default is _SAME else p.tf_default) is not None},
            frozenset(k for k, p in props.items() if p.tf and p.blank_is_unset),
        ))


def _merged(native: str, new: _Native) -> _Native:
    """A second declaration of the same native type and kind adds to the first."""
    old = _TABLE.get(native)
    if old is None:
        return new
    if old.kind != new.kind:
        raise ValueError(f"kinds: {native} is declared as {old.kind} and as {new.kind}")
    twice = sorted(set(old.paths) & set(new.paths))
    if twice:
        raise ValueError(f"kinds: {', '.join(twice)} of {native} ({new.kind}) declared twice: "
                         "add to the first declaration, or change it")
    return _Native(new.kind, {**old.paths, **new.paths}, {**old.defaults, **new.defaults},
                   old.blank_unset | new.blank_unset)


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


def blank_is_unset(native_type: str, name: str) -> bool:
    """Whether an empty string at ``name`` means the property is not set."""
    entry = _TABLE.get(native_type)
    return bool(entry) and name in entry.blank_unset


def default_at(native_type: str, path: str) -> Any:
    """The default of the property at native ``path`` (None when the table has none)."""
    entry = _TABLE.get(native_type)
    names = [name for name, p in entry.paths.items() if p == path] if entry else []
    return entry.defaults.get(names[0]) if entry and names else None


# --------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------

kind("rds_instance", cfn="AWS::RDS::DBInstance", tf="aws_db_instance", props={
    "multi_az": P("MultiAZ", "multi_az", False),
    "backup_retention": P("BackupRetentionPeriod", "backup_retention_period", 1),
    "cluster": P("DBClusterIdentifier", None),
    "replica_source": P("SourceDBInstanceIdentifier", "replicate_source_db", blank_is_unset=True),
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
    "replica_source": P("ReplicationSourceIdentifier", "replication_source_identifier", blank_is_unset=True),
    "publicly_accessible": P("PubliclyAccessible", "publicly_accessible"),  # Multi-AZ DB clusters only
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
# The VPC's default security group, when Terraform manages its rules (same shape).
kind("security_group", tf="aws_default_security_group", props={
    "vpc": P(None, "vpc_id"),
    "ingress": P(None, "ingress"),
    "egress": P(None, "egress"),
})

# Separate rule resources. Shapes differ per native type, so each is its own kind; the
# security-group rule model (ha_lint.queries.sg) turns all of them into one rule shape.
kind("sg_ingress", cfn="AWS::EC2::SecurityGroupIngress", props={
    "group": P("GroupId", None),
    "group_name": P("GroupName", None),  # default VPC: the group by name (or !Ref)
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

# Network ACLs (read by ha_lint.queries.nacl). Terraform's inline ingress {}/egress {}
# blocks keep their native field names (rule_no, action, protocol, cidr_block, ...).
kind("network_acl", cfn="AWS::EC2::NetworkAcl", tf=("aws_network_acl", "aws_default_network_acl"), props={
    "vpc": P("VpcId", "vpc_id"),
    "ingress": P(None, "ingress"),
    "egress": P(None, "egress"),
    "subnets": P(None, "subnet_ids"),
    "default_acl_of": P(None, "default_network_acl_id"),  # aws_default_network_acl
})
kind("network_acl_entry", cfn="AWS::EC2::NetworkAclEntry", tf="aws_network_acl_rule", props={
    "acl": P("NetworkAclId", "network_acl_id"),
    "rule_number": P("RuleNumber", "rule_number"),
    "egress": P("Egress", "egress", False),
    "protocol": P("Protocol", "protocol"),
    "action": P("RuleAction", "rule_action"),
    "cidr_ipv4": P("CidrBlock", "cidr_block"),
    "cidr_ipv6": P("Ipv6CidrBlock", "ipv6_cidr_block"),
    "from_port": P("PortRange.From", "from_port"),
    "to_port": P("PortRange.To", "to_port"),
    "icmp_type": P("Icmp.Type", "icmp_type"),
    "icmp_code": P("Icmp.Code", "icmp_code"),
})

# Network security (NS4xx): what guards datastores and instances, and what makes them public.
kind("rds_cluster_instance", tf="aws_rds_cluster_instance", props={
    "subnet_group": P(None, "db_subnet_group_name"),
})
# Redshift's API and the Terraform provider (v6+; v5 and older: true) default PubliclyAccessible to false.
kind("redshift_cluster", cfn="AWS::Redshift::Cluster", tf="aws_redshift_cluster", props={
    "publicly_accessible": P("PubliclyAccessible", "publicly_accessible", False),
    "security_groups": P("VpcSecurityGroupIds", "vpc_security_group_ids"),
    "subnet_group": P("ClusterSubnetGroupName", "cluster_subnet_group_name"),
    "port": P("Port", "port", 5439),
})
kind("redshift_subnet_group", cfn="AWS::Redshift::ClusterSubnetGroup", tf="aws_redshift_subnet_group", props={
    "subnets": P("SubnetIds", "subnet_ids"),
})
# DMS's API defaults PubliclyAccessible to true; the Terraform provider sends false.
kind("dms_replication_instance", cfn="AWS::DMS::ReplicationInstance", tf="aws_dms_replication_instance", props={
    "publicly_accessible": P("PubliclyAccessible", "publicly_accessible", True, False),
    "security_groups": P("VpcSecurityGroupIds", "vpc_security_group_ids"),
})
kind("ec2_instance", cfn="AWS::EC2::Instance", tf="aws_instance", props={
    "security_groups": P("SecurityGroupIds", "vpc_security_group_ids"),
    "security_group_names": P("SecurityGroups", "security_groups"),
    "interface_groups": P("NetworkInterfaces.GroupSet", None),
    "associate_public_ip": P(None, "associate_public_ip_address"),
})
kind("elasticache_replication_group", cfn="AWS::ElastiCache::ReplicationGroup",
     tf="aws_elasticache_replication_group", props={
    "security_groups": P("SecurityGroupIds", "security_group_ids"),
    "port": P("Port", "port"),
})
kind("elasticache_cluster", cfn="AWS::ElastiCache::CacheCluster", tf="aws_elasticache_cluster", props={
    "security_groups": P("VpcSecurityGroupIds", "security_group_ids"),
    "port": P("Port", "port"),
})
kind("efs_mount_target", cfn="AWS::EFS::MountTarget", tf="aws_efs_mount_target", props={
    "security_groups": P("SecurityGroups", "security_groups"),
})
kind("opensearch_domain", cfn=("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain"),
     tf=("aws_opensearch_domain", "aws_elasticsearch_domain"), props={
    "security_groups": P("VPCOptions.SecurityGroupIds", "vpc_options.security_group_ids"),
})

# --------------------------------------------------------------------------------------
# Availability (HA1xx): placement in subnets and AZs, routes, what sits behind what
# --------------------------------------------------------------------------------------

# Subnets and AZs are read by ha_lint.queries.az; routes by ha_lint.queries.network;
# what sits behind load balancers, target groups and EIPs by ha_lint.queries.lb.
kind("route_table", cfn="AWS::EC2::RouteTable", tf=("aws_route_table", "aws_default_route_table"), props={
    "vpc": P("VpcId", "vpc_id"),
    "routes": P(None, "route"),  # Terraform inline route {} blocks
    "default_route_table_of": P(None, "default_route_table_id"),  # aws_default_route_table: the VPC's main table
})
kind("route", cfn="AWS::EC2::Route", tf="aws_route", props={
    "route_table": P("RouteTableId", "route_table_id"),
    "destination_cidr": P("DestinationCidrBlock", "destination_cidr_block"),
    "destination_ipv6_cidr": P("DestinationIpv6CidrBlock", "destination_ipv6_cidr_block"),
    "destination_prefix_list": P("DestinationPrefixListId", "destination_prefix_list_id"),
    "gateway": P("GatewayId", "gateway_id"),
    "nat_gateway": P("NatGatewayId", "nat_gateway_id"),
    "instance": P("InstanceId", "instance_id"),
    "network_interface": P("NetworkInterfaceId", "network_interface_id"),
    "transit_gateway": P("TransitGatewayId", "transit_gateway_id"),
    "peering_connection": P("VpcPeeringConnectionId", "vpc_peering_connection_id"),
    "egress_only_gateway": P("EgressOnlyInternetGatewayId", "egress_only_gateway_id"),
    "vpc_endpoint": P("VpcEndpointId", "vpc_endpoint_id"),
    "carrier_gateway": P("CarrierGatewayId", "carrier_gateway_id"),
    "local_gateway": P("LocalGatewayId", "local_gateway_id"),
    "core_network": P("CoreNetworkArn", "core_network_arn"),
})
kind("route_table_association", cfn="AWS::EC2::SubnetRouteTableAssociation", tf="aws_route_table_association", props={
    "subnet": P("SubnetId", "subnet_id"),
    "route_table": P("RouteTableId", "route_table_id"),
})
kind("main_route_table_association", tf="aws_main_route_table_association", props={
    "vpc": P(None, "vpc_id"),
    "route_table": P(None, "route_table_id"),
})
kind("nat_gateway", cfn="AWS::EC2::NatGateway", tf="aws_nat_gateway", props={
    "subnet": P("SubnetId", "subnet_id"),
    "connectivity_type": P("ConnectivityType", "connectivity_type", "public"),
    "availability_mode": P("AvailabilityMode", "availability_mode", "zonal"),
})
kind("internet_gateway", cfn="AWS::EC2::InternetGateway", tf="aws_internet_gateway", props={
    "vpc": P(None, "vpc_id"),
})
kind("egress_only_internet_gateway", cfn="AWS::EC2::EgressOnlyInternetGateway",
     tf="aws_egress_only_internet_gateway", props={
    "vpc": P("VpcId", "vpc_id"),
})
kind("vpc_gateway_attachment", cfn="AWS::EC2::VPCGatewayAttachment", tf="aws_internet_gateway_attachment", props={
    "vpc": P("VpcId", "vpc_id"),
    "internet_gateway": P("InternetGatewayId", "internet_gateway_id"),
})

kind("rds_cluster", cfn="AWS::RDS::DBCluster", tf="aws_rds_cluster", props={
    "scalability_type": P("ClusterScalabilityType", "cluster_scalability_type", "standard"),
})
kind("subnet_group", cfn="AWS::RDS::DBSubnetGroup",
     tf=("aws_db_subnet_group", "aws_elasticache_subnet_group"), props={
    "subnets": P("SubnetIds", "subnet_ids"),
    "name": P("DBSubnetGroupName", "name"),
})
kind("subnet_group", cfn="AWS::ElastiCache::SubnetGroup", props={
    "subnets": P("SubnetIds", None),
    "name": P("CacheSubnetGroupName", None),
})

kind("autoscaling_group", cfn="AWS::AutoScaling::AutoScalingGroup", tf="aws_autoscaling_group", props={
    "name": P("AutoScalingGroupName", "name"),
    "subnets": P("VPCZoneIdentifier", "vpc_zone_identifier"),
    "availability_zones": P("AvailabilityZones", "availability_zones"),
    "min_size": P("MinSize", "min_size"),
    "max_size": P("MaxSize", "max_size"),
    "desired_capacity": P("DesiredCapacity", "desired_capacity"),
    "health_check_type": P("HealthCheckType", "health_check_type", "EC2"),
    "target_groups": P("TargetGroupARNs", "target_group_arns"),
    "load_balancers": P("LoadBalancerNames", "load_balancers"),
    "traffic_sources": P("TrafficSources", "traffic_source"),
})
# Terraform's separate attachments of an ASG to a target group / classic ELB / traffic source.
kind("autoscaling_attachment", tf=("aws_autoscaling_attachment", "aws_autoscaling_traffic_source_attachment"), props={
    "autoscaling_group": P(None, "autoscaling_group_name"),
    "target_group": P(None, "lb_target_group_arn"),
    "target_group_legacy": P(None, "alb_target_group_arn"),
    "load_balancer": P(None, "elb"),
    "traffic_sources": P(None, "traffic_source"),
})

kind("load_balancer", cfn="AWS::ElasticLoadBalancingV2::LoadBalancer", tf=("aws_lb", "aws_alb"), props={
    "type": P("Type", "load_balancer_type", "application"),
    "subnets": P("Subnets", "subnets"),
    "subnet_mappings": P("SubnetMappings", "subnet_mapping"),
})
kind("classic_load_balancer", cfn="AWS::ElasticLoadBalancing::LoadBalancer", tf="aws_elb", props={
    "name": P("LoadBalancerName", "name"),
    "subnets": P("Subnets", "subnets"),
    "availability_zones": P("AvailabilityZones", "availability_zones"),
    "instances": P("Instances", "instances"),
})
kind("classic_lb_attachment", tf="aws_elb_attachment", props={
    "load_balancer": P(None, "elb"),
    "instance": P(None, "instance"),
})
kind("target_group", cfn="AWS::ElasticLoadBalancingV2::TargetGroup", tf=("aws_lb_target_group", "aws_alb_target_group"), props={
    "target_type": P("TargetType", "target_type", "instance"),
    "targets": P("Targets", None),
})
kind("target_group_attachment", tf=("aws_lb_target_group_attachment", "aws_alb_target_group_attachment"), props={
    "target_group": P(None, "target_group_arn"),
    "target": P(None, "target_id"),
})

kind("ec2_instance", cfn="AWS::EC2::Instance", tf="aws_instance", props={
    "subnet": P("SubnetId", "subnet_id"),
    "availability_zone": P("AvailabilityZone", "availability_zone"),
    "network_interfaces": P("NetworkInterfaces", "network_interface"),
})
kind("eip", cfn="AWS::EC2::EIP", tf="aws_eip", props={
    "instance": P("InstanceId", "instance"),
})
kind("eip_association", cfn="AWS::EC2::EIPAssociation", tf="aws_eip_association", props={
    "instance": P("InstanceId", "instance_id"),
    "eip": P("EIP", "public_ip"),
    "allocation": P("AllocationId", "allocation_id"),
    "network_interface": P("NetworkInterfaceId", "network_interface_id"),
})
kind("eip", tf="aws_eip", props={
    "network_interface": P(None, "network_interface"),
})
# An Elastic IP on a network interface reaches the instance the interface is attached to.
kind("network_interface", cfn="AWS::EC2::NetworkInterface", tf="aws_network_interface", props={
    "attached_instance": P(None, "attachment.instance"),
})
kind("network_interface_attachment", cfn="AWS::EC2::NetworkInterfaceAttachment",
     tf="aws_network_interface_attachment", props={
    "instance": P("InstanceId", "instance_id"),
    "network_interface": P("NetworkInterfaceId", "network_interface_id"),
})

kind("elasticache_replication_group", cfn="AWS::ElastiCache::ReplicationGroup",
     tf="aws_elasticache_replication_group", props={
    "automatic_failover": P("AutomaticFailoverEnabled", "automatic_failover_enabled", False),
    "multi_az": P("MultiAZEnabled", "multi_az_enabled", False),
    "num_cache_clusters": P("NumCacheClusters", "num_cache_clusters"),
    "num_cache_clusters_legacy": P(None, "number_cache_clusters"),
    "num_node_groups": P("NumNodeGroups", "num_node_groups"),
    "replicas_per_node_group": P("ReplicasPerNodeGroup", "replicas_per_node_group"),
    "cluster_mode_block": P(None, "cluster_mode"),  # provider v3: cluster_mode { replicas_per_node_group }
    "node_group_configuration": P("NodeGroupConfiguration", "node_group_configuration"),
    "preferred_cache_cluster_azs": P("PreferredCacheClusterAZs", "preferred_cache_cluster_azs"),
    "primary_cluster": P("PrimaryClusterId", None),
    "global_replication_group": P("GlobalReplicationGroupId", "global_replication_group_id"),
    "identifier": P("ReplicationGroupId", "replication_group_id"),
})
kind("elasticache_cluster", cfn="AWS::ElastiCache::CacheCluster", tf="aws_elasticache_cluster", props={
    "num_cache_nodes": P("NumCacheNodes", "num_cache_nodes"),
})

kind("efs_file_system", cfn="AWS::EFS::FileSystem", tf="aws_efs_file_system", props={
    "availability_zone_name": P("AvailabilityZoneName", "availability_zone_name"),
})
kind("efs_mount_target", cfn="AWS::EFS::MountTarget", tf="aws_efs_mount_target", props={
    "file_system": P("FileSystemId", "file_system_id"),
    "subnet": P("SubnetId", "subnet_id"),
})

kind("ecs_service", cfn="AWS::ECS::Service", tf="aws_ecs_service", props={
    "desired_count": P("DesiredCount", "desired_count", 1, 0),
    "scheduling_strategy": P("SchedulingStrategy", "scheduling_strategy", "REPLICA"),
    "subnets": P("NetworkConfiguration.AwsvpcConfiguration.Subnets", "network_configuration.subnets"),
})
kind("scalable_target", cfn="AWS::ApplicationAutoScaling::ScalableTarget", tf="aws_appautoscaling_target", props={
    "min_capacity": P("MinCapacity", "min_capacity"),
    "resource_id": P("ResourceId", "resource_id"),
    "scalable_dimension": P("ScalableDimension", "scalable_dimension"),
})

kind("opensearch_domain", cfn="AWS::OpenSearchService::Domain", tf=("aws_opensearch_domain", "aws_elasticsearch_domain"), props={
    "instance_count": P("ClusterConfig.InstanceCount", "cluster_config.instance_count", 1),
    "zone_awareness": P("ClusterConfig.ZoneAwarenessEnabled", "cluster_config.zone_awareness_enabled", False),
    "multi_az_with_standby": P("ClusterConfig.MultiAZWithStandbyEnabled", "cluster_config.multi_az_with_standby_enabled"),
})
kind("opensearch_domain", cfn="AWS::Elasticsearch::Domain", props={
    "instance_count": P("ElasticsearchClusterConfig.InstanceCount", None, 1),
    "zone_awareness": P("ElasticsearchClusterConfig.ZoneAwarenessEnabled", None, False),
})

kind("eks_nodegroup", cfn="AWS::EKS::Nodegroup", tf="aws_eks_node_group", props={
    "subnets": P("Subnets", "subnet_ids"),
    "min_size": P("ScalingConfig.MinSize", "scaling_config.min_size"),
    "desired_size": P("ScalingConfig.DesiredSize", "scaling_config.desired_size"),
})

kind("lambda_function", cfn=("AWS::Lambda::Function", "AWS::Serverless::Function"), tf="aws_lambda_function", props={
    "subnets": P("VpcConfig.SubnetIds", "vpc_config.subnet_ids"),
})

# --------------------------------------------------------------------------------------
# Backup and disaster recovery (BK2xx, DR3xx): stores, what backs them up, where copies go
# --------------------------------------------------------------------------------------

kind("rds_instance", cfn="AWS::RDS::DBInstance", tf="aws_db_instance", props={
    "identifier": P("DBInstanceIdentifier", "identifier"),
})
kind("rds_cluster", cfn=("AWS::RDS::DBCluster", "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster"),
     tf=("aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster"), props={
    "identifier": P("DBClusterIdentifier", "cluster_identifier"),
})
kind("rds_global_cluster", cfn="AWS::RDS::GlobalCluster", tf="aws_rds_global_cluster", props={
    "identifier": P("GlobalClusterIdentifier", "global_cluster_identifier"),
    "source_cluster": P("SourceDBClusterIdentifier", "source_db_cluster_identifier"),
})

kind("redshift_cluster", cfn="AWS::Redshift::Cluster", tf="aws_redshift_cluster", props={
    "skip_final_snapshot": P(None, "skip_final_snapshot", None, False),
})

kind("elasticache_replication_group", cfn="AWS::ElastiCache::ReplicationGroup",
     tf="aws_elasticache_replication_group", props={
    "engine": P("Engine", "engine", "redis"),
    "snapshot_retention": P("SnapshotRetentionLimit", "snapshot_retention_limit", 0),
    "global_group": P("GlobalReplicationGroupId", "global_replication_group_id"),
})
kind("elasticache_global_group", cfn="AWS::ElastiCache::GlobalReplicationGroup",
     tf="aws_elasticache_global_replication_group", props={
    "members": P("Members", None),
    "primary": P(None, "primary_replication_group_id"),
})
kind("elasticache_cluster", cfn="AWS::ElastiCache::CacheCluster", tf="aws_elasticache_cluster", props={
    "engine": P("Engine", "engine"),
    "snapshot_retention": P("SnapshotRetentionLimit", "snapshot_retention_limit", 0),
    "replication_group": P(None, "replication_group_id"),
})

kind("ec2_instance", cfn="AWS::EC2::Instance", tf="aws_instance", props={
    "tags": P("Tags", "tags"),
})
kind("ebs_volume", cfn="AWS::EC2::Volume", tf="aws_ebs_volume", props={
    "availability_zone": P("AvailabilityZone", "availability_zone"),
    "tags": P("Tags", "tags"),
})
kind("volume_attachment", cfn="AWS::EC2::VolumeAttachment", tf="aws_volume_attachment", props={
    "instance": P("InstanceId", "instance_id"),
    "volume": P("VolumeId", "volume_id"),
})

kind("efs_file_system", cfn="AWS::EFS::FileSystem", tf="aws_efs_file_system", props={
    "backup_policy": P("BackupPolicy.Status", None, "DISABLED"),
    "tags": P("FileSystemTags", "tags"),
})
kind("efs_backup_policy", tf="aws_efs_backup_policy", props={
    "file_system": P(None, "file_system_id"),
    "status": P(None, "backup_policy.status"),
})

# AWS::DynamoDB::GlobalTable has no table-level PITR: each of its Replicas has its own
# (ha_lint.queries.backup reads them).
# AWS::Serverless::SimpleTable is SAM's single-key table: it becomes an AWS::DynamoDB::Table
# with its TableName, PointInTimeRecoverySpecification and resource policies passed through.
kind("dynamodb_table", cfn=("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::Serverless::SimpleTable"),
     tf="aws_dynamodb_table", props={
    "name": P("TableName", "name"),
    "replicas": P("Replicas", "replica"),
    "deletion_protection": P("DeletionProtectionEnabled", "deletion_protection_enabled"),
})
kind("dynamodb_table", cfn=("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"), tf="aws_dynamodb_table", props={
    "pitr": P("PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", "point_in_time_recovery.enabled", False),
    # A GlobalTable's tags are each replica's (Replicas[].Tags), not the table's.
    "tags": P("Tags", "tags"),
})
kind("dynamodb_table_replica", tf="aws_dynamodb_table_replica", props={
    "global_table": P(None, "global_table_arn"),
    "pitr": P(None, "point_in_time_recovery", False),
})

# Versioning is a status string in CloudFormation ("Enabled") and a bool in the inline
# Terraform block (``versioning { enabled = true }``, provider v3); v4+ uses
# aws_s3_bucket_versioning. ha_lint.queries.backup reads both shapes.
kind("s3_bucket", cfn="AWS::S3::Bucket", tf="aws_s3_bucket", props={
    "name": P("BucketName", "bucket"),
    "versioning": P("VersioningConfiguration.Status", "versioning.enabled"),
    "object_lock": P("ObjectLockEnabled", "object_lock_enabled"),  # Object Lock turns versioning on for good
    "replication_rules": P("ReplicationConfiguration.Rules", "replication_configuration.rules"),
    "tags": P("Tags", "tags"),
})
kind("s3_bucket_versioning", tf="aws_s3_bucket_versioning", props={
    "bucket": P(None, "bucket"),
    "status": P(None, "versioning_configuration.status"),
})
kind("s3_bucket_replication", tf="aws_s3_bucket_replication_configuration", props={
    "bucket": P(None, "bucket"),
    "replication_rules": P(None, "rule"),
})

kind("backup_vault", cfn="AWS::Backup::BackupVault", tf="aws_backup_vault", props={
    "name": P("BackupVaultName", "name"),
})
kind("backup_plan", cfn="AWS::Backup::BackupPlan", tf="aws_backup_plan", props={
    "rules": P("BackupPlan.BackupPlanRule", "rule"),
})
kind("backup_selection", cfn="AWS::Backup::BackupSelection", tf="aws_backup_selection", props={
    "plan": P("BackupPlanId", "plan_id"),
    "resources": P("BackupSelection.Resources", "resources"),
    "not_resources": P("BackupSelection.NotResources", "not_resources"),
    "tag_list": P("BackupSelection.ListOfTags", "selection_tag"),
    "conditions": P("BackupSelection.Conditions", "condition"),
})
kind("dlm_policy", cfn="AWS::DLM::LifecyclePolicy", tf="aws_dlm_lifecycle_policy", props={
    "state": P("State", "state", "ENABLED"),
    "default_policy": P("DefaultPolicy", "default_policy"),
    "resource_types": P("PolicyDetails.ResourceTypes", "policy_details.resource_types"),
    "target_tags": P("PolicyDetails.TargetTags", "policy_details.target_tags"),
    "policy_type": P("PolicyDetails.PolicyType", "policy_details.policy_type", "EBS_SNAPSHOT_MANAGEMENT"),
})

# Route 53: records inside AWS::Route53::RecordSetGroup are read by ha_lint.queries.dns.
kind("route53_record", cfn="AWS::Route53::RecordSet", tf="aws_route53_record", props={
    "name": P("Name", "name"),
    "type": P("Type", "type"),
    "zone_id": P("HostedZoneId", "zone_id"),
    "zone_name": P("HostedZoneName", None),
    "set_identifier": P("SetIdentifier", "set_identifier"),
    "health_check": P("HealthCheckId", "health_check_id"),
    "alias": P("AliasTarget", "alias"),
    "alias_target": P("AliasTarget.DNSName", "alias.name"),
    "evaluate_target_health": P("AliasTarget.EvaluateTargetHealth", "alias.evaluate_target_health", False),
    "records": P("ResourceRecords", "records"),
    "failover": P("Failover", "failover_routing_policy.type"),
    "weight": P("Weight", "weighted_routing_policy"),
    "latency_region": P("Region", "latency_routing_policy.region"),
    "geolocation": P("GeoLocation", "geolocation_routing_policy"),
    "geoproximity": P("GeoProximityLocation", "geoproximity_routing_policy"),
    "multivalue": P("MultiValueAnswer", "multivalue_answer_routing_policy", False),
})
kind("route53_record_group", cfn="AWS::Route53::RecordSetGroup", props={
    "zone_id": P("HostedZoneId", None),
    "zone_name": P("HostedZoneName", None),
    "record_sets": P("RecordSets", None),
})
kind("route53_zone", cfn="AWS::Route53::HostedZone", tf="aws_route53_zone", props={
    "name": P("Name", "name"),
})

kind("global_accelerator", cfn="AWS::GlobalAccelerator::Accelerator", tf="aws_globalaccelerator_accelerator", props={
    "enabled": P("Enabled", "enabled", True),
})
kind("global_accelerator_endpoint_group", cfn="AWS::GlobalAccelerator::EndpointGroup",
     tf="aws_globalaccelerator_endpoint_group", props={
    "region": P("EndpointGroupRegion", "endpoint_group_region"),
})

# --------------------------------------------------------------------------------------
# Serverless and asynchronous work (Lambda, SQS, SNS, EventBridge, S3 notifications)
# --------------------------------------------------------------------------------------

kind("lambda_function", cfn="AWS::Lambda::Function", tf="aws_lambda_function", props={
    "name": P("FunctionName", "function_name"),
    "role": P("Role", "role"),
    "dead_letter_target": P("DeadLetterConfig.TargetArn", "dead_letter_config.target_arn"),
    "reserved_concurrency": P("ReservedConcurrentExecutions", "reserved_concurrent_executions", None, -1),
    "publish": P(None, "publish", None, False),
})
# SAM: the function as written; SAM fills in what the transform would generate.
kind("lambda_function", cfn="AWS::Serverless::Function", props={
    "name": P("FunctionName", None),
    "role": P("Role", None),
    "dead_letter_target": P("DeadLetterQueue.TargetArn", None),
    "on_failure": P("EventInvokeConfig.DestinationConfig.OnFailure", None),
    "event_invoke_config": P("EventInvokeConfig", None),
    "reserved_concurrency": P("ReservedConcurrentExecutions", None),
    "events": P("Events", None),
})
kind("lambda_alias", cfn="AWS::Lambda::Alias", tf="aws_lambda_alias", props={
    "function": P("FunctionName", "function_name"),
    "function_version": P("FunctionVersion", "function_version"),
})
kind("lambda_event_invoke_config", cfn="AWS::Lambda::EventInvokeConfig",
     tf="aws_lambda_function_event_invoke_config", props={
    "function": P("FunctionName", "function_name"),
    "qualifier": P("Qualifier", "qualifier"),
    "on_failure": P("DestinationConfig.OnFailure", "destination_config.on_failure"),
    "on_failure_destination": P("DestinationConfig.OnFailure.Destination", "destination_config.on_failure.destination"),
})
kind("lambda_event_source_mapping", cfn="AWS::Lambda::EventSourceMapping", tf="aws_lambda_event_source_mapping", props={
    "function": P("FunctionName", "function_name"),
    "event_source": P("EventSourceArn", "event_source_arn"),
    "on_failure_destination": P("DestinationConfig.OnFailure.Destination",
                                "destination_config.on_failure.destination_arn"),
})
kind("lambda_permission", cfn="AWS::Lambda::Permission", tf="aws_lambda_permission", props={
    "function": P("FunctionName", "function_name"),
    "principal": P("Principal", "principal"),
})
# An AWS Transfer Family server (SFTP/FTPS/FTP): its VPC endpoint's security groups are read
# through the graph's references (queries.sg.transfer_servers_only).
kind("transfer_server", cfn="AWS::Transfer::Server", tf="aws_transfer_server", props={
    "endpoint_type": P("EndpointType", "endpoint_type"),
})
kind("sqs_queue", cfn="AWS::SQS::Queue", tf="aws_sqs_queue", props={
    "name": P("QueueName", "name"),
    "redrive_policy": P("RedrivePolicy", "redrive_policy"),
    "redrive_allow_policy": P("RedriveAllowPolicy", "redrive_allow_policy"),
})
# Terraform's separate redrive resources: they complete the queue named by queue_url.
kind("sqs_redrive_policy", tf="aws_sqs_queue_redrive_policy", props={
    "queue": P(None, "queue_url"),
    "redrive_policy": P(None, "redrive_policy"),
})
kind("sqs_redrive_allow_policy", tf="aws_sqs_queue_redrive_allow_policy", props={
    "queue": P(None, "queue_url"),
    "redrive_allow_policy": P(None, "redrive_allow_policy"),
})
kind("sns_subscription", cfn="AWS::SNS::Subscription", tf="aws_sns_topic_subscription", props={
    "protocol": P("Protocol", "protocol"),
    "endpoint": P("Endpoint", "endpoint"),
})
kind("sns_topic", cfn="AWS::SNS::Topic", tf="aws_sns_topic", props={
    "subscriptions": P("Subscription", None),  # inline [{Protocol, Endpoint}]
})
kind("s3_bucket", cfn="AWS::S3::Bucket", tf="aws_s3_bucket", props={
    "lambda_notifications": P("NotificationConfiguration.LambdaConfigurations", None),
})
kind("s3_bucket_notification", tf="aws_s3_bucket_notification", props={
    "lambda_notifications": P(None, "lambda_function"),
})
kind("event_rule", cfn="AWS::Events::Rule", tf="aws_cloudwatch_event_rule", props={
    "targets": P("Targets", None),
})
kind("event_target", tf="aws_cloudwatch_event_target", props={
    "arn": P(None, "arn"),
})
kind("schedule", cfn="AWS::Scheduler::Schedule", tf="aws_scheduler_schedule", props={
    "target_arn": P("Target.Arn", "target.arn"),
})
kind("log_subscription_filter", cfn="AWS::Logs::SubscriptionFilter", tf="aws_cloudwatch_log_subscription_filter", props={
    "destination": P("DestinationArn", "destination_arn"),
})
kind("iot_topic_rule", cfn="AWS::IoT::TopicRule", tf="aws_iot_topic_rule", props={
    "lambda_actions": P("TopicRulePayload.Actions.Lambda.FunctionArn", "lambda.function_arn"),
})
kind("kinesis_stream", cfn="AWS::Kinesis::Stream", tf="aws_kinesis_stream")
kind("kinesis_stream_consumer", cfn="AWS::Kinesis::StreamConsumer", tf="aws_kinesis_stream_consumer")

# --------------------------------------------------------------------------------------
# Audit, identity and logging
# --------------------------------------------------------------------------------------

kind("cloudtrail", cfn="AWS::CloudTrail::Trail", tf="aws_cloudtrail", props={
    "multi_region": P("IsMultiRegionTrail", "is_multi_region_trail", False),
    "global_service_events": P("IncludeGlobalServiceEvents", "include_global_service_events", True),
    "event_selectors": P("EventSelectors", "event_selector"),
    "advanced_event_selectors": P("AdvancedEventSelectors", "advanced_event_selector"),
})
kind("eks_cluster", cfn="AWS::EKS::Cluster", tf="aws_eks_cluster", props={
    "log_types": P("Logging.ClusterLogging.EnabledTypes", "enabled_cluster_log_types"),
})
kind("ecs_task_definition", cfn="AWS::ECS::TaskDefinition", tf="aws_ecs_task_definition", props={
    "containers": P("ContainerDefinitions", "container_definitions"),
})
kind("iam_role", cfn="AWS::IAM::Role", tf="aws_iam_role", props={
    "name": P("RoleName", "name"),
    "inline_policies": P("Policies", "inline_policy"),
    "managed_policies": P("ManagedPolicyArns", "managed_policy_arns"),
})
# A policy document attached to roles: inline (AWS::IAM::Policy, AWS::IAM::RolePolicy,
# aws_iam_role_policy) or managed (AWS::IAM::ManagedPolicy, aws_iam_policy).
kind("iam_policy", cfn=("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"), props={
    "document": P("PolicyDocument", None),
    "roles": P("Roles", None),
})
kind("iam_policy", cfn="AWS::IAM::RolePolicy", tf="aws_iam_role_policy", props={
    "document": P("PolicyDocument", "policy"),
    "roles": P("RoleName", "role"),
})
kind("iam_policy", tf="aws_iam_policy", props={
    "document": P(None, "policy"),
})
kind("iam_policy_attachment", tf="aws_iam_role_policy_attachment", props={
    "roles": P(None, "role"),
    "policy_arns": P(None, "policy_arn"),
})
kind("iam_policy_attachment", tf="aws_iam_policy_attachment", props={
    "roles": P(None, "roles"),
    "policy_arns": P(None, "policy_arn"),
})
kind("iam_policy_attachment", tf="aws_iam_role_policy_attachments_exclusive", props={
    "roles": P(None, "role_name"),
    "policy_arns": P(None, "policy_arns"),
})


# The port a database engine listens on when the template gives none (RDS, DocumentDB, Neptune).
_ENGINE_PORTS = (("aurora-postgresql", 5432), ("aurora-mysql", 3306), ("aurora", 3306), ("mysql", 3306),
                 ("mariadb", 3306), ("postgres", 5432), ("oracle", 1521), ("sqlserver", 1433), ("db2", 50000),
                 ("neptune", 8182), ("docdb", 27017))


def engine_port(engine: object) -> int | None:
    if not isinstance(engine, str):
        return None
    text = engine.lower()
    return next((port for prefix, port in _ENGINE_PORTS if text.startswith(prefix)), None)
