"""Command line: ``ha-lint [scan] PATH...``, ``ha-lint rules``, ``ha-lint explain ID``.

Exit codes are an API: 0 nothing at or above ``--fail-on``; 1 findings at or above it (or
files that could not be loaded, unless ``--allow-load-errors``); 2 usage or configuration
error. No traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ha_lint import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("scan", "rules", "explain")


class UsageError(Exception):
    pass


def _split(values: list[str] | None) -> list[str]:
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} expects NAME=VALUE, got {value!r}")
        out[key.strip()] = val
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ha-lint",
        description="Find where an AWS architecture will fall over (HA, fault tolerance, DR), "
                    "in CloudFormation and Terraform, before it is merged.",
    )
    parser.add_argument("--version", action="version", version=f"ha-lint {__version__}")
    sub = parser.add_subparsers(dest="command")

    scan = sub.add_parser("scan", help="scan files and directories (the default command)")
    scan.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default: .)")
    out = scan.add_argument_group("output")
    out.add_argument("-f", "--format", action="append", metavar="FORMAT",
                     help="text (default) or json; repeat for several, FORMAT:FILE writes one to a file")
    out.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    out.add_argument("--no-color", action="store_true", help="no ANSI colours in text output")
    out.add_argument("--fail-on", default="low", choices=("high", "medium", "low", "info", "never"),
                     help="exit 1 when a finding is at or above this severity (default: low)")
    out.add_argument("--allow-load-errors", action="store_true",
                     help="files that cannot be loaded are reported but do not fail the run")
    sel = scan.add_argument_group("rules")
    sel.add_argument("--select", action="append", metavar="RULES", help="only these rules: IDs, ID prefixes (HA, NS4) or names, comma-separated")
    sel.add_argument("--ignore", action="append", metavar="RULES", help="skip these rules (same forms as --select)")
    sel.add_argument("--rules-dir", action="append", default=[], metavar="DIR", help="also load rules from *.py files in DIR")
    files = scan.add_argument_group("files")
    files.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB (repeatable)")
    files.add_argument("--max-file-size", type=int, default=10 * 1024 * 1024, metavar="BYTES",
                       help="skip templates larger than this, with an error item (default: 10 MiB)")
    files.add_argument("--file-timeout", type=float, default=20.0, metavar="SECONDS",
                       help="give up on a file that takes longer than this to load, with an error item (default: 20; 0: never; POSIX)")
    perf = scan.add_argument_group("performance")
    perf.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                      help="load files in N processes (default: all cores)")
    perf.add_argument("--no-cache", action="store_true", help="do not read or write the cache of loaded files")
    perf.add_argument("--cache-dir", metavar="DIR", help="where the cache lives (default: ~/.cache/ha-lint)")
    values = scan.add_argument_group("values")
    values.add_argument("--region", help="the AWS Region deployed to (AWS::Region; Terraform provider region when unset)")
    values.add_argument("--parameter", action="append", metavar="KEY=VALUE", help="CloudFormation parameter override (repeatable)")
    values.add_argument("--var", action="append", metavar="NAME=VALUE", help="Terraform variable (repeatable)")
    values.add_argument("--var-file", action="append", default=[], metavar="FILE", help="Terraform .tfvars file (repeatable)")
    opts = scan.add_argument_group("rule options")
    opts.add_argument("--min-backup-retention", type=int, default=7, metavar="DAYS",
                      help="BK202: the shortest acceptable backup retention (default: 7)")

    sub.add_parser("rules", help="list every rule: ID, name, severity, summary")
    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule", metavar="ID|NAME")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "scan")
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0)
    try:
        if args.command == "rules":
            return _cmd_rules()
        if args.command == "explain":
            return _cmd_explain(args.rule)
        return _cmd_scan(args)
    except UsageError as exc:
        print(f"ha-lint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last line of defence: a bug is reported, never a traceback
        print(f"ha-lint: internal error: {type(exc).__name__}: {exc}\n"
              "Please report this at the project's issue tracker with the file that caused it.", file=sys.stderr)
        return EXIT_USAGE


def _load_rules(rules_dirs: list[str]) -> list:
    from ha_lint.engine import RuleError, all_rules

    try:
        return all_rules(rules_dirs)
    except RuleError as exc:
        raise UsageError(str(exc)) from None


def _cmd_rules() -> int:
    for rule in _load_rules([]):
        print(f"{rule.id}  {rule.name:<40} {rule.severity:<7} {rule.summary}")
    return EXIT_CLEAN


def _cmd_explain(key: str) -> int:
    from ha_lint.engine import find_rule

    rule = find_rule(_load_rules([]), key)
    if rule is None:
        raise UsageError(f"no rule {key!r}: `ha-lint rules` lists them")
    print(rule.full_docs())
    return EXIT_CLEAN


def _cmd_scan(args: argparse.Namespace) -> int:
    from ha_lint import engine, reporters
    from ha_lint.cache import default_dir as default_cache_dir
    from ha_lint.graph import Options
    from ha_lint.scan import ScanSettings, scan

    for path in args.paths:
        if not os.path.exists(path):
            raise UsageError(f"path does not exist: {path}")
    outputs: list[tuple[str, str | None]] = []
    for spec in args.format or ["text"]:
        name, _, target = spec.partition(":")
        if name not in reporters.FORMATS:
            raise UsageError(f"unknown format {name!r}: choose from {', '.join(reporters.FORMATS)}")
        outputs.append((name, target or None))
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.min_backup_retention < 1:
        raise UsageError("--min-backup-retention must be at least 1 day")

    rule_classes = _load_rules(args.rules_dir)
    select, ignore = _split(args.select), _split(args.ignore)
    unknown = engine.unknown_selectors(rule_classes, select + ignore)
    if unknown:
        raise UsageError(f"no rule matches {', '.join(map(repr, unknown))}: `ha-lint rules` lists them")
    rules = [cls() for cls in engine.select(rule_classes, select, ignore)]

    settings = ScanSettings(
        paths=args.paths, exclude=args.exclude, max_file_size=args.max_file_size,
        parameters=_pairs(args.parameter, "--parameter"), region=args.region,
        variables=_pairs(args.var, "--var"), var_files=args.var_file,
        options=Options(min_backup_retention_days=args.min_backup_retention),
        jobs=args.jobs, file_timeout=args.file_timeout,
        cache_dir=None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_dir(),
    )
    for var_file in args.var_file:
        if not Path(var_file).is_file():
            raise UsageError(f"--var-file {var_file}: no such file")
    result = scan(settings, rules)

    colour = not args.no_color and args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    for name, target in outputs:
        text = reporters.get(name)(result, {"colour": colour and target is None})
        destination = target or args.output
        if destination:
            try:
                Path(destination).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write {destination}: {exc.strerror or exc}") from None
        else:
            sys.stdout.write(text)
    failing = result.failing(args.fail_on)
    if failing or (result.errors and not args.allow_load_errors):
        return EXIT_FINDINGS
    return EXIT_CLEAN
