"""Names from templates and file systems that try to break the reports (issue 16, defects 3, 5,
6, 7, 11): a file name that is not UTF-8, a logical ID holding a newline, CR, ESC, a
``::error::`` workflow command, a backtick fence, ``<img onerror>`` and a Markdown link, AZs
and Terraform ``for_each`` keys holding the same. Every report is produced through the real
CLI; each must stay well-formed and show the names as inert, visible text."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from ha_lint.escape import (code_span, dot_string, markdown_text, mermaid_label, printable, readable, sarif_text,
                            uri_path)

pytestmark = pytest.mark.slow  # the CLI in a process of its own (output kept as bytes), once per format

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

HOSTILE = "Db\n::error::pwned\r\x1b[31mRED\x07 ```\n<img src=x onerror=alert(1)> | `tick` [x](https://evil.example)"
HOSTILE_AZ = "us-east-1a\n```\n<img src=x onerror=alert(2)>"
BAD_BYTES_FILE = b"stack-\xff #%?.json"  # not UTF-8, and a space, # % ? that a URI must encode
NEWLINE_FILE = b"new\nline\x1b[2J.yaml"
BAD_BYTES_MODULE = b"mod-\xfe ```\n::warning::x"

SINGLE_AZ_DB = b"""AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      DBInstanceClass: db.t3.micro
      AllocatedStorage: '20'
      MultiAZ: false
"""

# HCL resource names are identifiers, but for_each keys, AZs and tags can hold anything.
TERRAFORM = rb'''
resource "aws_subnet" "a" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.0.0/24"
  availability_zone = "us-east-1a\n```\n<img src=x onerror=alert(3)>"
}
resource "aws_db_instance" "db" {
  for_each          = { "k\n::error::tf\u001b[2J`x`|<b>" = 1 }
  engine            = "mysql"
  instance_class    = "db.t3.micro"
  multi_az          = false
  availability_zone = "eu-west-1a\n```\n`x`|y"
  tags              = { Name = "\u001b[31m\n::error::tag" }
}
resource "aws_instance" "web" {
  ami           = "ami-1"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id
}
'''

CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # every control character but the line feed
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-F]{2})*")  # RFC 3986 characters only


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    base = os.fsencode(root)
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {HOSTILE: {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {"Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
                       "MultiAZ": False, "AvailabilityZone": HOSTILE_AZ}}}}
    with open(base + b"/" + BAD_BYTES_FILE, "wb") as handle:
        handle.write(json.dumps(template).encode())
    with open(base + b"/" + NEWLINE_FILE, "wb") as handle:
        handle.write(SINGLE_AZ_DB)
    os.mkdir(base + b"/" + BAD_BYTES_MODULE)
    with open(base + b"/" + BAD_BYTES_MODULE + b"/main.tf", "wb") as handle:
        handle.write(TERRAFORM)
    return root


def run(tree: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The CLI as a CI job runs it; output kept as bytes (a bad byte must not hide in decoding)."""
    return subprocess.run([sys.executable, "-m", "ha_lint", *args], cwd=tree, capture_output=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"})


def scan(tree: Path, fmt: str, *extra: str) -> bytes:
    out = tree / f"report.{fmt}"
    done = run(tree, ".", "--no-cache", "--no-config", "--format", f"{fmt}:{out}", *extra)
    assert b"internal error" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr  # high findings: exit 1, never 2
    return out.read_bytes()


def test_defect3_file_names_that_are_not_utf8_are_scanned_and_shown_as_escapes(tree: Path) -> None:
    report = json.loads(scan(tree, "json").decode("utf-8"))  # strict: valid UTF-8 JSON
    files = {f["file"] for f in report["findings"]}
    # Every file was scanned, the Terraform module in a non-UTF-8 directory too.
    assert "./stack-\\xff #%?.json" in files or "stack-\\xff #%?.json" in files
    assert any(f.startswith(("mod-\\xfe", "./mod-\\xfe")) and f.endswith("/main.tf") for f in files)
    assert any("new\nline\x1b[2J.yaml" in f for f in files)  # JSON keeps control characters, escaped by JSON
    assert not report["errors"]
    assert not any("\udc80" <= ch <= "\udcff" for f in files for ch in f)
    assert {"HA101"} <= {f["rule_id"] for f in report["findings"] if "\\xff" in f["file"]}


def test_defect3_the_cache_keys_names_that_are_not_utf8(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    outputs = []
    for _ in range(2):  # cold, then warm: the same report
        done = run(tree, ".", "--no-config", "--cache-dir", str(cache), "--format", "json")
        assert b"internal error" not in done.stderr, done.stderr
        assert done.returncode == 1, done.stderr
        report = json.loads(done.stdout.decode("utf-8"))
        outputs.append(sorted((f["file"], f["line"], f["rule_id"]) for f in report["findings"]))
    assert outputs[0] == outputs[1] and outputs[0]


def test_defect11_sarif_uris_are_percent_encoded_and_the_log_is_valid(tree: Path) -> None:
    doc = json.loads(scan(tree, "sarif").decode("utf-8"))
    jsonschema.validate(doc, SCHEMA)
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in doc["runs"][0]["results"] for loc in result["locations"]]
    assert uris and all(URI_REFERENCE.fullmatch(uri) for uri in uris), uris
    assert "stack-%FF%20%23%25%3F.json" in uris  # the real byte, not its \xff display
    assert "new%0Aline%1B%5B2J.yaml" in uris
    assert any(uri.startswith("mod-%FE%20%60%60%60%0A%3A%3Awarning%3A%3Ax/") for uri in uris)
    names = [loc["name"] for result in doc["runs"][0]["results"]
             for location in result["locations"] for loc in location.get("logicalLocations", ())]
    assert HOSTILE in names  # a logical location keeps the name, JSON escapes it
    messages = [result["message"]["text"] for result in doc["runs"][0]["results"]]
    assert any("\\[x\\](https://evil.example)" in text for text in messages)  # not an embedded link
    assert not any("[x](" in text for text in messages)


def test_defect6_text_output_has_no_control_characters_and_no_workflow_command(tree: Path) -> None:
    text = scan(tree, "text").decode("utf-8")
    assert not CONTROL.search(text), repr(CONTROL.search(text))
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())
    assert "Db\\n::error::pwned\\r\\x1b[31mRED\\x07" in text  # shown, visibly escaped
    assert "stack-\\xff #%?.json" in text and "new\\nline\\x1b[2J.yaml" in text
    assert 'aws_db_instance.db["k\\n::error::tf\\u001b[2J`x`|<b>"]' in text  # Terraform's own quoting


def test_defect6_github_annotations_escape_as_the_runner_reads_them(tree: Path) -> None:
    lines = scan(tree, "github").decode("utf-8").splitlines()
    report = json.loads(scan(tree, "json"))
    assert len(lines) == len(report["findings"]) + len(report["errors"]) + len(report["warnings"])
    assert all(re.match(r"::(error|warning|notice)( |::)", line) for line in lines)  # one command per line
    assert not any(CONTROL.search(line) for line in lines)
    hostile = next(line for line in lines if "pwned" in line)
    assert "%0A::error::pwned%0D\\x1b[31mRED\\x07" in hostile.split("::", 2)[2]  # the message
    assert "on Db%0A%3A%3Aerror%3A%3Apwned%0D" in hostile  # the title property: : and , escaped too


def test_defect7_junit_parses(tree: Path) -> None:
    xml = scan(tree, "junit")
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    files = {case.get("file") for case in suite.iter("testcase")}
    assert "./stack-\\xff #%?.json" in files or "stack-\\xff #%?.json" in files
    bodies = "".join(f.text or "" for f in suite.iter("failure"))
    assert "Db\\n::error::pwned\\r\\x1b[31mRED\\x07" in bodies


def test_defect5_markdown_and_job_summary_show_names_as_text(tree: Path) -> None:
    text = scan(tree, "markdown").decode("utf-8")
    assert text.count("```") == 2  # the Mermaid block's own fences, nothing from a name
    assert "<img" not in text and "<b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "[x](" not in text.replace(block, "")  # shown as \[x\](...), not a link (Mermaid labels are no Markdown)
    assert block.startswith("flowchart TB\n")
    assert all(line.startswith("  ") for line in block.splitlines()[1:])  # no name started a line
    rows = [line for line in text.splitlines() if line.startswith("| **")]
    assert rows
    for row in rows:  # five cells: no name added or ended one
        assert len(re.findall(r"(?<!\\)\|", row)) == 6, row
    assert CONTROL.search(text) is None


def test_defect5_github_renders_the_markdown_names_as_text(tree: Path) -> None:
    """Rendered by cmark-gfm, GitHub's own renderer (raw HTML allowed, as in a job summary)."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    page = cmarkgfm.github_flavored_markdown_to_html(scan(tree, "markdown").decode("utf-8"),
                                                     options=Options.CMARK_OPT_UNSAFE)
    assert "<img" not in page and "<b>" not in page  # no tag from a name became an element
    assert page.count("<pre") == 1  # the Mermaid block only; no fence from a name opened another
    assert not re.search(r'<a href="[^"]*"[^>]*>x</a>', page)  # [x](...) is not a link
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    findings = [row for row in rows if "<strong>" in row]
    assert findings and all(row.count("<td") == 5 for row in findings)  # no | from a name made a cell
    shown = "Db\\n::error::pwned\\r\\x1b[31mRED\\x07 ```\\n&lt;img src=x onerror=alert(1)&gt; | `tick` [x]("
    # the name, as typed, in one code span of the details list, after the file's percent-encoded link
    assert ('<li><strong>HA101</strong> <a href="stack-%FF%20%23%25%3F.json#L1"><code>stack-\\xff #%?.json:1</code></a> '
            f"<code>{shown}") in page
    # in the table, a long name keeps its end, in one code cell
    assert re.search(r"<td><code>…[^<]*onerror=alert\(1\)&gt; \| `tick` \[x\]\(", page)


def test_defect5_graph_and_resilience_reports_escape_for_their_format(tree: Path) -> None:
    def render(command: str, fmt: str) -> str:
        done = run(tree, command, ".", "--no-config", "--format", fmt)
        assert done.returncode == 0 and b"internal error" not in done.stderr, done.stderr
        return done.stdout.decode("utf-8")

    mermaid = render("graph", "mermaid")
    assert "```" not in mermaid and "<img" not in mermaid and CONTROL.search(mermaid) is None
    assert all(line.startswith(("flowchart", "  ")) for line in mermaid.splitlines())
    # Every label is one quoted string: a quote inside a name is an entity, never the end.
    assert all(line.count('"') in (0, 2) for line in mermaid.splitlines())
    assert "AZ us-east-1a#92;n#96;#96;#96;#92;n#60;img src=x onerror=alert(2)#62;" in mermaid

    dot = render("graph", "dot")
    assert CONTROL.search(dot) is None and dot.count("{") == dot.count("}")
    for line in dot.splitlines():  # quotes balanced once escaped quotes are set aside
        assert line.replace('\\\\', "").replace('\\"', "").count('"') % 2 == 0, line

    svg = render("graph", "svg")  # XML: it parses, and a name is text in it, never an element
    drawing = ET.fromstring(f"<all>{svg}</all>")
    assert not any(element.tag.endswith("img") for element in drawing.iter())
    assert printable(HOSTILE) in {element.get("data-address") for element in drawing.iter()}

    page = render("resilience", "html")
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert CONTROL.search(page) is None

    text = render("resilience", "text")
    assert CONTROL.search(text) is None and not any(line.lstrip().startswith("::") for line in text.splitlines())

    data = json.loads(render("resilience", "json"))
    assert any(c["address"] == HOSTILE for w in data["workloads"] for c in w["components"])


def test_escaping_leaves_ordinary_names_alone() -> None:
    for name in ("OrdersDb", "aws_db_instance.db[\"a\"]", "stacks/orders.yaml", "module.vpc.aws_subnet.private[0]"):
        assert printable(name) == readable(name) == name
        assert dot_string(name) == name.replace('"', '\\"')
    assert code_span("stacks/orders.yaml:10") == "`stacks/orders.yaml:10`"
    assert uri_path("stacks/orders.yaml") == "stacks/orders.yaml"
    assert mermaid_label("aws_subnet.app[0]") == "aws_subnet.app[0]"
    assert markdown_text("RDS instance OrdersDb runs in a single AZ.") == "RDS instance OrdersDb runs in a single AZ."


def test_escapes_are_visible_and_total() -> None:
    assert printable("a\nb\r\x1b[0m\x7f\x85\u202e\udcff") == "a\\nb\\r\\x1b[0m\\x7f\\x85\\u202e\\xff"
    assert readable("db-\udcff\n") == "db-\\xff\n"  # JSON escapes the newline itself
    assert code_span("a`b|c") == "<code>a\\`b\\|c</code>"
    assert mermaid_label('x"];y') == "x#34;]#59;y"
    assert dot_string('a"\\n') == 'a\\"\\\\n'
    assert sarif_text('Db [x](https://e) and aws_db.this["a"]') == 'Db \\[x\\](https://e) and aws_db.this["a"]'


def test_defect6_a_usage_error_quoting_a_name_is_one_escaped_line(tmp_path: Path) -> None:
    done = run(tmp_path, "no-such\x1b[2J\n::error::x.yaml")
    assert done.returncode == 2
    assert done.stderr.decode("utf-8") == "ha-lint: error: path does not exist: no-such\\x1b[2J\\n::error::x.yaml\n"


def test_two_names_that_read_alike_stay_two_nodes(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_db_instance" "db" {\n  for_each = { "a-b" = 1, "a_b" = 2 }\n'
                                      '  engine = "mysql"\n  instance_class = "db.t3.micro"\n  multi_az = false\n}\n')
    nodes = {"mermaid": re.compile(r'^\s+(n_\w+)\["', re.M), "dot": re.compile(r"^\s+(n_\w+) \[label=", re.M)}
    for fmt, node in nodes.items():
        done = run(tmp_path, "graph", ".", "--no-config", "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert len(set(node.findall(done.stdout.decode()))) == 2
