"""How findings speak: one opening for every message, counts in proper English, and advice in
the language the finding was written in.

A message opens with a friendly noun and the address (``RDS instance `aws_db_instance.main```,
``RDS instance `Database```): ``subject(res)``. Advice names properties as the reader writes
them: ``spelled(res, cfn="HealthCheckId", tf="health_check_id")``, or ``property_name(res,
"backup_retention")`` for a property of the kinds table. Counts agree with their noun:
``plural(1, "day")`` is ``1 day`` (written in ``ha_lint.english``, a leaf that the stages
below this one count with too). A Region the templates do not name is called by where it
comes from: ``region_name(res)``.
"""

from __future__ import annotations

import os

from ha_lint.english import plural  # noqa: F401 (messages count with wording.plural)
from ha_lint.model import CLOUDFORMATION, Resource
from ha_lint.queries.az import is_aurora_cluster
from ha_lint.queries.rds import is_aurora_instance

# Resource kind (``ha_lint.kinds``) -> the noun a reader uses for it.
_KIND_NOUNS = {
    "rds_instance": "RDS instance",
    "rds_cluster_instance": "Aurora instance",
    "rds_cluster": "RDS cluster",
    "redshift_cluster": "Redshift cluster",
    "dms_replication_instance": "DMS replication instance",
    "ec2_instance": "EC2 instance",
    "elasticache_replication_group": "ElastiCache replication group",
    "elasticache_cluster": "ElastiCache cluster",
    "opensearch_domain": "OpenSearch domain",
    "nat_gateway": "NAT gateway",
    "subnet_group": "Subnet group",
    "autoscaling_group": "Auto Scaling group",
    "load_balancer": "Load balancer",
    "classic_load_balancer": "Classic Load Balancer",
    "efs_file_system": "EFS file system",
    "ecs_service": "ECS service",
    "ecs_task_definition": "ECS task definition",
    "eks_nodegroup": "EKS node group",
    "eks_cluster": "EKS cluster",
    "lambda_function": "Lambda function",
    "lambda_alias": "Lambda alias",
    "lambda_event_source_mapping": "Lambda event source mapping",
    "ebs_volume": "EBS volume",
    "dynamodb_table": "DynamoDB table",
    "dynamodb_table_replica": "DynamoDB global table replica",
    "s3_bucket": "S3 bucket",
    "backup_plan": "Backup plan",
    "route53_record": "Route 53 record",
    "route53_record_group": "Route 53 record set group",
    "sqs_queue": "SQS queue",
    "transfer_server": "Transfer Family server",
    "cloudtrail": "CloudTrail trail",
    "security_group": "Security group",
    "sg_ingress": "Security group ingress rule",
    "sg_egress": "Security group egress rule",
    "sg_rule": "Security group rule",
    "network_acl": "Network ACL",
    "network_acl_entry": "Network ACL entry",
    "iam_role": "IAM role",
}

# Native types whose own name says more than their kind's.
_TYPE_NOUNS = {
    "AWS::DocDB::DBCluster": "DocumentDB cluster",
    "aws_docdb_cluster": "DocumentDB cluster",
    "AWS::Neptune::DBCluster": "Neptune cluster",
    "aws_neptune_cluster": "Neptune cluster",
    "AWS::Elasticsearch::Domain": "Elasticsearch domain",
    "aws_elasticsearch_domain": "Elasticsearch domain",
    "AWS::Serverless::SimpleTable": "SAM simple table",
    "AWS::Serverless::Function": "Lambda function",
    "AWS::DynamoDB::GlobalTable": "DynamoDB global table",
    "aws_default_security_group": "Default security group",
    "aws_default_network_acl": "Default network ACL",
    "AWS::EC2::LaunchTemplate": "Launch template",
    "aws_launch_template": "Launch template",
    "AWS::AutoScaling::LaunchConfiguration": "Launch configuration",
    "aws_launch_configuration": "Launch configuration",
    "AWS::AmazonMQ::Broker": "Amazon MQ broker",
    "aws_mq_broker": "Amazon MQ broker",
    "AWS::DMS::Endpoint": "DMS endpoint",
    "aws_dms_endpoint": "DMS endpoint",
    "aws_elasticache_user": "ElastiCache user",
    "AWS::SSM::Parameter": "SSM parameter",
    "aws_ssm_parameter": "SSM parameter",
    "AWS::CodePipeline::Pipeline": "CodePipeline pipeline",
    "AWS::RDS::DBSubnetGroup": "DB subnet group",
    "aws_db_subnet_group": "DB subnet group",
    "AWS::ElastiCache::SubnetGroup": "ElastiCache subnet group",
    "aws_elasticache_subnet_group": "ElastiCache subnet group",
}


def noun(res: Resource) -> str:
    """The friendly name of a resource's type: "RDS instance", "Aurora cluster"; the native
    type itself when there is none."""
    if is_aurora_cluster(res):
        return "Aurora cluster"
    if res.kind == "rds_instance" and (res.has("cluster") or is_aurora_instance(res)):
        return "Aurora instance"
    return _TYPE_NOUNS.get(res.type) or _KIND_NOUNS.get(res.kind) or res.type


def subject(res: Resource, shown_noun: str | None = None, address: str | None = None) -> str:
    """How a message opens: the noun and the address, ``RDS instance `Database```;
    ``address`` for a part of the resource (an entry of a record set group)."""
    return f"{shown_noun or noun(res)} `{address or res.address}`"


def workload_name(workload_id: str) -> str:
    """A workload as a reader knows it: its ID (the file or directory scanned), except that a
    directory scanned as ``.`` (or ``..``) is named after the directory itself."""
    if os.path.basename(os.path.normpath(workload_id)) in (".", ".."):
        return os.path.basename(os.path.abspath(workload_id)) or workload_id
    return workload_id


def region_name(res: Resource) -> str:
    """The Region a resource is deployed in: its name when known, else where it comes from
    ("the deployment Region" of a stack, the provider's ``region = var.region``)."""
    region = res.meta.region
    if isinstance(region, str) and region:
        return region
    return res.meta.region_source or "the deployment Region"


def spelled(res: Resource, cfn: str, tf: str) -> str:
    """The one of two spellings (a property, a block, a snippet) that is the resource's own
    language: CloudFormation (and SAM) or Terraform."""
    return cfn if res.source == CLOUDFORMATION else tf


def property_name(res: Resource, name: str) -> str:
    """The neutral property ``name`` as the resource's language writes it: ``MultiAZ``,
    ``multi_az``; a Terraform nested block as ``block { attribute }``."""
    path = res.native_path(name) or name
    if res.source == CLOUDFORMATION or "." not in path:
        return path
    *blocks, leaf = path.split(".")
    return " { ".join(blocks) + " { " + leaf + " }" * len(blocks)
