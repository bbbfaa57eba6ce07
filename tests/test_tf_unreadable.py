"""Never silent: a Terraform expression ha-lint's own parser cannot read is unknown, and the
user is told (``expression-unreadable``) at the attribute's file and line, once per place it is
written, cold and warm (the warning is kept with the cached root)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli
from ha_lint import cache as cache_module
from ha_lint import hclexpr
from ha_lint.loaders.terraform import load_file
from ha_lint import cachecodec
from ha_lint.model import ScanWarning

# The shape of terraform-aws-eks's node_groups.tf, reduced: a quoted object key with ${} inside a
# function call. python-hcl2 renders it as ""kubernetes.io/cluster/${var.name}"", which ha-lint
# could not read while it read renderings; read as written, it is an ordinary expression.
READABLE = """\
variable "name" {
  type    = string
  default = "demo"
}

resource "aws_security_group" "node" {
  count = 2
  name  = "node"
  tags = merge(
    { "Name" = "node" },
    {
      "kubernetes.io/cluster/${var.name}" = "owned"
    },
  )
}
"""

# Nested deeper than ha-lint evaluates (41 parentheses; hclexpr.MAX_DEPTH is 40): Terraform reads
# it, ha-lint does not. count = 2: two instances evaluate it, and it is still said once.
UNREADABLE = READABLE.replace('''{
      "kubernetes.io/cluster/${var.name}" = "owned"
    },''', "(" * 41 + "{}" + ")" * 41 + ",")

TAGS_LINE = 9  # `tags = merge(`


def scan(tmp_path: Path, text: str, cache: Path | None) -> tuple[dict[str, Any], str]:
    """The JSON and text reports of one scan of a module ``m`` holding ``text``."""
    (tmp_path / "m").mkdir(exist_ok=True)
    (tmp_path / "m" / "main.tf").write_text(text)
    caching = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    run = run_cli("m", "--no-config", "-j", "1", *caching, "-f", f"json:{out / 'r.json'}",
                  "-f", f"text:{out / 'r.txt'}", cwd=tmp_path)
    assert run.returncode in (0, 1), run.stderr
    return json.loads((out / "r.json").read_text()), (out / "r.txt").read_text()


def unreadable(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in doc["warnings"] if w["code"] == "expression-unreadable"]


def assert_said_once(doc: dict[str, Any], text: str) -> None:
    [warning] = unreadable(doc)
    assert (warning["file"], warning["line"]) == ("m/main.tf", TAGS_LINE)
    message = warning["message"]
    assert message.startswith("aws_security_group.node tags = merge(")
    assert message.endswith(": ha-lint cannot read this expression, so its value is treated as unknown "
                            "(findings that depend on it may be missed)")
    shown = message.split(" = ", 1)[1].split(": ha-lint", 1)[0]
    assert len(shown) <= 80
    assert [line for line in text.splitlines() if "expression-unreadable" in line] == \
        [f"warning[expression-unreadable]: m/main.tf:{TAGS_LINE}: {message}"]


def test_an_unreadable_expression_is_one_warning_at_its_line(tmp_path: Path) -> None:
    doc, text = scan(tmp_path, UNREADABLE, None)
    assert_said_once(doc, text)
    assert doc["errors"] == []


def test_a_readable_expression_gives_no_warning(tmp_path: Path) -> None:
    doc, text = scan(tmp_path, READABLE, None)
    assert doc["warnings"] == [] and "warning[" not in text
    tags = load_file(READABLE, "main.tf").blocks[1].body["tags"]
    variables = type("Scope", (), {"get": lambda self, name, default=None: {"name": "demo"} if name == "var" else default})()
    assert hclexpr.evaluate_value(tags, variables) == {"Name": "node", "kubernetes.io/cluster/demo": "owned"}


def test_the_warning_is_kept_with_the_cached_root_and_said_warm(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cold, cold_text = scan(tmp_path, UNREADABLE, cache)
    assert_said_once(cold, cold_text)
    kept = [value for path in cache.rglob("*") if path.is_file() and len(path.name) == 62
            for value in [cachecodec.loads(path.read_bytes()[len(cache_module.MAGIC):])]
            if isinstance(value, tuple) and len(value) == 4 and isinstance(value[3], list)]
    assert [w.code for value in kept for w in value[3] if isinstance(w, ScanWarning)] == ["expression-unreadable"]

    hits: list[bool] = []  # every lookup of the warm scan (our own Cache, observed, not replaced)
    real_get = cache_module.Cache.get

    def get(self: cache_module.Cache, key: str, valid: Any = None) -> Any:
        value = real_get(self, key, valid)
        hits.append(value is not None)
        return value

    monkeypatch.setattr(cache_module.Cache, "get", get)
    warm, warm_text = scan(tmp_path, UNREADABLE, cache)
    assert hits and all(hits)  # served from the cache: nothing resolved again
    assert_said_once(warm, warm_text)
    assert warm["warnings"] == cold["warnings"]
