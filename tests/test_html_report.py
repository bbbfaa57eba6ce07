"""``ha-lint resilience --format html``: one self-contained page, rendered in headless Chromium
(the diagram and the scenario table must be laid out, not only present in the source)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES

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
    run = subprocess.run([sys.executable, "-m", "ha_lint", "resilience", str(WORKLOADS / "three_tier_single_az" / "cfn"),
                          "--no-config", "--format", "html", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return out


def test_page_is_self_contained(report):
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r'(src|href)="https?://', page)  # nothing fetched: sources are cited as text only
    assert "<svg" in page and 'class="scenarios"' in page and 'class="findings"' in page
    assert "rds-restore-from-backup" in page and "docs.aws.amazon.com" in page


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


def test_chromium_screenshot(report, tmp_path):
    browser = chromium()
    shot = tmp_path / "shot.png"
    run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p'}", f"--screenshot={shot}",
                          "--window-size=1300,1000", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
