"""Command line: ``ha-lint [scan] PATH...``, ``ha-lint rules [PREFIX] [--format json]``,
``ha-lint explain ID|NAME|OTHER-TOOL-ID``, ``init``, ``resilience``, ``graph``.

Exit codes are an API: 0 nothing at or above ``--fail-on``; 1 findings at or above it (or
files that could not be loaded, unless ``--allow-load-errors``); 2 usage or configuration
error (directories that hold no template, without ``--allow-empty``, are one); 130
interrupted. No traceback ever reaches the user.

``rules --format json`` is a stable list of ``{"id", "name", "severity", "summary",
"equivalents" (other tools' IDs the rule's docs name), "url" (the rule's page at this
version's tag), "since" (the version it first shipped in, "" when a plugin does not say),
"preview" (true: runs only with ``--preview``)}``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ha_lint import __version__
from ha_lint.baseline import BaselineError
from ha_lint.config import ConfigError
from ha_lint.escape import printable
from ha_lint.loadoptions import (UsageError, add_load_arguments, check_not_empty, check_values, chosen_rules,
                                 config_of, did_you_mean, load_rules, not_read, scan_settings)
from ha_lint.scope import ScopeError

if TYPE_CHECKING:  # annotations only: cli imports what a command needs when it runs
    from ha_lint import scope
    from ha_lint.model import Finding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
COMMANDS = ("scan", "rules", "explain", "init", "resilience", "graph")
# --fail-on: ha-lint's severities, "never", and "critical" (other tools' top level) standing for high.
FAIL_ON = ("critical", "high", "medium", "low", "info", "never")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser, and each command's own."""
    parser = _Parser(
        prog="ha-lint",
        description="Find where an AWS architecture will fall over (HA, fault tolerance, DR), "
                    "in CloudFormation and Terraform, before it is merged.",
    )
    parser.add_argument("--version", action="version", version=f"ha-lint {__version__}")
    sub = parser.add_subparsers(dest="command")

    scan = sub.add_parser("scan", help="scan files and directories (the default command)")
    add_load_arguments(scan)
    out = scan.add_argument_group("output")
    out.add_argument("-f", "--format", action="append", metavar="FORMAT",
                     help="text (default), json, sarif, junit, github, markdown or concise (one line a finding: "
                          "path:line:col: ID [severity] message); repeat for several, FORMAT:FILE writes one to a file")
    out.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    out.add_argument("--no-color", action="store_true", help="no ANSI colours in text output")
    out.add_argument("--fail-on", choices=FAIL_ON,
                     help="exit 1 when a finding is at or above this severity (default: the config file's, else low; "
                          "critical is the same as high)")
    out.add_argument("--show-suppressed", action="store_true", help="also list suppressed findings, with their reasons")
    out.add_argument("--allow-load-errors", action="store_true",
                     help="files that cannot be loaded are reported but do not fail the run")
    conf = scan.add_argument_group("baseline, changed files")
    conf.add_argument("--baseline", metavar="FILE", help="report only findings that are not in this baseline")
    conf.add_argument("--write-baseline", metavar="FILE", help="record today's findings in FILE (and exit 0)")
    conf.add_argument("--diff", metavar="REF", help="report only on files changed since git REF (its merge base "
                      "with HEAD, plus uncommitted and untracked files); everything is still loaded for context")

    init = sub.add_parser("init", help="write a commented starter configuration file")
    init.add_argument("file", nargs="?", default=".ha-lint.yml", metavar="FILE", help="default: .ha-lint.yml")
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    rules = sub.add_parser("rules", help="list the rules: ID, name, severity, summary")
    rules.add_argument("prefix", nargs="?", metavar="PREFIX", help="only these: an ID prefix (HA, NS4), an ID or a name")
    rules.add_argument("-f", "--format", choices=("text", "json"), default="text",
                       help="json: [{id, name, severity, summary, equivalents, url, since, preview}] (default: text)")
    rules.add_argument("--rules-dir", action="append", default=[], metavar="DIR", help="also list the rules in DIR")
    explain = sub.add_parser("explain", help="print a rule's documentation (by ID, name, or another tool's "
                             "equivalent ID: CKV_AWS_157)")
    explain.add_argument("rule", metavar="ID|NAME")
    explain.add_argument("--rules-dir", action="append", default=[], metavar="DIR", help="also the rules in DIR")
    from ha_lint.resilience import command as resilience

    commands = {"scan": scan, "init": init, "rules": rules, "explain": explain}
    for name, formats, default, text in (
            ("resilience", resilience.RESILIENCE_FORMATS, "text",
             "simulate the loss of each AZ and Region: verdicts, RTO/RPO estimates against targets"),
            ("graph", resilience.GRAPH_FORMATS, "mermaid", "draw the architecture (Mermaid, DOT, SVG)")):
        commands[name] = sub.add_parser(name, help=text)
        add_load_arguments(commands[name])
        resilience.add_arguments(commands[name], formats, default)
    return parser, commands


class _Parser(argparse.ArgumentParser):
    """argparse, with "did you mean" after a mistyped choice."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        choice = _INVALID_CHOICE.search(message)
        if choice:
            message += did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
        super().error(message)


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


def _unrecognized(parser: argparse.ArgumentParser, extra: list[str]) -> NoReturn:
    """argparse's "unrecognized arguments" from the command's own parser, naming the closest option."""
    options = [o for action in parser._actions for o in action.option_strings]  # noqa: SLF001 (argparse's list)
    hint = next((did_you_mean(word.split("=", 1)[0], options) for word in extra if word.startswith("--")), "")
    parser.error(f"unrecognized arguments: {' '.join(extra)}{hint}")


def _help(parser: argparse.ArgumentParser, commands: dict[str, argparse.ArgumentParser]) -> int:
    """``ha-lint --help``: the commands, then the options of ``scan``, the command run by default."""
    sys.stdout.write(parser.format_help())
    sys.stdout.write("\n`ha-lint PATH...` is `ha-lint scan PATH...`:\n\n" + commands["scan"].format_help())
    return EXIT_CLEAN


def main(argv: list[str] | None = None) -> int:
    # A scan builds millions of small objects and frees few cycles: the default collection
    # thresholds re-walk the growing heap so often that large templates scale worse than
    # linearly (measured: a 20,000-resource template 7.7 s -> 5.8 s, the same peak memory).
    gc.set_threshold(100_000, 50, 1000)
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # Ctrl-C: one word, the shell's status for SIGINT, no traceback
        print("ha-lint: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: list[str]) -> int:
    parser, commands = _parser()
    if argv and argv[0] in ("-h", "--help"):
        return _help(parser, commands)
    if not argv or (argv[0] not in COMMANDS and argv[0] != "--version"):
        argv.insert(0, "scan")
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            _unrecognized(commands[args.command], extra)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0)
    try:
        if args.command == "rules":
            return _cmd_rules(args.prefix, args.format, args.rules_dir)
        if args.command == "explain":
            return _cmd_explain(args.rule, args.rules_dir)
        if args.command == "init":
            return _cmd_init(args.file, args.force)
        if args.command in ("resilience", "graph"):
            from ha_lint.resilience import command as resilience

            _check_paths(args)
            check_values(args)
            return resilience.run(args)
        return _cmd_scan(args)
    except (UsageError, ConfigError, BaselineError, ScopeError) as exc:
        print(f"ha-lint: error: {printable(exc)}", file=sys.stderr)  # it may quote a name or a config value
        return EXIT_USAGE
    except KeyboardInterrupt:
        raise
    except BrokenPipeError:  # `ha-lint ... | head`: the reader left; not an error of ours
        sys.stdout = None  # type: ignore[assignment]  # no flush of a closed pipe at exit
        return EXIT_CLEAN
    except Exception as exc:  # last line of defence: a bug is reported, never a traceback
        print(f"ha-lint: internal error: {type(exc).__name__}: {printable(exc)}\n"
              "Please report this at the project's issue tracker with the file that caused it.", file=sys.stderr)
        return EXIT_USAGE


def _check_paths(args: argparse.Namespace) -> None:
    """A path that does not exist is a usage error; one that looks like a mistyped command says so."""
    for path in args.paths:
        if not os.path.exists(path):
            hint = did_you_mean(path, COMMANDS) if path == args.paths[0] and "/" not in path else ""
            hint = hint.replace("did you mean ", "did you mean `ha-lint ").replace("?)", "`?)") if hint else ""
            raise UsageError(f"path does not exist: {path}{hint}")


def _cmd_rules(prefix: str | None, fmt: str, rules_dirs: list[str]) -> int:
    from ha_lint import engine, equivalents
    from ha_lint.reporters import rule_url

    rules = load_rules(rules_dirs)
    if prefix:
        chosen = engine.select(rules, [prefix], None)
        if not chosen:
            known = [r.id for r in rules] + [r.name for r in rules]
            raise UsageError(f"no rule matches {prefix!r}{did_you_mean(prefix, known)}: `ha-lint rules` lists them")
        rules = chosen
    if fmt == "json":
        data = [{"id": r.id, "name": r.name, "severity": r.severity, "summary": r.summary,
                 "equivalents": equivalents.of(r), "url": rule_url(r), "since": r.since, "preview": r.preview}
                for r in rules]
        print(json.dumps(data, indent=2))
        return EXIT_CLEAN
    for rule in rules:
        preview = "(preview) " if rule.preview else ""
        print(f"{rule.id}  {rule.name:<40} {rule.severity:<7} {rule.since or '-':<6} {preview}{rule.summary}")
    return EXIT_CLEAN


def _cmd_explain(key: str, rules_dirs: list[str]) -> int:
    from ha_lint import equivalents
    from ha_lint.engine import find_rule

    rules = load_rules(rules_dirs)
    rule = find_rule(rules, key)
    if rule is not None:
        print(rule.full_docs())
        return EXIT_CLEAN
    matches = equivalents.rules_for(rules, key)
    if not matches:
        known = [r.id for r in rules] + [r.name for r in rules]
        raise UsageError(f"no rule {key!r}{did_you_mean(key, known)}: `ha-lint rules` lists them")
    names = ", ".join(f"{r.id} {r.name}" for r in matches)
    print(f"{key} is equivalent to ha-lint's {names}\n")
    print("\n".join(r.full_docs() for r in matches))
    return EXIT_CLEAN


def _cmd_init(file: str, force: bool) -> int:
    from ha_lint.config import STARTER

    path = Path(file)
    if path.exists() and not force:
        raise UsageError(f"{path} exists; --force overwrites it")
    try:
        path.write_text(STARTER, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path}: a commented starter configuration; ha-lint finds it from any path below {path.parent.resolve()}")
    return EXIT_CLEAN


def _cmd_scan(args: argparse.Namespace) -> int:
    from ha_lint import baseline, engine, reporters, scope, suppress
    from ha_lint.model import ScanWarning
    from ha_lint.scan import scan
    from ha_lint.wording import plural

    _check_paths(args)
    outputs: list[tuple[str, str | None]] = []
    for spec in args.format or ["text"]:
        name, _, target = spec.partition(":")
        if name not in reporters.FORMATS:
            raise UsageError(f"unknown format {name!r}{did_you_mean(name, reporters.FORMATS)}: "
                             f"choose from {', '.join(reporters.FORMATS)}")
        outputs.append((name, target or None))
    check_values(args)
    fail_on = "high" if args.fail_on == "critical" else args.fail_on
    cfg = config_of(args)
    chosen = chosen_rules(args, cfg)
    rules, meta, names = chosen.rules, chosen.meta, chosen.names

    root = baseline.project_root(args.paths, cfg.directory if cfg.path else None)
    # Callers of a Terraform module are looked for in a repository or configured project only.
    where = scope.expand(args.paths, root if (root / ".git").exists() or cfg.path else None)
    if args.diff:
        where.changed = scope.changed_since(args.diff, args.paths)
    baseline_file = Path(args.baseline) if args.baseline else (cfg.directory / cfg.baseline if cfg.baseline else None)
    if baseline_file and not args.write_baseline and not baseline_file.is_file():
        raise UsageError(f"baseline {baseline_file} does not exist: write one with --write-baseline {baseline_file}")

    for path in not_read(args.paths, cfg, args):  # pre-commit passes every YAML/JSON file of a commit
        print(f"ha-lint: note: {printable(path)}: not a CloudFormation template, Terraform file or plan; skipped",
              file=sys.stderr)
    settings = scan_settings(args, cfg, where.load)
    result = scan(settings, rules)
    check_not_empty(args, cfg, result)

    loaded = _loaded_files(result)
    files = [f for f in loaded if where.includes(f)]
    # A module's finding reported at its call is in scope when the module's file is: its
    # suppressions are read where it is reported.
    files += sorted({f.file for f in result.findings if _in_scope(f, where)} - set(files))
    # A baseline records the whole project, so every file's suppressions apply to it.
    outcome = suppress.apply(result.findings, result.architecture, names, meta, {r.id for r in rules},
                             loaded if args.write_baseline else files, cfg, judge_config=not where.restricted,
                             config_shown=scope.shown_path(str(cfg.path)) if cfg.path else None)
    # One rule entry, one finding: NS403 states NS401/NS402 on its entry, once both survived suppression.
    kept = engine.merge_stated(outcome.kept, rules)
    findings = sorted(kept + outcome.problems, key=lambda f: (f.file, f.line, f.rule_id, f.resource))
    if args.write_baseline:
        count = baseline.write(Path(args.write_baseline), findings, root)
        print(f"ha-lint: wrote {plural(count, 'finding')} to the baseline {args.write_baseline}",
              file=sys.stderr)
    elif baseline_file:
        split = baseline.split(findings, baseline.load(baseline_file), root)
        findings, result.baselined = split.new, len(split.known)
        if split.stale and not where.restricted:
            result.warnings.append(ScanWarning(
                "baseline-stale", f"{plural(split.stale, 'baseline entry', 'baseline entries')} in {baseline_file} "
                f"match no finding any more (fixed): refresh it with --write-baseline {baseline_file}", str(baseline_file)))
    result.findings = [f for f in findings if _in_scope(f, where)]
    result.suppressed = [s for s in outcome.suppressed if _in_scope(s.finding, where)]
    context_errors = [e for e in result.errors if not where.includes(e.file)]
    result.errors = [e for e in result.errors if where.includes(e.file)]
    result.warnings += [ScanWarning("context-not-loaded", f"a context file (read, not reported on) could not be loaded: "
                                    f"{e.message}", e.file, e.line) for e in context_errors]

    colour = not args.no_color and args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    report_options = {"rules": rules + list(meta.values()), "root": root, "files": files,
                      "show_suppressed": args.show_suppressed}
    if result.architecture is not None and any(name == "markdown" for name, _ in outputs):
        from ha_lint.resilience.model import analyse  # the markdown report draws the architecture

        report_options["resilience_models"] = analyse(result.architecture, findings=result.findings)
    for name, target in outputs:
        text = reporters.get(name)(result, {**report_options, "colour": colour and target is None})
        destination = target or args.output
        if destination:
            try:
                Path(destination).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write {destination}: {exc.strerror or exc}") from None
        else:
            sys.stdout.write(text)
    if result.errors and not args.allow_load_errors:
        return EXIT_FINDINGS
    if args.write_baseline:
        return EXIT_CLEAN
    return EXIT_FINDINGS if result.failing(fail_on or cfg.fail_on or "low") else EXIT_CLEAN


def _in_scope(finding: "Finding", where: "scope.Scope") -> bool:
    """Reported on a file in scope, or, for a module's finding reported at its call, on a
    resource written in one (--diff: a change to the module shows what it causes)."""
    return where.includes(finding.file) or bool(finding.defined_in) and where.includes(finding.defined_in)


def _loaded_files(result) -> list[str]:
    """Every template and Terraform file that the scan loaded resources or findings from."""
    arch = result.architecture
    files = {f.file for f in result.findings}
    if arch is not None:
        files.update(r.file for r in arch.resources)
        files.update(w.entry_file for w in arch.workloads.values())
    return sorted(files)
