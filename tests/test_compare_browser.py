"""``ha-lint resilience --compare REF -f markdown`` as a pull request's job summary shows it:
rendered by cmark-gfm (GitHub's Markdown renderer, raw HTML allowed as in a job summary), then
laid out by headless Chromium, where a script run only by the test measures what a reviewer
sees: the headline, the table of changes (each row its five cells), and the Mermaid source of
the head's picture in one code block."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest
from test_compare import LANGUAGES, head_text, repository, run
from test_html_report import CHROMIUM_FLAGS, chromium

pytestmark = pytest.mark.slow  # headless Chromium

PROBE = """<script>
  const rows = [...document.querySelectorAll('table tbody tr')];
  const laidOut = rows.filter(r => r.getBoundingClientRect().height > 5);
  const cells = rows.map(r => r.querySelectorAll('td').length);
  const headline = document.querySelector('p strong');
  const code = [...document.querySelectorAll('pre code')].map(c => c.textContent);
  document.body.setAttribute('data-probe', JSON.stringify({
      headline: headline ? headline.textContent : null,
      headlineVisible: headline ? headline.getBoundingClientRect().width > 100 : false,
      rows: rows.length, laidOut: laidOut.length, cells: cells,
      firstRow: rows.length ? [...rows[0].querySelectorAll('td')].map(td => td.textContent) : [],
      code: code, images: document.querySelectorAll('img').length}));
</script>"""


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_job_summary_shows_the_new_single_points_of_failure(language: str, tmp_path: Path) -> None:
    browser = chromium()
    import cmarkgfm
    from cmarkgfm.cmark import Options

    lang = LANGUAGES[language]
    repo = repository(tmp_path, lang, head_text(lang))
    code, markdown, _ = run(repo, "-f", "markdown")
    assert code == 0
    body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    page = tmp_path / "summary.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}{PROBE}</body></html>")
    done = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                           page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r'data-probe="([^"]+)"', done.stdout)
    assert match, done.stdout[:500]
    seen = json.loads(html.unescape(match.group(1)))

    assert seen["headline"].startswith("2 new single points of failure; loss of AZ us-east-1a: RTO 1m-2m -> ")
    assert seen["headlineVisible"]
    assert seen["rows"] >= 4 and seen["laidOut"] == seen["rows"]
    assert set(seen["cells"]) == {5}  # no name broke a row into more or fewer cells
    texts = [" ".join(cell) for cell in [seen["firstRow"]]]
    assert f"single point of failure {lang['database']} (HA101)" in texts[0]  # escapes render as the plain name
    assert len(seen["code"]) == 1 and seen["code"][0].startswith("flowchart")  # the head's picture, one block
    assert "class " in seen["code"][0] and "changed" in seen["code"][0]  # what changed is marked in it
    assert seen["images"] == 0

    shot = tmp_path / "summary.png"
    done = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}",
                           f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
