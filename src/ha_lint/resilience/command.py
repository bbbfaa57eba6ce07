"""``ha-lint resilience PATH`` and ``ha-lint graph PATH``: scan, build the model, render."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ha_lint.loadoptions import UsageError, check_not_empty, chosen_rules, config_of, scan_settings
from ha_lint.resilience.assumptions import AssumptionError, table
from ha_lint.resilience.steps import analyse_scan

RESILIENCE_FORMATS = ("text", "json", "html", "mermaid", "dot", "markdown")
GRAPH_FORMATS = ("mermaid", "dot", "svg", "json")


def add_arguments(parser: argparse.ArgumentParser, formats: tuple[str, ...], default: str) -> None:
    """The options of `resilience` and `graph` beyond the load options they share with `scan`
    (``ha_lint.loadoptions.add_load_arguments``)."""
    parser.add_argument("-f", "--format", choices=formats, default=default, help=f"default: {default}")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--no-findings", action="store_true", help="do not run the rules (no findings in the report)")
    if "json" in formats and "html" in formats:  # `resilience`, not `graph`
        parser.add_argument("--compare", metavar="REF", help="report what the change since the merge base of REF "
                            "and HEAD does to resilience (formats: text, json, markdown)")
        parser.add_argument("--base-path", metavar="DIR", help="with --compare: a directory (laid out as the "
                            "repository) holding the base's generated inputs git ignores (cdk.out, .terraform/modules, plans)")
        parser.add_argument("--fail-on-regression", action="store_true", help="with --compare: exit 1 when the "
                            "change adds a single point of failure, worsens an RTO or RPO, weakens the DR strategy "
                            "or misses a target that was met")


def run(args: argparse.Namespace) -> int:
    """The resilience and graph commands; the caller has checked the paths (cli._check_paths)."""
    from ha_lint.escape import printable
    from ha_lint.resilience import render

    if getattr(args, "compare", None) is None and (getattr(args, "base_path", None) or getattr(args, "fail_on_regression", False)):
        raise UsageError("--base-path and --fail-on-regression need --compare REF")
    cfg = config_of(args)
    settings, rules, assumptions = prepare(args, cfg)
    if getattr(args, "compare", None) is not None:
        from ha_lint.resilience import compare, compare_render

        comparison = compare.run(args, settings, rules, assumptions)
        write_output(args, compare_render.render(comparison, args.format))
        return 1 if args.fail_on_regression and comparison.regressions else 0
    result, models = analyse_scan(settings, rules, assumptions)
    check_not_empty(args, cfg, result)
    for error in result.errors:
        print(printable(f"ha-lint: {error.file}{':' + str(error.line) if error.line else ''}: {error.message}"),
              file=sys.stderr)
    findings = sorted(result.findings, key=lambda f: (f.file, f.line, f.rule_id))
    fmt = args.format
    if fmt == "text":
        text = render.text(models, findings)
    elif fmt == "json":
        text = render.as_json(models, findings)
    elif fmt == "html":
        text = render.html_page(models, findings)
    elif fmt == "mermaid":
        text = render.mermaid(models, findings)
    elif fmt == "dot":
        text = render.dot(models, findings)
    elif fmt == "markdown":
        text = render.markdown_section(models, findings, list_findings=True)
    else:  # svg
        text = "\n".join(render.svg(m, findings) for m in models) + "\n"
    write_output(args, text)
    return 1 if result.errors else 0


def prepare(args: argparse.Namespace, cfg):
    """(scan settings, rules, assumption table) from the command line and the configuration."""
    from ha_lint import engine, reporters  # noqa: F401

    try:
        assumptions = table(cfg.assumptions)
    except AssumptionError as exc:
        raise UsageError(f"{cfg.path}: assumptions: {exc}") from None
    # The same rules and settings as `scan` gives these options (ha_lint.loadoptions).
    rules = [] if args.no_findings else chosen_rules(args, cfg).rules
    settings = scan_settings(args, cfg, list(args.paths))
    return settings, rules, assumptions


def write_output(args: argparse.Namespace, text: str) -> None:
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
