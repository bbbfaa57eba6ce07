from ha_lint.engine import Rule
from ha_lint.queries.lb import entry_points
from ha_lint.wording import subject


class StandaloneEc2Entrypoint(Rule):
    id = "HA110"
    name = "standalone-ec2-entrypoint"
    severity = "medium"
    since = "0.1.0"
    summary = "A single EC2 instance receives traffic directly (Elastic IP, DNS record, sole target): a single point of failure."
    tags = ("availability", "ec2")
    docs = """
    ## What it does
    Flags an `AWS::EC2::Instance` / `aws_instance` that receives traffic directly: an Elastic
    IP is attached to it (`AWS::EC2::EIP` `InstanceId`, `AWS::EC2::EIPAssociation`, `aws_eip`
    `instance`, `aws_eip_association`; also through one of its network interfaces: `NetworkInterfaces`,
    `AWS::EC2::NetworkInterfaceAttachment`, `aws_network_interface` `attachment {}`,
    `aws_network_interface_attachment`), a Route 53 record's values are its address (or its
    Elastic IP's), or it is certainly the only target of a target group (`Targets`,
    `aws_lb_target_group_attachment`) or classic load balancer (`Instances`,
    `aws_elb_attachment`). A classic load balancer with one instance counts like a
    target group with one target; a stand-alone `AWS::EC2::Instance` / `aws_instance` is
    never in an Auto Scaling group (groups launch their own instances), so every such
    instance is flagged. Not flagged: an instance
    that shares its target group with other instances or an Auto Scaling group, and
    attachments whose target cannot be resolved.

    ## Why it matters
    When the entry point of a service is one instance, its failure, its AZ's failure, a
    reboot for patching or a bad deployment is an outage, and recovery means rebuilding the
    host by hand (RTO of hours). Put the instances in an Auto Scaling group across AZs behind
    a load balancer: horizontal over vertical scaling (REL 10, REL 11).

    ## Example
    ```yaml
    WebServer:
      Type: AWS::EC2::Instance
      Properties:
        ImageId: ami-0123456789abcdef0
        InstanceType: t3.small
    WebRecord:
      Type: AWS::Route53::RecordSet
      Properties:
        HostedZoneName: example.com.
        Name: www.example.com.
        Type: A
        TTL: "300"
        ResourceRecords: [!GetAtt WebServer.PublicIp]
    ```
    ```hcl
    resource "aws_instance" "web" {
      ami           = "ami-0123456789abcdef0"
      instance_type = "t3.small"
    }

    resource "aws_route53_record" "web" {
      zone_id = "Z0123456789ABCDEFGHIJ"
      name    = "www.example.com"
      type    = "A"
      ttl     = 300
      records = [aws_instance.web.public_ip]
    }
    ```

    ## Use instead
    ```yaml
    WebRecord:
      Type: AWS::Route53::RecordSet
      Properties:
        HostedZoneName: example.com.
        Name: www.example.com.
        Type: A
        AliasTarget:   # the load balancer in front of the group
          DNSName: !GetAtt WebLoadBalancer.DNSName
          HostedZoneId: !GetAtt WebLoadBalancer.CanonicalHostedZoneID
    WebGroup:
      Type: AWS::AutoScaling::AutoScalingGroup
      Properties:
        MinSize: "2"
        MaxSize: "4"
        TargetGroupARNs: [!Ref WebTargetGroup]
        VPCZoneIdentifier: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
    ```
    ```hcl
    resource "aws_route53_record" "web" {
      zone_id = "Z0123456789ABCDEFGHIJ"
      name    = "www.example.com"
      type    = "A"
      alias {   # the load balancer in front of the group
        name                   = aws_lb.web.dns_name
        zone_id                = aws_lb.web.zone_id
        evaluate_target_health = true
      }
    }

    resource "aws_autoscaling_group" "web" {
      min_size            = 2
      max_size            = 4
      target_group_arns   = [aws_lb_target_group.web.arn]
      vpc_zone_identifier = [aws_subnet.private_a.id, aws_subnet.private_b.id]
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Amazon EC2 Auto Scaling User Guide: Use Elastic Load Balancing to distribute traffic across instances
    - Equivalent: none known in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for instance in arch.of_kind("ec2_instance"):
            found = entry_points(arch, instance)
            if found:
                paths = "; ".join(e.description for e in found)
                yield self.finding(
                    instance,
                    f"{subject(instance)} receives traffic directly ({paths}) and is not in an Auto "
                    "Scaling group: its failure, or its Availability Zone's, is an outage until it is rebuilt. "
                    "Serve from an Auto Scaling group across two AZs behind a load balancer.",
                    detail="entry_point",
                )
