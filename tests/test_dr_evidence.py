"""One answer to "is it backed up, where are its copies": BK204, BK208, the DR posture and the
resilience model read the same queries (issue 20), and the text report puts info findings last."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES
from ha_lint.engine import all_rules, select
from ha_lint.queries import backup, dr, replication
from ha_lint.reporters.text import render
from ha_lint.resilience.model import DEGRADED, FAILS_OVER, analyse
from ha_lint.scan import ScanSettings, scan


def _arch(*paths: Path):
    result = scan(ScanSettings(paths=[str(p) for p in paths], jobs=1), [])
    assert result.errors == []
    return result.architecture


def _by_address(arch, address):
    return next(r for r in arch.resources if r.address == address)


def test_aws_backup_selection_is_backup_evidence_for_every_reader() -> None:
    arch = _arch(FIXTURES / "BK204" / "cfn_good_aws_backup.yaml")
    sels = backup.selections(arch)
    # by a built ARN (!Sub ...:db:${Db}), by !GetAtt, by tag
    for address in ("Db", "Files", "Orders"):
        coverage = backup.backup_coverage(arch, _by_address(arch, address), sels)
        assert coverage.covered is True and coverage.kept is True, address
    posture = dr.dr_posture(arch, next(iter(arch.workloads)))
    backed = {e.resource.address for e in posture.of_kind("backup") if e.resource is not None and e.certain}
    assert {"Db", "Files", "Orders"} <= backed
    assert not posture.of_kind("unprotected-data")


def test_a_force_destroyed_vault_keeps_nothing_after_a_destroy() -> None:
    arch = _arch(FIXTURES / "BK204" / "tf_bad_vault_force_destroy")
    coverage = backup.backup_coverage(arch, _by_address(arch, "aws_db_instance.main"))
    assert coverage.covered is True  # BK208 and the DR posture: it is backed up
    assert coverage.kept is False  # BK204: the destroy empties the vault


def test_literal_arn_names_a_resource_of_its_own_template_only() -> None:
    good = FIXTURES / "BK204" / "tf_good_aws_backup"
    arch = _arch(good, FIXTURES / "BK204" / "tf_bad_vault_force_destroy")
    sel = next(s for s in backup.selections(arch) if s.owner.file.startswith(str(good)))
    mine = next(r for r in arch.of_kind("rds_instance") if r.file.startswith(str(good)))
    other = next(r for r in arch.of_kind("rds_instance") if r is not mine)
    assert backup.arn_pattern_selects("arn:aws:rds:eu-west-1:111122223333:db:billing", mine, sel.owner) is True
    assert backup.arn_pattern_selects("arn:aws:rds:eu-west-1:111122223333:db:ledger", other, sel.owner) is False
    assert backup.arn_pattern_selects("arn:aws:rds:*:*:db:*", other, sel.owner) is True


def test_replica_by_identifier_is_same_region_and_alias_provider_may_differ() -> None:
    same = _arch(FIXTURES / "DR306" / "tf_bad_same_region_replica")
    assert replication.replica_cross_region(same, _by_address(same, "aws_db_instance.replica")) is False
    assert replication.rds_cross_region(same, _by_address(same, "aws_db_instance.main")) is False
    cross = _arch(FIXTURES / "DR306" / "tf_good_cross_region_replica")
    assert replication.replica_cross_region(cross, _by_address(cross, "aws_db_instance.replica")) is True
    assert replication.rds_cross_region(cross, _by_address(cross, "aws_db_instance.main")) is True


def test_replication_copy_is_not_data_in_the_resilience_model() -> None:
    arch = _arch(FIXTURES / "DR307" / "tf_good_replica_alias")
    [model] = analyse(arch)
    by_address = {c.address: c for c in model.components}
    copy, source = by_address["aws_s3_bucket.replica"], by_address["aws_s3_bucket.data"]
    regions = {s.target: s.outcomes for s in model.scenarios if s.kind == "region"}
    assert set(regions) == {"eu-west-1", "eu-central-1"}
    assert regions["eu-central-1"][copy.uid].verdict == DEGRADED  # losing the copy loses no data
    assert regions["eu-central-1"][source.uid].cause is None  # the source never depends on its copy
    assert regions["eu-west-1"][source.uid].verdict == FAILS_OVER
    assert model.misses == []


def test_logging_stack_is_not_a_workload() -> None:
    arch = _arch(FIXTURES / "DR306" / "cfn_good_logging_stack.yaml", FIXTURES / "DR306" / "tf_good_config_recorder")
    sinks = {r.address for r in arch.resources if r.uid in dr.log_sinks(arch)}
    assert sinks == {"TrailBucket", "ConfigBucket", "AccessLogs", "aws_s3_bucket.config", "aws_s3_bucket.flow_logs"}
    assert dr.significant_workloads(arch) == []


def test_text_report_lists_info_findings_after_the_defects_of_a_file() -> None:
    rules = [cls() for cls in select(all_rules(), ["DR306", "BK204", "BK208"], None)]
    result = scan(ScanSettings(paths=[str(FIXTURES / "BK204" / "cfn_bad_aws_backup_elsewhere.yaml")], jobs=1), rules)
    severities = [f.severity for f in result.findings]
    assert "info" in severities and len(set(severities)) > 1
    lines = [line for line in render(result, {}).splitlines() if line.startswith("  ") and not line.startswith("      ")]
    shown = ["[info]" in line for line in lines]
    assert shown == sorted(shown)  # every info line after every other
    assert shown[-1] is True


def test_backup_and_restore_names_the_data_it_cannot_restore(tmp_path: Path) -> None:
    """A workload with one database backed up and one with backups off is "backup and restore"
    only for the first: DR306 (and the resilience report) say that part of the data has no
    backup and name it first (third precision review: terraform-aws-rds's complete-mysql read
    as backed up while module db_default keeps no backup)."""
    template = tmp_path / "two_databases.yaml"
    template.write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n'
        '  Orders:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n'
        '      DBInstanceClass: db.m6g.large\n      MultiAZ: true\n      BackupRetentionPeriod: 14\n'
        '  Scratch:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n'
        '      DBInstanceClass: db.m6g.large\n      MultiAZ: true\n      BackupRetentionPeriod: 0\n')
    arch = _arch(template)
    posture = dr.dr_posture(arch, next(iter(arch.workloads)))
    assert posture.strategy == "backup-restore"
    text = posture.describe()
    assert text.startswith("backup and restore, with backups in this Region only, and none for part of its data ("), text
    assert text.index("Scratch: no backup found") < text.index("Orders: automated backups"), text
    rules = [cls() for cls in select(all_rules(), ["DR306"], None)]
    [finding] = scan(ScanSettings(paths=[str(template)], jobs=1), rules).findings
    assert "and none for part of its data (Scratch: no backup found;" in finding.message, finding.message

    template.write_text(template.read_text().replace("BackupRetentionPeriod: 0", "BackupRetentionPeriod: 7"))
    arch = _arch(template)
    text = dr.dr_posture(arch, next(iter(arch.workloads))).describe()
    assert "no backup" not in text and "part of its data" not in text, text


def test_a_cloudfront_origin_group_across_regions_is_a_failover_path() -> None:
    """CloudFront origin failover (an origin group of two origins) is a Regional failover path
    when the origins sit in different Regions (or one is outside the scanned set), not when
    both are buckets of one stack (class hunt of the third precision review: checkov's
    CloudfrontDistributionOriginFailover was told it had no failover path at all)."""
    arch = _arch(FIXTURES / "DR306" / "tf_good_origin_failover")
    posture = dr.dr_posture(arch, next(iter(arch.workloads)))
    [evidence] = posture.of_kind("origin-failover")
    assert evidence.certain and evidence.text == "CloudFront origin group site of aws_cloudfront_distribution.site"
    assert posture.failover_path is True

    arch = _arch(FIXTURES / "DR306" / "cfn_good_origin_failover.yaml")
    posture = dr.dr_posture(arch, next(iter(arch.workloads)))
    [evidence] = posture.of_kind("origin-failover")
    assert not evidence.certain and evidence.text.startswith("maybe CloudFront origin group site of Cdn")

    arch = _arch(FIXTURES / "DR306" / "cfn_bad_origin_group_one_region.yaml")
    posture = dr.dr_posture(arch, next(iter(arch.workloads)))
    assert posture.of_kind("origin-failover") == [] and posture.failover_path is False
