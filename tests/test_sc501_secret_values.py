"""SC501 by value: secrets found by their form, and never shown whole in any output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from conftest import run_cli as ha_lint
from ha_lint.secret_formats import has_access_key_id, masked, secret_access_keys, shell_secrets, token_secrets

SC501 = FIXTURES / "SC501"
# Every secret the value fixtures hold (the user-data password is the only one not in a known format).
SECRETS = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d",
    "AIzaYgCfrL1spNxnyVmihA-2O76UMFxFkM-R5Kj",
    "sk_live_hGAkWvj7FAc9QeWJKY40uvSw",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "Pr0d-db-pass-2024",
    "hunter2hunter2",
)
FORMATS = ("text", "json", "sarif", "markdown", "junit", "github")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """The SC501 value and user-data fixtures, plus a module call whose literal input decides
    a finding inside the module (reported at the call, with the input as related location)."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("cfn_value_bad.yaml", "cfn_userdata_bad.yaml"):
        shutil.copy(SC501 / name, root / name)
    for name in ("tf_value_bad", "tf_userdata_bad"):
        shutil.copytree(SC501 / name, root / name)
    (root / "tf_module" / "app").mkdir(parents=True)
    (root / "tf_module" / "main.tf").write_text(
        'module "app" {\n  source = "./app"\n  users  = { app = "hunter2hunter2" }\n'
        '  key_id = "AKIAIOSFODNN7EXAMPLE"\n}\n')
    (root / "tf_module" / "app" / "main.tf").write_text(
        'variable "users" {}\nvariable "key_id" {}\n'
        'resource "aws_db_instance" "d" {\n  for_each = var.users\n  password = each.value\n  engine = "postgres"\n}\n'
        'resource "aws_instance" "i" {\n  ami  = "ami-0123456789abcdef0"\n  tags = { Owner = "x ${var.key_id}" }\n}\n')
    return root


def test_no_output_format_or_baseline_holds_a_whole_secret(project: Path, tmp_path: Path) -> None:
    outputs = {}
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        run = ha_lint(str(project), "--select", "SC501", "--no-cache", "--format", fmt, "--output", str(out))
        assert run.returncode == 1, run.stderr
        outputs[fmt] = out.read_text(encoding="utf-8") + run.stdout + run.stderr
    baseline = tmp_path / "baseline.json"
    run = ha_lint(str(project), "--select", "SC501", "--no-cache", "--write-baseline", str(baseline))
    assert run.returncode == 0, run.stderr
    outputs["baseline"] = baseline.read_text(encoding="utf-8")
    for fmt, text in outputs.items():
        for secret in SECRETS:
            assert secret not in text, f"{fmt} output shows {secret[:4]}... whole"
    # The findings are there, shown by their first four characters and length.
    assert "AKIA… (20 characters)" in outputs["text"]
    assert "DB_PASSWORD: Pr0d… (17 characters)" in outputs["text"]
    assert "module app input key_id (value not shown)" in outputs["json"]
    assert outputs["text"].count("SC501") >= 15


def test_formats_and_placeholders() -> None:
    assert [m.kind for m in token_secrets("k=AKIAIOSFODNN7EXAMPLE")] == ["AWS access key ID"]
    assert token_secrets("AKIAXXXXXXXXXXXXXXXX ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") == []
    assert token_secrets("arn:aws:sqs:us-east-1:123456789012:AKIAIOSFODNN7EXAMPLEqueue") == []
    assert [m.kind for m in token_secrets("-----BEGIN EC PRIVATE KEY-----")] == ["private key"]
    assert token_secrets("-----BEGIN PUBLIC KEY-----") == []
    # A digest is hex; a secret access key mixes cases and digits.
    assert secret_access_keys("2f1c8e4b9a7d6c5e3f2a1b0c9d8e7f6a5b4c3d2e") == []
    assert len(secret_access_keys("x=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")) == 1
    assert has_access_key_id("AKIAIOSFODNN7EXAMPLE") and not has_access_key_id("AKIAXXXXXXXXXXXXXXXX")
    assert masked("AKIAIOSFODNN7EXAMPLE") == "AKIA… (20 characters)"


def test_shell_text_literals_and_run_time_values() -> None:
    def secret_name(name: str) -> bool:
        return name.upper().endswith(("PASSWORD", "TOKEN", "SECRET_ACCESS_KEY"))

    found = shell_secrets("export DB_PASSWORD=Pr0d-db-pass-2024\nmysql --password 'hunter2hunter2' db\n"
                          "API_TOKEN: s3cr3t-t0ken\n", secret_name)
    assert [(m.name, m.secret) for m in found] == [
        ("DB_PASSWORD", "Pr0d-db-pass-2024"), ("--password", "hunter2hunter2"), ("API_TOKEN", "s3cr3t-t0ken")]
    quiet = ("export DB_PASSWORD=${DbPassword}\nexport API_TOKEN=$(aws secretsmanager get-secret-value)\n"
             "docker login --password-stdin\ngitea admin --must-change-password=false\n"
             "PASSWORD=<your password>\nexport AWS_SECRET_ACCESS_KEY=bar\nDB_PASSWORD_FILE=/run/secrets/db\n")
    assert shell_secrets(quiet, secret_name) == []
