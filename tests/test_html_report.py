"""``ha-lint resilience --format html``: one self-contained page, rendered in headless Chromium
(the diagram and the scenario table must be laid out, not only present in the source)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli

WORKLOADS = FIXTURES / "workloads"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it when it "
                "can): the HTML report is checked without a browser only")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    run = run_cli("resilience", str(WORKLOADS / "three_tier_single_az" / "cfn"), "--no-config", "--format", "html",
                  "-o", str(out))
    assert run.returncode == 0, run.stderr
    return out


def test_page_is_self_contained(report):
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r'(src|href)="https?://', page)  # nothing fetched: sources are cited as text only
    assert "<svg" in page and 'class="scenarios"' in page and 'class="findings"' in page
    assert "rds-restore-from-backup" in page and "docs.aws.amazon.com" in page


@pytest.mark.slow  # headless Chromium
def test_chromium_renders_diagram_and_table(report, tmp_path):
    browser = chromium()
    profile = tmp_path / "profile"
    # A script run only by the test (the report has none) measures what the browser laid out.
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text().replace("</body>", """<script>
      const svg = document.querySelector('svg.architecture').getBoundingClientRect();
      const boxes = [...document.querySelectorAll('g.component rect')].filter(r => r.getBoundingClientRect().width > 50);
      const cells = [...document.querySelectorAll('table.scenarios td')].filter(td => td.getBoundingClientRect().height > 5);
      const down = [...document.querySelectorAll('table.scenarios td.v-down')]
          .map(td => getComputedStyle(td).backgroundColor);
      document.body.setAttribute('data-probe', JSON.stringify({svgWidth: svg.width, svgHeight: svg.height,
          boxes: boxes.length, cells: cells.length, down: down[0]}));
    </script></body>"""))
    run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    match = re.search(r"data-probe=\"([^\"]+)\"", run.stdout)
    assert match, run.stdout[:500]
    import html
    import json

    probe_data = json.loads(html.unescape(match.group(1)))
    assert probe_data["svgWidth"] > 300 and probe_data["svgHeight"] > 150
    assert probe_data["boxes"] == 3  # load balancer, Auto Scaling group, database
    assert probe_data["cells"] >= 3 * 4  # 3 components x (role + 3 scenarios)
    assert probe_data["down"] == "rgb(248, 200, 200)"  # the verdict colours are applied


@pytest.mark.slow  # headless Chromium
def test_chromium_screenshot(report, tmp_path):
    browser = chromium()
    shot = tmp_path / "shot.png"
    run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p'}", f"--screenshot={shot}",
                          "--window-size=1300,1000", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


# -- the README's picture: a Terraform project whose one NAT gateway serves both AZs ----------

QUICKSTART = ROOT / "examples" / "quickstart"


def _picture_script():
    spec = importlib.util.spec_from_file_location("resilience_picture", ROOT / "scripts" / "resilience_picture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # headless Chromium
def test_readme_picture_shows_the_nat_gateway_as_a_single_point_of_failure_and_every_finding(tmp_path):
    """scripts/resilience_picture.py (which regenerates docs/resilience-report.png) photographs
    the report of examples/quickstart; what headless Chromium laid out shows the NAT gateway in
    red in its AZ's column and in the list of single points of failure, and every finding of a
    scan of the same project in the findings table with its file and line."""
    chromium()  # skips without a browser
    script = _picture_script()
    shot = tmp_path / "resilience-report.png"
    seen = script.picture(QUICKSTART, shot, tmp_path)

    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width == script.WIDTH and height == min(seen["height"] + 16, script.MAX_HEIGHT)
    assert height > 1000 and len(data) > 50_000  # the whole page, not a blank window

    assert seen["title"] == "examples/quickstart"
    columns = {c["name"]: c["box"] for c in seen["columns"]}
    assert list(columns) == ["AZ eu-west-1a", "AZ eu-west-1b"]
    boxes = {c["address"]: c for c in seen["components"]}
    nat = boxes["aws_nat_gateway.main"]
    assert nat["spof"] and nat["fill"] == "rgb(248, 200, 200)"  # drawn red
    left, _, col_width, _ = columns["AZ eu-west-1a"]
    assert left <= nat["box"][0] and nat["box"][0] + nat["box"][2] <= left + col_width  # in its AZ only
    database = boxes["aws_db_instance.db"]  # single-AZ, pinned to eu-west-1a: one column, not both
    assert database["box"][0] + database["box"][2] <= left + col_width
    assert boxes["aws_autoscaling_group.app"]["box"][2] > col_width  # spans both AZs
    assert not boxes["aws_autoscaling_group.app"]["spof"]
    spofs = [s["text"] for s in seen["spofs"] if s["box"][3] > 5]
    assert any(s.startswith("aws_nat_gateway.main (HA107): down on the loss of AZ eu-west-1a") and
               "subnets in eu-west-1b lose their way to the internet" in s for s in spofs), spofs

    scan = subprocess.run([sys.executable, "-m", "ha_lint", "examples/quickstart", "--no-config", "--no-cache",
                           "--format", "json"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert scan.returncode == 1, scan.stderr  # the example has findings on purpose
    expected = sorted((f"{f['file']}:{f['line']}", f["rule_id"]) for f in json.loads(scan.stdout)["findings"])
    assert {rule for _, rule in expected} == {"HA101", "HA107", "BK202", "DR306"}
    shown = sorted((row["cells"][2], row["cells"][1].split()[0]) for row in seen["findings"])
    assert shown == expected
    for row in seen["findings"]:  # laid out on the page, the file readable in its cell
        assert row["box"][3] > 5 and row["file"][2] > 100 and row["box"][1] + row["box"][3] < height


def test_readme_shows_the_picture_of_the_quickstart():
    readme = (ROOT / "README.md").read_text()
    assert "![ha-lint resilience HTML report](docs/resilience-report.png)" in readme
    assert "scripts/resilience_picture.py" in readme
    assert (ROOT / "docs" / "resilience-report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
