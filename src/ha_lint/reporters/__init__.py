"""Reporters turn a ``ScanResult`` into text for people or machines. One module per format.

``render(result, options)``: ``options`` carries what a format may need beyond the result:
``colour`` (text), ``rules`` (the rule instances that ran, for rule metadata), ``root`` (the
project root that file paths are made relative to), ``files`` (the files reported on),
``show_suppressed``.
"""

from __future__ import annotations

import importlib
import textwrap
from typing import Any, Callable

from ha_lint.scan import ScanResult

Reporter = Callable[[ScanResult, dict], str]

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "concise")

# Where each built-in rule's documentation lives: its source file holds the docs sections.
PROJECT_URL = "https://github.com/ha-lint/ha-lint"
_SOURCE_URL = PROJECT_URL + "/blob/main/{path}"


def get(name: str) -> Reporter:
    if name not in FORMATS:
        raise KeyError(name)
    return importlib.import_module(f"ha_lint.reporters.{name}").render


def rule_url(rule: Any) -> str | None:
    """The page documenting a rule: ``help_uri`` on the rule, else a built-in rule's source."""
    explicit = getattr(rule, "help_uri", None)
    if explicit:
        return str(explicit)
    module = rule.__module__ if isinstance(rule, type) else type(rule).__module__
    if module.startswith("ha_lint.rules."):  # the pack lives in top-level rules/
        return _SOURCE_URL.format(path=f"rules/{module.rsplit('.', 1)[1]}.py")
    if module.startswith("ha_lint."):
        return _SOURCE_URL.format(path="src/" + module.replace(".", "/") + ".py")
    return None


def docs_section(rule: Any, title: str) -> str:
    """One ``## title`` section of a rule's markdown docs, without its heading."""
    docs = textwrap.dedent(getattr(rule, "docs", "") or "")
    marker = f"## {title}"
    if marker not in docs:
        return ""
    return docs.split(marker, 1)[1].split("\n## ", 1)[0].strip()


def rules_by_id(options: dict) -> dict[str, Any]:
    return {rule.id: rule for rule in options.get("rules") or ()}
