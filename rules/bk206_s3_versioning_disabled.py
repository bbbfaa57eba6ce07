from ha_lint.engine import Rule
from ha_lint.queries.backup import versioning_states
from ha_lint.values import when
from ha_lint.wording import spelled, subject


class S3VersioningDisabled(Rule):
    id = "BK206"
    name = "s3-versioning-disabled"
    severity = "low"
    since = "0.1.0"
    summary = "S3 bucket without versioning: an overwrite or delete destroys the only copy of an object."
    tags = ("backup", "rpo", "s3")
    docs = """
    ## What it does
    Flags S3 buckets whose versioning is not enabled, resolved across resources:
    `VersioningConfiguration: {Status: Enabled}` (CloudFormation), the inline
    `versioning { enabled = true }` block (Terraform AWS provider v3), or a separate
    `aws_s3_bucket_versioning` whose `bucket` references the bucket (or names it) with
    `status = "Enabled"`. `Suspended` and absent are flagged. Object Lock
    (`ObjectLockEnabled`, `object_lock_enabled`) turns versioning on for good.
    An `aws_s3_bucket_versioning` whose bucket cannot be resolved
    (`bucket = var.name`) may belong to any bucket of its module whose own name is
    unresolved too, which is then not flagged; when every bucket of the module has a
    known name it may belong to any of them, and none is flagged. A bucket that has a
    versioning resource of its own is decided by that one. The finding points at the
    bucket (at its `VersioningConfiguration` / `versioning` when written inline).

    ## Why it matters
    Without versioning, an overwritten or deleted object is gone: an application bug, a
    compromised credential or a mistaken `aws s3 rm --recursive` loses data with no
    restore point. Versioning keeps every prior version (RPO 0 for those events) and is
    required for S3 replication and AWS Backup of S3 (REL 9).

    ## Example
    ```yaml
    Uploads:
      Type: AWS::S3::Bucket
      Properties:
        BucketName: example-uploads
    ```
    ```hcl
    resource "aws_s3_bucket" "uploads" {
      bucket = "example-uploads"
    }
    ```

    ## Use instead
    ```yaml
    Uploads:
      Type: AWS::S3::Bucket
      Properties:
        BucketName: example-uploads
        VersioningConfiguration:
          Status: Enabled
    ```
    ```hcl
    resource "aws_s3_bucket_versioning" "uploads" {
      bucket = aws_s3_bucket.uploads.id
      versioning_configuration {
        status = "Enabled"
      }
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data)
    - Amazon S3 User Guide: Using versioning in S3 buckets
    - Equivalent: Checkov CKV_AWS_21, Trivy AWS-0090 (s3-enable-versioning)
    """

    def check(self, arch):
        for bucket in arch.of_kind("s3_bucket"):
            for state in versioning_states(arch, bucket):
                if state.enabled is not False:
                    continue
                yield self.finding(
                    bucket,
                    f"{subject(bucket)} is not versioned: {state.why}{when(state.branch)}. "
                    "An overwrite or delete destroys the only copy of an object; enable versioning ("
                    + spelled(bucket, "VersioningConfiguration: {Status: Enabled}",
                              'an aws_s3_bucket_versioning with status = "Enabled"') + ").",
                    line=state.line, detail="versioning", branch=state.branch,
                )
