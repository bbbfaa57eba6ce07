"""Command line: ``ha-lint [scan] PATH...``, ``ha-lint rules``, ``ha-lint explain ID``.

Exit codes are an API: 0 nothing at or above ``--fail-on``; 1 findings at or above it (or
files that could not be loaded, unless ``--allow-load-errors``); 2 usage or configuration
error. No traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from ha_lint import __version__
from ha_lint.baseline import BaselineError
from ha_lint.config import ConfigError
from ha_lint.escape import printable
from ha_lint.scope import ScopeError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("scan", "rules", "explain", "init", "resilience", "graph")


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
                     help="text (default), json, sarif, junit, github or markdown; repeat for several, "
                          "FORMAT:FILE writes one to a file")
    out.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    out.add_argument("--no-color", action="store_true", help="no ANSI colours in text output")
    out.add_argument("--fail-on", choices=("high", "medium", "low", "info", "never"),
                     help="exit 1 when a finding is at or above this severity (default: the config file's, else low)")
    out.add_argument("--show-suppressed", action="store_true", help="also list suppressed findings, with their reasons")
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
    files.add_argument("--root", metavar="DIR",
                       help="the repository root: nested-stack templates, module sources and symbolic links are "
                            "followed only inside DIR, and the configuration file is looked for up to it (default: "
                            "the git top level of the scanned paths; outside git, the current directory when they are "
                            "below it, else the scanned path). Paths named on the command line are always read")
    files.add_argument("--download-modules", action="store_true",
                       help="fetch Terraform module sources that `terraform init` would (registry, git, archives; "
                            "the Terraform CLI configuration's credentials and hosts apply) into the cache; without "
                            "it ha-lint never uses the network")
    perf = scan.add_argument_group("performance")
    perf.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                      help="load files in N processes (default: all cores)")
    perf.add_argument("--no-cache", action="store_true", help="do not read or write the cache of loaded files")
    perf.add_argument("--cache-dir", metavar="DIR", help="where the cache lives (default: ~/.cache/ha-lint)")
    values = scan.add_argument_group("values")
    values.add_argument("--region", help="the AWS Region deployed to (AWS::Region; Terraform provider region when unset)")
    values.add_argument("--parameter", action="append", metavar="KEY=VALUE", help="CloudFormation parameter override (repeatable)")
    values.add_argument("--parameter-file", action="append", default=[], metavar="FILE",
                        help="CloudFormation parameters: JSON/YAML, [{\"ParameterKey\": .., \"ParameterValue\": ..}] "
                             "or {\"Parameters\": {..}} (repeatable; --parameter wins)")
    values.add_argument("--var", action="append", metavar="NAME=VALUE", help="Terraform variable (repeatable)")
    values.add_argument("--var-file", action="append", default=[], metavar="FILE", help="Terraform .tfvars file (repeatable)")
    values.add_argument("--plan-source", action="append", default=[], metavar="[PLAN=]DIR",
                        help="the root module directory a Terraform plan (terraform show -json) was made from, so its "
                             "findings point at the .tf lines (default: the plan's own directory when it holds .tf "
                             "files); PLAN=DIR for one plan of several (repeatable)")
    opts = scan.add_argument_group("rule options")
    opts.add_argument("--min-backup-retention", type=int, metavar="DAYS",
                      help="BK202: the shortest acceptable backup retention (default: the config file's, else 7)")
    opts.add_argument("--dr-strategy", choices=("backup-restore", "pilot-light", "warm-standby", "multi-site"),
                      help="the declared DR strategy; pilot-light or stronger turns on DR304 (default: none declared)")

    conf = scan.add_argument_group("configuration, baseline, changed files")
    conf.add_argument("--config", metavar="FILE", help="the configuration file (default: .ha-lint.yml or pyproject.toml "
                      "[tool.ha-lint], found by walking up from the scanned paths)")
    conf.add_argument("--no-config", action="store_true", help="use no configuration file")
    conf.add_argument("--baseline", metavar="FILE", help="report only findings that are not in this baseline")
    conf.add_argument("--write-baseline", metavar="FILE", help="record today's findings in FILE (and exit 0)")
    conf.add_argument("--diff", metavar="REF", help="report only on files changed since git REF (its merge base "
                      "with HEAD, plus uncommitted and untracked files); everything is still loaded for context")

    init = sub.add_parser("init", help="write a commented starter configuration file")
    init.add_argument("file", nargs="?", default=".ha-lint.yml", metavar="FILE", help="default: .ha-lint.yml")
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    sub.add_parser("rules", help="list every rule: ID, name, severity, summary")
    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule", metavar="ID|NAME")
    from ha_lint.resilience import command as resilience

    resilience.add_arguments(sub.add_parser("resilience", help="simulate the loss of each AZ and Region: verdicts, "
                                            "RTO/RPO estimates against targets"), resilience.RESILIENCE_FORMATS, "text")
    resilience.add_arguments(sub.add_parser("graph", help="draw the architecture (Mermaid, DOT, SVG)"),
                             resilience.GRAPH_FORMATS, "mermaid")
    return parser


def main(argv: list[str] | None = None) -> int:
    # A scan builds millions of small objects and frees few cycles: the default collection
    # thresholds re-walk the growing heap so often that large templates scale worse than
    # linearly (measured: a 20,000-resource template 7.7 s -> 5.8 s, the same peak memory).
    gc.set_threshold(100_000, 50, 1000)
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
        if args.command == "init":
            return _cmd_init(args.file, args.force)
        if args.command in ("resilience", "graph"):
            from ha_lint.resilience import command as resilience

            return resilience.run(args, _config, _pairs, UsageError)
        return _cmd_scan(args)
    except (UsageError, ConfigError, BaselineError, ScopeError) as exc:
        print(f"ha-lint: error: {printable(exc)}", file=sys.stderr)  # it may quote a name or a config value
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ha-lint ... | head`: the reader left; not an error of ours
        sys.stdout = None  # type: ignore[assignment]  # no flush of a closed pipe at exit
        return EXIT_CLEAN
    except Exception as exc:  # last line of defence: a bug is reported, never a traceback
        print(f"ha-lint: internal error: {type(exc).__name__}: {printable(exc)}\n"
              "Please report this at the project's issue tracker with the file that caused it.", file=sys.stderr)
        return EXIT_USAGE


def _load_rules(rules_dirs: list[str]) -> list:
    """Every rule: the rule packs, then the suppression checks (HL001-HL003)."""
    from ha_lint.engine import RuleError, all_rules
    from ha_lint.suppress import META_RULES

    try:
        return sorted(all_rules(rules_dirs) + list(META_RULES), key=lambda rule: rule.id)
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


def _config(args: argparse.Namespace):
    from ha_lint import config

    root = getattr(args, "root", None)
    if root is not None and not Path(root).is_dir():
        raise UsageError(f"--root {root}: no such directory")
    if args.no_config:
        return config.Config()
    if args.config:
        if not Path(args.config).is_file():
            raise UsageError(f"--config {args.config}: no such file")
        return config.load(Path(args.config))
    found = config.find(args.paths, root)
    return config.load(found) if found else config.Config()


def _plan_sources(values: list[str]) -> "plansource.PlanSources":
    from ha_lint.resolve import plansource

    try:
        return plansource.parse_option(values)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _reference_root(args: argparse.Namespace, cfg) -> Path | None:
    """``--root``, else the configuration file's ``root:``, else None (each path's repository root)."""
    if getattr(args, "root", None):
        return Path(args.root)
    return cfg.directory / cfg.root if cfg.path and cfg.root else None


def _cmd_scan(args: argparse.Namespace) -> int:
    from ha_lint import baseline, engine, reporters, scope, suppress
    from ha_lint.cache import default_dir as default_cache_dir
    from ha_lint.graph import Options
    from ha_lint.model import ScanWarning
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
    if args.max_file_size < 1:
        raise UsageError("--max-file-size must be at least 1 byte")
    if args.file_timeout < 0:
        raise UsageError("--file-timeout must be 0 (no limit) or more seconds")
    if args.min_backup_retention is not None and args.min_backup_retention < 1:
        raise UsageError("--min-backup-retention must be at least 1 day")
    cfg = _config(args)

    rule_classes = _load_rules(args.rules_dir)
    names = suppress.RuleNames(rule_classes)
    cfg.check_rules(known=lambda s: not engine.unknown_selectors(rule_classes, [s]),
                    exact=lambda s: names.resolve(s) is not None)
    select = _split(args.select) if args.select else (cfg.select or [])
    cli_ignore = _split(args.ignore)
    unknown = engine.unknown_selectors(rule_classes, _split(args.select) + cli_ignore)
    if unknown:
        raise UsageError(f"no rule matches {', '.join(map(repr, unknown))}: `ha-lint rules` lists them")
    ignore = cfg.ignore + cli_ignore
    severity = {names.resolve(key): level for key, level in cfg.severity.items()}
    chosen = [cls(severity.get(cls.id)) for cls in engine.select(rule_classes, select, ignore)]
    rules = [rule for rule in chosen if not isinstance(rule, suppress.META_RULES)]
    # The suppression checks stay on under --select (a typo must not hide); --ignore turns them off.
    meta = {cls.id: cls(severity.get(cls.id)) for cls in suppress.META_RULES if not engine.matches(cls, ignore)}

    root = baseline.project_root(args.paths, cfg.directory if cfg.path else None)
    # Callers of a Terraform module are looked for in a repository or configured project only.
    where = scope.expand(args.paths, root if (root / ".git").exists() or cfg.path else None)
    if args.diff:
        where.changed = scope.changed_since(args.diff, args.paths)
    baseline_file = Path(args.baseline) if args.baseline else (cfg.directory / cfg.baseline if cfg.baseline else None)
    if baseline_file and not args.write_baseline and not baseline_file.is_file():
        raise UsageError(f"baseline {baseline_file} does not exist: write one with --write-baseline {baseline_file}")

    settings = ScanSettings(
        paths=where.load, exclude=cfg.exclude + args.exclude, max_file_size=args.max_file_size,
        parameters=_pairs(args.parameter, "--parameter"), region=args.region, parameter_files=args.parameter_file,
        variables=_pairs(args.var, "--var"), var_files=args.var_file, stacks=list(cfg.stacks),
        options=Options(
            min_backup_retention_days=args.min_backup_retention or cfg.min_backup_retention_days or 7,
            dr_strategy=args.dr_strategy or cfg.dr_strategy,
            account_concurrency_limit=cfg.account_concurrency_limit or 1000,
            rto_minutes=cfg.rto_minutes, rpo_minutes=cfg.rpo_minutes,
            extra={"database_ports": cfg.database_ports} if cfg.database_ports else {},
        ),
        jobs=args.jobs, file_timeout=args.file_timeout, download_modules=args.download_modules or bool(cfg.download_modules),
        root=_reference_root(args, cfg), plan_sources=_plan_sources(args.plan_source),
        cache_dir=None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_dir(),
    )
    for var_file in args.var_file:
        if not Path(var_file).is_file():
            raise UsageError(f"--var-file {var_file}: no such file")
    for parameter_file in args.parameter_file:
        if not Path(parameter_file).is_file():
            raise UsageError(f"--parameter-file {parameter_file}: no such file")
    result = scan(settings, rules)

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
        print(f"ha-lint: wrote {count} finding{'s' if count != 1 else ''} to the baseline {args.write_baseline}",
              file=sys.stderr)
    elif baseline_file:
        split = baseline.split(findings, baseline.load(baseline_file), root)
        findings, result.baselined = split.new, len(split.known)
        if split.stale and not where.restricted:
            result.warnings.append(ScanWarning(
                "baseline-stale", f"{split.stale} baseline entr{'ies' if split.stale != 1 else 'y'} in {baseline_file} "
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
    return EXIT_FINDINGS if result.failing(args.fail_on or cfg.fail_on or "low") else EXIT_CLEAN


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
