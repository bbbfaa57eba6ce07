from ha_lint.engine import Rule
from ha_lint.queries.backup import plan_rules
from ha_lint.wording import spelled, subject


class BackupNotCopiedCrossRegion(Rule):
    id = "DR305"
    name = "backup-not-copied-cross-region"
    severity = "medium"
    since = "0.1.0"
    summary = "AWS Backup plan rule that copies no backup to a vault in another Region."
    tags = ("dr", "rpo", "backup")
    docs = """
    ## What it does
    Flags each rule of an `AWS::Backup::BackupPlan` (`BackupPlanRule`) / `aws_backup_plan`
    (`rule {}`) with no copy action (`CopyActions`, `copy_action {}`) to a backup vault in
    another Region. The destination's Region comes from the vault ARN
    (`arn:aws:backup:<region>:...`) or from the vault resource it references (its
    Terraform provider's Region). A destination whose Region cannot be resolved (a
    parameter, `${AWS::Region}` left unset) may be another Region: not flagged.
    A copy to another account in the same Region protects against account
    compromise but not a Regional outage, so it does not satisfy this rule. A destination
    ARN with any unresolved part (`${AWS::AccountId}`, a data source's account ID) is
    unknown as a whole, so it is not flagged either. The finding points at the rule's name
    (`RuleName`, `rule_name`; a `dynamic "rule"` block for the rules it writes) when the
    rule has no copy action, and at the first copy destination when every copy stays in
    the Region.

    ## Why it matters
    Backups kept only in the Region they protect are lost, or unreachable, with that
    Region: after a Regional outage there is nothing to restore elsewhere, and the
    backup-and-restore DR strategy has no backups to restore. A copy action puts each
    recovery point in the recovery Region (RPO = the backup interval) (REL 9, REL 13).

    ## Example
    ```yaml
    Plan:
      Type: AWS::Backup::BackupPlan
      Properties:
        BackupPlan:
          BackupPlanName: daily
          BackupPlanRule:
            - RuleName: daily
              TargetBackupVault: !Ref Vault
              ScheduleExpression: cron(0 5 ? * * *)
    ```
    ```hcl
    resource "aws_backup_plan" "daily" {
      name = "daily"
      rule {
        rule_name         = "daily"
        target_vault_name = aws_backup_vault.main.name
        schedule          = "cron(0 5 ? * * *)"
      }
    }
    ```

    ## Use instead
    ```yaml
    Plan:
      Type: AWS::Backup::BackupPlan
      Properties:
        BackupPlan:
          BackupPlanName: daily
          BackupPlanRule:
            - RuleName: daily
              TargetBackupVault: !Ref Vault
              ScheduleExpression: cron(0 5 ? * * *)
              CopyActions:
                - DestinationBackupVaultArn: arn:aws:backup:eu-central-1:111122223333:backup-vault:dr
    ```
    ```hcl
    resource "aws_backup_plan" "daily" {
      name = "daily"
      rule {
        rule_name         = "daily"
        target_vault_name = aws_backup_vault.main.name
        schedule          = "cron(0 5 ? * * *)"
        copy_action {
          # or aws_backup_vault.dr.arn, a vault whose provider is another Region
          destination_vault_arn = "arn:aws:backup:eu-central-1:111122223333:backup-vault:dr"
        }
      }
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 9 (back up data), REL 13 (plan for disaster recovery)
    - AWS Backup Developer Guide: Creating backup copies across AWS Regions
    - Equivalent: none in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for plan in arch.of_kind("backup_plan"):
            for rule in plan_rules(arch, plan):
                if rule.copied_cross_region is not False:
                    continue
                name = rule.name if isinstance(rule.name, str) else f"#{rule.index + 1}"
                line = rule.line
                if rule.copies:
                    line = next((c.line for c in rule.copies if c.line), line)
                    where = ", ".join(f"{c.destination} ({c.region if isinstance(c.region, str) else 'same Region'})"
                                      for c in rule.copies)
                    problem = f"copies only to vaults in the same Region: {where}"
                else:
                    problem = "has no copy action"
                yield self.finding(
                    plan,
                    f"{subject(plan)} rule {name} {problem}. Its recovery points are lost with the "
                    f"Region; add a copy action ({spelled(plan, 'CopyActions', 'copy_action {}')}) to a vault in the "
                    "recovery Region.",
                    line=line, detail=f"rule:{name}",
                )
