from ha_lint.engine import Rule
from ha_lint.queries.az import Zone, azs_spanned
from ha_lint.values import when
from ha_lint.wording import subject


class EfsOneZone(Rule):
    id = "HA109"
    name = "efs-one-zone"
    severity = "medium"
    since = "0.1.0"
    summary = "EFS file system stored in one AZ (One Zone), or reachable through mount targets in one AZ only."
    tags = ("availability", "efs")
    docs = """
    ## What it does
    Flags an `AWS::EFS::FileSystem` / `aws_efs_file_system` that uses One Zone storage
    (`AvailabilityZoneName`, `availability_zone_name`), or a Regional file system whose mount
    targets (`AWS::EFS::MountTarget`, `aws_efs_mount_target`) in the scanned set all sit in
    one AZ: exactly one mount target (EFS allows one per AZ), or several in the same known
    AZ. A file system without mount targets in the scanned set, or with mount targets whose
    number is unknown (`for_each` over a variable without default), is not flagged. When a
    condition decides whether `AvailabilityZoneName` is set, the One Zone branch is named.
    An `AvailabilityZoneName` from a parameter or variable without default is One Zone
    storage all the same (one AZ, whichever it is), as for a resource placed in exactly one subnet.

    ## Why it matters
    One Zone storage keeps the data in a single AZ: an AZ failure makes it unavailable, and
    an AZ loss can lose it. A Regional file system is stored across AZs, but clients reach it
    only through a mount target in their own AZ (or across AZs, through the one that exists):
    with one mount target, losing its AZ cuts every client off (REL 10, fault isolation).

    ## Example
    ```yaml
    SharedFiles:
      Type: AWS::EFS::FileSystem
      Properties:
        AvailabilityZoneName: us-east-1a
    ```
    ```hcl
    resource "aws_efs_file_system" "shared" {
      availability_zone_name = "us-east-1a"
    }
    ```

    ## Use instead
    ```yaml
    SharedFiles:
      Type: AWS::EFS::FileSystem
      Properties:
        Encrypted: true        # Regional: no AvailabilityZoneName; one mount target per AZ
    ```
    ```hcl
    resource "aws_efs_file_system" "shared" {
      encrypted = true       # Regional: no availability_zone_name; one mount target per AZ
    }

    resource "aws_efs_mount_target" "shared" {
      for_each       = toset(aws_subnet.private[*].id)
      file_system_id = aws_efs_file_system.shared.id
      subnet_id      = each.value
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (use fault isolation: deploy to multiple locations)
    - Amazon EFS User Guide: EFS file system types (Regional and One Zone), Managing mount targets
    - Equivalent: none known in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for fs in arch.of_kind("efs_file_system"):
            for span in azs_spanned(arch, fs):
                if not span.single_az:
                    continue
                if span.prop == "availability_zone_name":
                    zone = span.places[0].zone
                    where = zone.describe() if isinstance(zone, Zone) else "an Availability Zone chosen at deploy time"
                    message = (f"{subject(fs)} uses One Zone storage in {where}{when(span.branch)}: an "
                               "outage of that Availability Zone makes the data unavailable (and can lose it). Use "
                               "Regional storage (remove the AZ name) with a mount target in each AZ.")
                else:
                    message = (f"{subject(fs)} is reachable only through {span.describe()}"
                               f"{when(span.branch)}: when that Availability Zone fails, every client loses the file "
                               "system. Create a mount target in each AZ your clients run in.")
                yield self.finding(fs, message, line=fs.line_of(span.prop),
                                   detail=span.prop or "mount_targets", branch=span.branch)
