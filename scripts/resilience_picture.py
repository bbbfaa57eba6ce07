"""Regenerate the README's picture (docs/resilience-report.png): the HTML resilience report of
examples/quickstart (a Terraform project whose one NAT gateway carries the egress of both AZs),
rendered and photographed by headless Chromium.

    python scripts/resilience_picture.py [-o docs/resilience-report.png] [PROJECT]

The page is laid out once to measure its height (a script added to a copy of the page, never
to the report: the report has none), then photographed whole at that height.
tests/test_html_report.py runs the same steps and checks what the browser laid out.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PROJECT = REPOSITORY / "examples" / "quickstart"
PICTURE = REPOSITORY / "docs" / "resilience-report.png"
WIDTH = 1300
MAX_HEIGHT = 4000  # a taller page is cut (the picture stays readable in the README)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]

# What the browser laid out, for the height of the picture and for the tests: the single points
# of failure drawn and listed, the columns of the diagram and the box of each component, the
# rows of the findings table with their file cell.
PROBE = """<script>
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const columns = [...document.querySelectorAll('svg.architecture text.column')]
      .map(t => ({name: t.textContent, box: box(t.previousElementSibling)}));
  const components = [...document.querySelectorAll('svg.architecture g.component')].map(g => ({
      address: g.getAttribute('data-address'), spof: g.classList.contains('spof'),
      box: box(g.querySelector('rect')), fill: getComputedStyle(g.querySelector('rect')).fill}));
  const spofs = [...document.querySelectorAll('li.spof')].map(li => ({text: li.textContent, box: box(li)}));
  const findings = [...document.querySelectorAll('table.findings tbody tr')].map(tr => ({
      cells: [...tr.querySelectorAll('td')].map(td => td.textContent), box: box(tr),
      file: box(tr.querySelector('td.file'))}));
  document.body.setAttribute('data-probe', JSON.stringify({
      height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth,
      title: document.querySelector('h2') ? document.querySelector('h2').textContent : null,
      columns: columns, components: components, spofs: spofs, findings: findings}));
</script>"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def report(project: Path, out: Path) -> None:
    """The HTML report of ``project``, by the real CLI (exit 0: resilience reports, not judges),
    run from the repository so that files read as in the README (examples/quickstart/main.tf)."""
    where = project.relative_to(REPOSITORY) if project.is_relative_to(REPOSITORY) else project
    run = subprocess.run([sys.executable, "-m", "ha_lint", "resilience", str(where), "--no-config", "--no-cache",
                          "--format", "html", "-o", str(out)], capture_output=True, text=True, timeout=300,
                         cwd=REPOSITORY)
    if run.returncode != 0:
        raise RuntimeError(f"ha-lint resilience exited {run.returncode}: {run.stderr[-2000:]}")


def laid_out(browser: str, page: Path, scratch: Path) -> dict:
    """The probe's measures of ``page`` as Chromium lays it out at the picture's width."""
    probe = scratch / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={scratch / 'profile-probe'}",
                          f"--window-size={WIDTH},1000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    match = re.search(r'data-probe="([^"]+)"', run.stdout)
    if run.returncode != 0 or not match:
        raise RuntimeError(f"chromium could not lay out {page}: {run.stderr[-2000:]}")
    return json.loads(html.unescape(match.group(1)))


def screenshot(browser: str, page: Path, out: Path, height: int, scratch: Path) -> None:
    run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={scratch / 'profile-shot'}",
                          f"--screenshot={out}", f"--window-size={WIDTH},{height}", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0 or not out.is_file():
        raise RuntimeError(f"chromium could not take the screenshot: {run.stderr[-2000:]}")


def picture(project: Path, out: Path, scratch: Path) -> dict:
    """Write the report of ``project`` to ``scratch``, photograph it whole to ``out``; return
    what the browser laid out."""
    browser = chromium()
    if browser is None:
        raise RuntimeError("headless Chromium is not installed (Debian: apt-get install chromium)")
    page = scratch / "report.html"
    report(project, page)
    seen = laid_out(browser, page, scratch)
    screenshot(browser, page, out, min(int(seen["height"]) + 16, MAX_HEIGHT), scratch)
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", default=str(PROJECT), help="default: examples/quickstart")
    parser.add_argument("-o", "--output", default=str(PICTURE), help="default: docs/resilience-report.png")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            seen = picture(Path(args.project).resolve(), Path(args.output), Path(scratch))
        except RuntimeError as exc:
            print(f"resilience_picture: {exc}", file=sys.stderr)
            return 1
    print(f"{args.output}: {WIDTH}x{min(int(seen['height']) + 16, MAX_HEIGHT)}, "
          f"{len(seen['spofs'])} single points of failure, {len(seen['findings'])} findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
