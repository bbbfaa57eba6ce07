"""One rule entry, one finding: NS403 states NS401/NS402 on its entry, after selection and
suppression (with NS403 off or suppressed, NS401 and NS402 report as before)."""

from __future__ import annotations

from pathlib import Path

from helpers import report

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  OpenSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: everything open
      SecurityGroupIngress:
        - IpProtocol: "-1"{comment}
          CidrIp: 0.0.0.0/0
"""


def _on_entry(doc: dict) -> list[tuple[int, str]]:
    return sorted((f["line"], f["rule_id"]) for f in doc["findings"] if f["rule_id"].startswith("NS40"))


def test_all_traffic_entry_is_one_finding_naming_the_ports(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE.format(comment=""))
    _, doc = report(str(tmp_path / "t.yaml"), "--select", "NS4")
    assert _on_entry(doc) == [(8, "NS403")]
    message = doc["findings"][0]["message"]
    assert "SSH (22) and RDP (3389)" in message and "5432" in message and "27017" in message


def test_with_ns403_ignored_ns401_and_ns402_report(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE.format(comment=""))
    _, doc = report(str(tmp_path / "t.yaml"), "--select", "NS4", "--ignore", "NS403")
    assert _on_entry(doc) == [(8, "NS401"), (8, "NS402")]
    _, doc = report(str(tmp_path / "t.yaml"), "--select", "NS401,NS402")
    assert _on_entry(doc) == [(8, "NS401"), (8, "NS402")]


def test_with_ns403_suppressed_ns401_and_ns402_report(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE.format(comment=" # ha-lint: ignore[NS403] a honeypot, open on purpose"))
    _, doc = report(str(tmp_path / "t.yaml"), "--select", "NS4")
    assert _on_entry(doc) == [(8, "NS401"), (8, "NS402")]
    assert not [f for f in doc["findings"] if f["rule_id"] == "HL003"]  # the suppression was used
