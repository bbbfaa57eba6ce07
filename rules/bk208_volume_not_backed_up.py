from ha_lint.engine import Rule
from ha_lint.queries.backup import backup_coverage, selections
from ha_lint.wording import spelled, subject


class VolumeNotBackedUp(Rule):
    id = "BK208"
    name = "volume-not-backed-up"
    severity = "medium"
    since = "0.1.0"
    summary = "EBS volume or EFS file system covered by no backup mechanism in the scanned set."
    tags = ("backup", "rpo", "ebs", "efs")
    docs = """
    ## What it does
    Flags `AWS::EC2::Volume` / `aws_ebs_volume` and `AWS::EFS::FileSystem` /
    `aws_efs_file_system` that nothing in the scanned set backs up:
    - no AWS Backup selection (`AWS::Backup::BackupSelection`, `aws_backup_selection`)
      selects it: by reference or ARN (`Resources`, `resources`, wildcards such as
      `arn:aws:ec2:*:*:volume/*` or `*` included), or by tag (`ListOfTags`,
      `selection_tag`), filtered by `Conditions` / `condition {}` and `NotResources`,
      matched against the resource's resolved tags (`Tags`, `FileSystemTags`, `tags`);
    - no enabled DLM lifecycle policy (`AWS::DLM::LifecyclePolicy`,
      `aws_dlm_lifecycle_policy`) targets it: resource type `VOLUME` and any of its target
      tags, a default policy for volumes, or `INSTANCE` and the tags of the instance the
      volume is attached to (`AWS::EC2::VolumeAttachment`, `aws_volume_attachment`);
      an AWS Backup selection of that instance counts too;
    - (EFS) no automatic backups: `BackupPolicy: {Status: ENABLED}` or an
      `aws_efs_backup_policy` with status `ENABLED`. Where neither is written, the EFS
      API's default applies (CloudFormation and the Terraform provider pass none): on for
      a One Zone file system (`AvailabilityZoneName`, `availability_zone_name`), off for a
      Regional one.
    Selections and policies apply across the scanned set when their Region can be the
    resource's. An unresolved entry of a written resource list (a data source,
    a module output, an imported value) names some other, existing resource, because
    wildcards are written as literals; a resource list that is wholly a parameter or
    variable may hold `*`, so nothing of that template or module is flagged. Tags applied
    outside the templates (stack tags, provider `default_tags`) are not seen. This is the
    same backup-evidence query BK204, the DR posture (DR306, DR307) and `ha-lint resilience`
    read, so a volume BK208 finds backed up is never "deleted with no copy" in BK204.

    ## Why it matters
    An EBS volume or EFS file system with no scheduled backup has no restore point: a
    failed volume, a deleted file or ransomware loses the data outright (unbounded RPO).
    Scheduled snapshots bound the RPO to the schedule (typically 24 h) and, copied to
    another Region, also survive a Regional outage (REL 9).

    ## Example
    ```yaml
    DataVolume:
      Type: AWS::EC2::Volume
      Properties:
        AvailabilityZone: !Select [0, !GetAZs ""]
        Size: 100
    ```
    ```hcl
    resource "aws_ebs_volume" "data" {
      availability_zone = "eu-west-1a"
      size              = 100
    }
    ```

    ## Use instead
    ```yaml
    DataVolume:
      Type: AWS::EC2::Volume
      Properties:
        AvailabilityZone: !Select [0, !GetAZs ""]
        Size: 100
        Tags:
          - Key: backup
            Value: daily
    DailySnapshots:
      Type: AWS::DLM::LifecyclePolicy
      Properties:
        Description: daily EBS snapshots
        State: ENABLED
        ExecutionRoleArn: !Sub arn:aws:iam::${AWS::AccountId}:role/AWSDataLifecycleManagerDefaultRole
        PolicyDetails:
          ResourceTypes: [VOLUME]
          TargetTags:
            - Key: backup
              Value: daily
          Schedules:
            - Name: daily
              CreateRule: {Interval: 24, IntervalUnit: HOURS, Times: ["03:00"]}
              RetainRule: {Count: 14}
    ```
    ```hcl
    resource "aws_backup_selection" "data" {
      name         = "data"
      plan_id      = aws_backup_plan.daily.id
      iam_role_arn = aws_iam_role.backup.arn
      resources    = [aws_ebs_volume.data.arn]
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data)
    - AWS Backup Developer Guide: Assigning resources to a backup plan; Amazon EBS User Guide: Amazon Data Lifecycle Manager
    - Equivalent: Checkov CKV2_AWS_9 (EBS volume in an AWS Backup plan), CKV2_AWS_18 (EFS in an AWS Backup plan)
    """

    def check(self, arch):
        sels = selections(arch)
        for res in arch.of_kind("ebs_volume", "efs_file_system"):
            coverage = backup_coverage(arch, res, sels)
            if coverage.covered is not False:
                continue
            extra = " and its automatic backups are off" if res.kind == "efs_file_system" else ""
            yield self.finding(
                res,
                f"{subject(res)} is backed up by nothing in the scanned set: no AWS Backup selection or DLM "
                f"lifecycle policy covers it{extra}. Select it in an AWS Backup plan (by reference or tag)"
                + (", enable its " + spelled(res, "BackupPolicy", "aws_efs_backup_policy") + ","
                   if res.kind == "efs_file_system" else "")
                + " or target its tags with a DLM policy.",
                detail="not_backed_up",
            )
