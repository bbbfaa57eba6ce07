"""The options that say what to load and how to judge it. ``scan``, ``resilience`` and
``graph`` take every one of them (``add_load_arguments``) and turn them into the same scan
settings and rules (``scan_settings``, ``chosen_rules``); what a command does with the
result (reports, ``--diff``, baselines, renderings) is its own."""

from __future__ import annotations

import argparse
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ha_lint import config as configuration
from ha_lint.config import DR_STRATEGIES


class UsageError(Exception):
    """A mistake on the command line or in the configuration: exit 2, one message."""


def config_of(args: argparse.Namespace) -> configuration.Config:
    """The configuration a command runs with: none (``--no-config``), ``--config FILE``, or
    the file found from the paths up (to ``--root`` when given)."""
    root = getattr(args, "root", None)
    if root is not None and not Path(root).is_dir():
        raise UsageError(f"--root {root}: no such directory")
    if args.no_config:
        return configuration.Config()
    if args.config:
        if not Path(args.config).is_file():
            raise UsageError(f"--config {args.config}: no such file")
        return configuration.load(Path(args.config))
    found = configuration.find(args.paths, root)
    return configuration.load(found) if found else configuration.Config()


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default: .)")
    sel = parser.add_argument_group("rules")
    sel.add_argument("--select", action="append", metavar="RULES", help="only these rules: IDs, ID prefixes (HA, NS4) or names, comma-separated")
    sel.add_argument("--ignore", action="append", metavar="RULES", help="skip these rules (same forms as --select)")
    sel.add_argument("--rules-dir", action="append", default=[], metavar="DIR", help="also load rules from *.py files in DIR")
    sel.add_argument("--preview", action="store_true",
                     help="also run the rules in preview (new rules that may still change; `ha-lint rules` marks them)")
    files = parser.add_argument_group("files")
    files.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB (repeatable)")
    files.add_argument("--allow-empty", action="store_true",
                       help="a run whose directories hold no template is not an error (generated pipelines); "
                            "without it, it exits 2")
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
    perf = parser.add_argument_group("performance")
    perf.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                      help="load files in N processes (default: all cores)")
    perf.add_argument("--no-cache", action="store_true", help="do not read or write the cache of loaded files")
    perf.add_argument("--cache-dir", metavar="DIR", help="where the cache lives (default: ~/.cache/ha-lint)")
    values = parser.add_argument_group("values")
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
    opts = parser.add_argument_group("rule options")
    opts.add_argument("--min-backup-retention", type=int, metavar="DAYS",
                      help="BK202: the shortest acceptable backup retention (default: the config file's, else 7)")
    opts.add_argument("--dr-strategy", choices=DR_STRATEGIES,
                      help="the declared DR strategy; pilot-light or stronger turns on DR304 (default: none declared)")
    conf = parser.add_argument_group("configuration")
    conf.add_argument("--config", metavar="FILE", help="the configuration file (default: .ha-lint.yml or pyproject.toml "
                      "[tool.ha-lint], found by walking up from the scanned paths)")
    conf.add_argument("--no-config", action="store_true", help="use no configuration file")


def check_values(args: argparse.Namespace) -> None:
    """The load options' own checks, before anything is read."""
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.max_file_size < 1:
        raise UsageError("--max-file-size must be at least 1 byte")
    if args.file_timeout < 0:
        raise UsageError("--file-timeout must be 0 (no limit) or more seconds")
    if args.min_backup_retention is not None and args.min_backup_retention < 1:
        raise UsageError("--min-backup-retention must be at least 1 day")
    for flag, files in (("--var-file", args.var_file), ("--parameter-file", args.parameter_file)):
        for file in files:
            if not Path(file).is_file():
                raise UsageError(f"{flag} {file}: no such file")


def split(values: list[str] | None) -> list[str]:
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} expects NAME=VALUE, got {value!r}")
        out[key.strip()] = val
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean X?)`` naming the choices closest to ``word`` (any case; a tie names
    each, up to three), or ``""`` when none is close."""
    by_fold = {c.lower(): c for c in choices}
    scores = {c: difflib.SequenceMatcher(None, word.lower(), c).ratio() for c in by_fold}
    best = max(scores.values(), default=0.0)
    if best < 0.6:
        return ""
    closest = [by_fold[c] for c, score in scores.items() if score == best][:3]
    return f" (did you mean {' or '.join(closest)}?)"


def load_rules(rules_dirs: list[str]) -> list:
    """Every rule: the rule packs, then the suppression checks (HL001-HL003)."""
    from ha_lint.engine import RuleError, all_rules
    from ha_lint.suppress import META_RULES

    try:
        return sorted(all_rules(rules_dirs, reserved=META_RULES) + list(META_RULES), key=lambda rule: rule.id)
    except RuleError as exc:
        raise UsageError(str(exc)) from None


@dataclass
class ChosenRules:
    rules: list[Any]  # the rule instances to run
    meta: dict[str, Any]  # the suppression checks (HL001-HL003) that stay on, by ID
    names: Any  # suppress.RuleNames: IDs and names of every rule known
    classes: list[Any]  # every rule class known


def chosen_rules(args: argparse.Namespace, cfg) -> ChosenRules:
    """The rules ``--select``/``--ignore`` and the configuration choose, at their configured severities;
    a selector that matches no rule is a usage error that names the closest rule."""
    from ha_lint import engine, suppress

    classes = load_rules(args.rules_dir)
    names = suppress.RuleNames(classes)
    cfg.check_rules(known=lambda s: not engine.unknown_selectors(classes, [s]),
                    exact=lambda s: names.resolve(s) is not None)
    select = split(args.select) if args.select else (cfg.select or [])
    cli_ignore = split(args.ignore)
    unknown = engine.unknown_selectors(classes, split(args.select) + cli_ignore)
    if unknown:
        known = [c.id for c in classes] + [c.name for c in classes]
        hints = "".join(did_you_mean(s, known) for s in unknown[:1])
        raise UsageError(f"no rule matches {', '.join(map(repr, unknown))}{hints}: `ha-lint rules` lists them")
    ignore = cfg.ignore + cli_ignore
    runnable = classes if getattr(args, "preview", False) or cfg.preview else \
        _without_preview(classes, split(args.select) + (cfg.select or []))
    severity = {names.resolve(key): level for key, level in cfg.severity.items()}
    chosen = [cls(severity.get(cls.id)) for cls in engine.select(runnable, select, ignore)]
    rules = [rule for rule in chosen if not isinstance(rule, suppress.META_RULES)]
    # The suppression checks stay on under --select (a typo must not hide); --ignore turns them off.
    meta = {cls.id: cls(severity.get(cls.id)) for cls in suppress.META_RULES if not engine.matches(cls, ignore)}
    return ChosenRules(rules, meta, names, classes)


def _without_preview(classes: list, selectors: list[str]) -> list:
    """The rules that run without --preview; a preview rule named by its ID or name is a
    usage error rather than a rule that silently does not run."""
    named = [c for c in classes if c.preview and any(s.upper() == c.id or s.lower() == c.name for s in selectors)]
    if named:
        raise UsageError(f"{', '.join(c.id for c in named)} {'is a preview rule' if len(named) == 1 else 'are preview rules'}: "
                         "add --preview (or preview: true in the configuration file) to run it")
    return [c for c in classes if not c.preview]


def scan_settings(args: argparse.Namespace, cfg, paths: list[str]):
    """The ``ScanSettings`` of these options and the configuration, loading ``paths``."""
    from ha_lint.cache import default_dir as default_cache_dir
    from ha_lint.graph import Options
    from ha_lint.progress import for_terminal
    from ha_lint.scan import ScanSettings

    extra: dict[str, Any] = {}
    if cfg.database_ports:
        extra["database_ports"] = cfg.database_ports
    if cfg.assumptions:
        extra["assumptions"] = cfg.assumptions
    return ScanSettings(
        paths=paths, exclude=cfg.exclude + args.exclude, max_file_size=args.max_file_size,
        parameters=pairs(args.parameter, "--parameter"), region=args.region, parameter_files=args.parameter_file,
        variables=pairs(args.var, "--var"), var_files=args.var_file, stacks=list(cfg.stacks),
        options=Options(
            min_backup_retention_days=args.min_backup_retention or cfg.min_backup_retention_days or 7,
            dr_strategy=args.dr_strategy or cfg.dr_strategy,
            account_concurrency_limit=cfg.account_concurrency_limit or 1000,
            rto_minutes=cfg.rto_minutes, rpo_minutes=cfg.rpo_minutes, extra=extra,
        ),
        jobs=args.jobs, file_timeout=args.file_timeout, download_modules=args.download_modules or bool(cfg.download_modules),
        root=reference_root(args, cfg), plan_sources=plan_sources(args.plan_source),
        cache_dir=None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_dir(),
        progress=for_terminal(),  # on a terminal only: never in a pipe or a report
    )


def reference_root(args: argparse.Namespace, cfg) -> Path | None:
    """``--root``, else the configuration file's ``root:``, else None (each path's repository root)."""
    if getattr(args, "root", None):
        return Path(args.root)
    return cfg.directory / cfg.root if cfg.path and cfg.root else None


def plan_sources(values: list[str]):
    from ha_lint.resolve import plansource

    try:
        return plansource.parse_option(values)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def check_not_empty(args: argparse.Namespace, cfg, result) -> None:
    """Directories that hold no template at all are a mistake (a mistyped path in CI), unless
    ``--allow-empty``: one directory among several without templates is fine."""
    if args.allow_empty or result.files or result.errors:
        return
    directories = [p for p in args.paths if os.path.isdir(p)]
    if directories:
        raise UsageError(f"no CloudFormation template, Terraform file or plan found in {', '.join(directories)}"
                         f"{' (after excludes)' if args.exclude or cfg.exclude else ''}: check the path, or pass "
                         "--allow-empty when an empty run is expected")


def not_read(paths: list[str], cfg, args: argparse.Namespace) -> list[str]:
    """The files named one by one that ha-lint does not read (pre-commit passes every YAML
    and JSON file of a commit): each is skipped with a note, and the exit status is the rest's."""
    from ha_lint import discover

    skipped = []
    for path in paths:
        if os.path.isdir(path) or not os.path.exists(path) or path.endswith(STANDS_FOR_MODULE):
            continue
        found = discover.discover([path], cfg.exclude + args.exclude, args.max_file_size)
        if not found.files and not found.problems:
            skipped.append(path)
    return skipped


# Named alone, these stand for the Terraform module beside them (ha_lint.scope).
STANDS_FOR_MODULE = (".tfvars", ".tfvars.json")
