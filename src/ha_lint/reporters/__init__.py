"""Reporters turn a ``ScanResult`` into text for people or machines. One module per format.

``render(result, options)``: ``options`` carries what a format may need beyond the result:
``colour`` (text), ``rules`` (the rule instances that ran, for rule metadata), ``root`` (the
project root that file paths are made relative to), ``files`` (the files reported on),
``show_suppressed``.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ha_lint import PROJECT_URL, ruledocs
from ha_lint.scan import ScanResult

Reporter = Callable[[ScanResult, dict], str]

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "concise")

__all__ = ["FORMATS", "PROJECT_URL", "docs_section", "get", "rule_url", "rules_by_id"]


def get(name: str) -> Reporter:
    if name not in FORMATS:
        raise KeyError(name)
    return importlib.import_module(f"ha_lint.reporters.{name}").render


def rule_url(rule: Any) -> str | None:
    """The page documenting a rule: ``help_uri`` on the rule (a plugin's own), else a built-in
    rule's generated page at this version's tag (docs/rules/<ID>.md), else None."""
    explicit = getattr(rule, "help_uri", None)
    if explicit:
        return str(explicit)
    module = rule.__module__ if isinstance(rule, type) else type(rule).__module__
    if module.startswith("ha_lint."):  # the pack (ha_lint.rules) and the suppression checks
        return ruledocs.page_url(rule.id)
    return None


def docs_section(rule: Any, title: str) -> str:
    """One ``## title`` section of a rule's markdown docs, without its heading."""
    return ruledocs.section(rule, title)


def rules_by_id(options: dict) -> dict[str, Any]:
    return {rule.id: rule for rule in options.get("rules") or ()}
