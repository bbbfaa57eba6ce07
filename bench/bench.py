#!/usr/bin/env python3
"""Benchmark ha-lint (and, when installed, Checkov) on synthetic and real workloads.

Not a test: it measures. Run from the repository root after installing ha-lint:

    python bench/bench.py                          # synthetic sizes + ../shared/corpus
    python bench/bench.py --checkov /path/to/venv/bin/checkov
    python bench/bench.py --quick                  # smaller series, for a quick look

Each measurement runs ha-lint as a fresh process (cold start included) and reads the
process's own peak RSS from wait4(). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

# Checkov's checks closest to ha-lint's scope (HA, backup, network), used for the comparison.
CHECKOV_CHECKS = ",".join([
    "CKV_AWS_157", "CKV_AWS_133", "CKV_AWS_128", "CKV_AWS_162", "CKV_AWS_293", "CKV_AWS_354",
    "CKV_AWS_28", "CKV_AWS_165", "CKV_AWS_21", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260",
    "CKV_AWS_277", "CKV_AWS_17", "CKV_AWS_29", "CKV_AWS_31", "CKV_AWS_191", "CKV_AWS_67",
    "CKV_AWS_36", "CKV_AWS_27", "CKV_AWS_116", "CKV_AWS_115", "CKV_AWS_173", "CKV_AWS_45",
    "CKV_AWS_41", "CKV_AWS_46", "CKV_AWS_149", "CKV_AWS_230", "CKV_AWS_229", "CKV_AWS_232",
])


@dataclass
class Measure:
    seconds: float
    peak_mib: float  # the largest sum of RSS over the process and all its descendants
    files: int | None = None
    resources: int | None = None
    exit_code: int = 0


# Measured as installed: pip writes bytecode at install time, so the runs may keep theirs
# (PYTHONDONTWRITEBYTECODE=1, set on some machines, would recompile ~100 modules per run:
# about 0.15 s more on every start).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and every descendant, from /proc (Linux)."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    stack.extend(int(c) for c in children.read().split())
        except (OSError, ValueError):
            continue  # the process ended meanwhile
    return total


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[Measure, str]:
    """Run ``cmd`` as a fresh process; wall time, and peak memory of its whole process tree
    (worker processes included: ru_maxrss alone would count only the largest process),
    sampled every 20 ms and never below the kernel's ru_maxrss of the main process."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, cwd=cwd, env=env or _ENV)
        peak_kib = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kib = max(peak_kib, _tree_rss_kib(proc.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    peak_kib = max(peak_kib, usage.ru_maxrss)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measure(seconds, peak_kib / 1024, exit_code=proc.returncode), text


def ha_lint(paths: list[Path], extra: list[str] | None = None) -> Measure:
    cmd = [sys.executable, "-m", "ha_lint", *map(str, paths), "--format", "json",
           "--allow-load-errors", "--fail-on", "never", *(extra or [])]
    measure, text = run(cmd)
    try:
        summary = json.loads(text)["summary"]
        measure.files, measure.resources = summary["files"], summary["resources"]
    except (ValueError, KeyError):
        pass
    return measure


def checkov(binary: str, path: Path) -> Measure:
    # Checkov 3.3.30 on the whole corpus hangs for ever in its fork parallelizer (the parent
    # waits for a worker that is blocked writing its results to the pipe between them; seen
    # twice here, after ~13 min of CPU), so it runs in one process, as the worker did anyway
    # on these 2 cores. The report goes to a file.
    env = {**_ENV, "CHECKOV_PARALLELIZATION_TYPE": "none"}
    with tempfile.TemporaryDirectory() as out:
        cmd = [binary, "-f" if path.is_file() else "-d", str(path), "--framework", "cloudformation", "terraform",
               "--check", CHECKOV_CHECKS, "--quiet", "--compact", "-o", "json", "--output-file-path", out,
               "--skip-download"]
        measure, _ = run(cmd, env=env)
    return measure


# -- synthetic workloads -----------------------------------------------------------------

def cfn_template(resources: int, seed: int = 0) -> str:
    """A CloudFormation stack of about ``resources`` resources: VPC, subnets in 2 AZs,
    security groups, RDS, ASGs, queues."""
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:",
             "  Vpc:", "    Type: AWS::EC2::VPC", "    Properties:", "      CidrBlock: 10.0.0.0/16"]
    count = 1
    i = 0
    while count < resources:
        az = i % 2
        block = [
            f"  Subnet{i}:", "    Type: AWS::EC2::Subnet", "    Properties:", "      VpcId: !Ref Vpc",
            f"      CidrBlock: 10.0.{i % 250}.0/24", f"      AvailabilityZone: !Select [{az}, !GetAZs '']",
            f"  Sg{i}:", "    Type: AWS::EC2::SecurityGroup", "    Properties:", f"      GroupDescription: sg {i}",
            "      VpcId: !Ref Vpc", "      SecurityGroupIngress:", "        - IpProtocol: tcp",
            f"          FromPort: {22 if i % 7 == 0 else 443}", f"          ToPort: {22 if i % 7 == 0 else 443}",
            "          CidrIp: 0.0.0.0/0",
            f"  Db{i}:", "    Type: AWS::RDS::DBInstance", "    Properties:", "      Engine: postgres",
            "      DBInstanceClass: db.t3.medium", "      AllocatedStorage: '20'",
            f"      MultiAZ: {'true' if i % 3 else 'false'}", f"      BackupRetentionPeriod: {i % 8}",
            f"      VPCSecurityGroups: [!Ref Sg{i}]",
            f"  Queue{i}:", "    Type: AWS::SQS::Queue",
            f"  Asg{i}:", "    Type: AWS::AutoScaling::AutoScalingGroup", "    Properties:",
            "      MinSize: '2'", "      MaxSize: '4'", f"      VPCZoneIdentifier: [!Ref Subnet{i}]",
        ]
        lines.extend(block)
        count += 5
        i += 1
    return "\n".join(lines) + "\n"


def tf_module(resources: int) -> str:
    parts = ['resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n',
             'data "aws_availability_zones" "available" {}\n']
    count = 1
    i = 0
    while count < resources:
        parts.append(f'''
resource "aws_subnet" "s{i}" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.{i % 250}.0/24"
  availability_zone = data.aws_availability_zones.available.names[{i % 2}]
}}

resource "aws_security_group" "sg{i}" {{
  vpc_id = aws_vpc.main.id
  ingress {{
    from_port   = {22 if i % 7 == 0 else 443}
    to_port     = {22 if i % 7 == 0 else 443}
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_db_instance" "db{i}" {{
  engine                  = "postgres"
  instance_class          = "db.t3.medium"
  multi_az                = {"true" if i % 3 else "false"}
  backup_retention_period = {i % 8}
  vpc_security_group_ids  = [aws_security_group.sg{i}.id]
}}

resource "aws_sqs_queue" "q{i}" {{
  name = "q{i}"
}}

resource "aws_autoscaling_group" "asg{i}" {{
  min_size            = 2
  max_size            = 4
  vpc_zone_identifier = [aws_subnet.s{i}.id]
}}
''')
        count += 5
        i += 1
    return "".join(parts)


def make_single(root: Path, language: str, resources: int) -> Path:
    if language == "cfn":
        path = root / f"cfn-{resources}.yaml"
        path.write_text(cfn_template(resources))
        return path
    directory = root / f"tf-{resources}"
    directory.mkdir(exist_ok=True)
    (directory / "main.tf").write_text(tf_module(resources))
    return directory


def make_repo(root: Path, files: int) -> Path:
    repo = root / f"repo-{files}"
    repo.mkdir()
    for n in range(files):
        if n % 2:
            (repo / f"stack{n}.yaml").write_text(cfn_template(20))
        else:
            d = repo / f"module{n}"
            d.mkdir()
            (d / "main.tf").write_text(tf_module(20))
    return repo


def make_replicated(root: Path, copies: int) -> Path:
    """One Terraform root calling every rule's Terraform fixture module ``copies`` times: every
    rule's query at scale in one workload (an all-pairs query shows up as super-linear time)."""
    directory = root / f"fixtures-x{copies}"
    modules = sorted(p for p in (ROOT / "fixtures").glob("*/tf_*") if p.is_dir() and p.name in ("tf_bad", "tf_good"))
    calls = []
    for module in modules:
        name = f"{module.parent.name}_{module.name}"
        shutil.copytree(module, directory / "modules" / name)
        calls += [f'module "{name}_{i}" {{\n  source = "./modules/{name}"\n}}\n' for i in range(copies)]
    (directory / "main.tf").write_text("".join(calls))
    return directory


# -- report ------------------------------------------------------------------------------

def row(name: str, m: Measure, files: int | None = None) -> str:
    files = m.files if m.files is not None else files
    fps = f"{files / m.seconds:,.0f}" if files else "-"
    rps = f"{m.resources / m.seconds:,.0f}" if m.resources else "-"
    return f"| {name} | {m.seconds:.2f} | {files if files is not None else '-'} | {fps} | {m.resources or '-'} | {rps} | {m.peak_mib:,.0f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", help="path to a checkov executable (run in its own venv)")
    parser.add_argument("--quick", action="store_true", help="smaller series")
    parser.add_argument("--corpus", default=str(CORPUS), help="real templates to scan (default ../shared/corpus)")
    parser.add_argument("--no-corpus", action="store_true")
    args = parser.parse_args()
    checkov_bin = args.checkov or shutil.which("checkov")

    print("| workload | wall s | files | files/s | resources | resources/s | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ha_lint([make_single(root, "cfn", 10)])  # warm-up: bytecode written, file-system caches filled
        small_cfn = make_single(root, "cfn", 10)
        small_tf = make_single(root, "tf", 10)
        for name, path in (("single small CFN template (pre-commit case)", small_cfn),
                           ("single small Terraform module (pre-commit case)", small_tf)):
            best = min((ha_lint([path], ["--no-cache"] if _has_cache() else []) for _ in range(5)),
                       key=lambda m: m.seconds)
            print(row(name, best))
            if checkov_bin:
                ck = min((checkov(checkov_bin, path) for _ in range(3)), key=lambda m: m.seconds)
                print(row(f"Checkov, {name}", ck, 1) + f" ({ck.seconds / best.seconds:.0f}x ha-lint's time)")
        sizes = (10, 100, 1000) if args.quick else (10, 100, 1000, 10000)
        series: dict[str, list[tuple[int, float]]] = {"cfn": [], "tf": [], "fixtures replicated": []}
        for language in ("cfn", "tf"):
            for size in sizes:
                path = make_single(root, language, size)
                m = ha_lint([path], ["--no-cache"] if _has_cache() else [])
                series[language].append((m.resources or size, m.seconds))
                print(row(f"{language.upper()} {size} resources", m))
        for copies in ((5, 10) if args.quick else (5, 10, 20, 40)):
            m = ha_lint([make_replicated(root, copies)], ["--no-cache"] if _has_cache() else [])
            series["fixtures replicated"].append((m.resources or 0, m.seconds))
            print(row(f"every Terraform fixture x{copies}, one root module", m))
        for files in ((10, 100) if args.quick else (10, 100, 1000)):
            repo = make_repo(root, files)
            m = ha_lint([repo], ["--no-cache"] if _has_cache() else [])
            print(row(f"repository of {files} files", m))
        corpus = Path(args.corpus)
        if not args.no_corpus and corpus.is_dir():
            cold = ha_lint([corpus], ["--no-cache"] if _has_cache() else [])
            print(row("shared/corpus (cold)", cold))
            if _has_cache():
                cache_dir = root / "cache"
                ha_lint([corpus], ["--cache-dir", str(cache_dir)])
                warm = ha_lint([corpus], ["--cache-dir", str(cache_dir)])
                print(row("shared/corpus (warm cache)", warm))
                print(f"\nwarm/cold: {cold.seconds / warm.seconds:.1f}x faster")
            if checkov_bin:
                ck = checkov(checkov_bin, corpus)
                print(row("Checkov, HA/backup/network checks, shared/corpus", ck, cold.files))
                print(f"\nha-lint vs Checkov on the corpus: {ck.seconds / cold.seconds:.1f}x faster, "
                      f"{cold.peak_mib / ck.peak_mib:.2f}x the peak memory")
        print("\nScaling (time ratio when resources double, ideal <= 2.2):")
        for language, points in series.items():
            ratios = []
            for (r1, t1), (r2, t2) in zip(points, points[1:]):
                if r1 and t1:
                    # normalise to a doubling: (t2/t1) ** (log 2 / log(r2/r1))
                    import math
                    ratios.append((t2 / t1) ** (math.log(2) / math.log(r2 / r1)))
            print(f"  {language}: " + ", ".join(f"{r:.2f}" for r in ratios))
    return 0


def _has_cache() -> bool:
    out = subprocess.run([sys.executable, "-m", "ha_lint", "scan", "--help"], capture_output=True, text=True).stdout
    return "--no-cache" in out


if __name__ == "__main__":
    raise SystemExit(main())
