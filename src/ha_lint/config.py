"""The configuration file: ``.ha-lint.yml`` or ``[tool.ha-lint]`` in ``pyproject.toml``.

Found by walking up from the scanned paths (their common directory) to the repository root
(``ha_lint.root``: ``--root``, else the git top level; a stray file above the repository is
never picked up); ``--config FILE`` names one, ``--no-config`` skips it. Every key is checked: an unknown key
or a bad value is a ``ConfigError`` naming the file and the key (the CLI exits 2). Paths in
the file (per-path ignores, the baseline) are relative to the file's directory. Command-line
options win over the file.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ha_lint.durations import parse_duration
from ha_lint.model import SEVERITIES
from ha_lint.resilience.assumptions import AssumptionError, table
from ha_lint.scope import common_directory
from ha_lint.textfile import FileRefused, read_small_text

CONFIG_NAMES = (".ha-lint.yml", ".ha-lint.yaml")
PYPROJECT = "pyproject.toml"
FAIL_ON = SEVERITIES + ("never",)
DR_STRATEGIES = ("backup-restore", "pilot-light", "warm-standby", "multi-site")


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class PathIgnore:
    """``per-path-ignores`` entry: these rules do not apply to files matching these globs."""

    paths: tuple[str, ...]
    rules: tuple[str, ...]
    reason: str
    line: int  # in the config file, for reports about the entry itself

    def matches(self, relative: str) -> bool:
        return any(glob_match(relative, pattern) for pattern in self.paths)


@dataclass
class Config:
    path: Path | None = None  # None: no file, every default
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    per_path_ignores: list[PathIgnore] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)  # rule ID or name -> severity
    fail_on: str | None = None
    exclude: list[str] = field(default_factory=list)
    min_backup_retention_days: int | None = None
    account_concurrency_limit: int | None = None
    database_ports: list[int] | dict[int, str] | None = None
    rto_minutes: float | None = None
    rpo_minutes: float | None = None
    dr_strategy: str | None = None
    baseline: str | None = None  # relative to the file's directory
    assumptions: dict[str, Any] = field(default_factory=dict)  # resilience assumption-table overrides
    stacks: list[Any] = field(default_factory=list)  # stacks.StackSpec: how templates are deployed (``stacks:``)
    download_modules: bool | None = None  # download-modules: fetch remote Terraform module sources
    preview: bool | None = None  # preview: also run the rules in preview (like --preview)
    root: str | None = None  # root: the repository root for references, relative to the file's directory

    @property
    def directory(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def relative(self, file: str) -> str | None:
        """``file`` relative to the config file's directory (POSIX), or None when outside it."""
        try:
            return Path(os.path.realpath(file)).relative_to(_realpath(self.directory)).as_posix()
        except ValueError:
            return None

    def check_rules(self, known: Callable[[str], bool], exact: Callable[[str], bool]) -> None:
        """Every rule named in the file exists: ``known`` accepts selectors (prefixes too),
        ``exact`` only an ID or a name."""
        for key, names in (("select", self.select or []), ("ignore", self.ignore)):
            for name in names:
                if not known(name):
                    raise self.error(key, f"no rule matches {name!r} (`ha-lint rules` lists them)")
        for name in self.severity:
            if not exact(name):
                raise self.error(f"severity.{name}", "no such rule (give an ID or a name)")
        for number, entry in enumerate(self.per_path_ignores):
            for name in entry.rules:
                if not known(name):
                    raise self.error(f"per-path-ignores[{number}].rules", f"no rule matches {name!r}")

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path or 'configuration'}: {key}: {problem}")


def glob_match(relative: str, pattern: str) -> bool:
    """``fnmatch`` where ``*`` also crosses ``/``; a directory pattern covers what is under it."""
    pattern = pattern.strip().removeprefix("./")
    if fnmatch.fnmatchcase(relative, pattern):
        return True
    return fnmatch.fnmatchcase(relative, pattern.rstrip("/") + "/*")


# -- finding and reading the file --------------------------------------------------------


def find(paths: Iterable[str], root: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest ``.ha-lint.yml`` / ``.ha-lint.yaml`` / ``pyproject.toml`` with
    ``[tool.ha-lint]``, walking up from the common directory of ``paths`` to the repository
    root (``root`` when it holds them, else theirs), never above it."""
    from ha_lint.root import root_of

    start = common_directory(paths)
    real_start = Path(os.path.realpath(start))
    top = Path(os.path.realpath(root)) if root is not None else None
    if top is None or not (real_start == top or top in real_start.parents):
        top = root_of(start)
    for directory in (start, *start.parents):
        real = Path(os.path.realpath(directory))
        if real != top and top not in real.parents:  # above the repository root
            break
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r'^\s*\[\s*tool\s*\.\s*(ha-lint|"ha-lint")\s*[\].]', text, re.MULTILINE) is not None


MAX_CONFIG_BYTES = 1024 * 1024  # a configuration file is a page or two; more is not one


def load(path: Path) -> Config:
    """Read and check one configuration file. One that is too large, nests too deeply or
    cannot be parsed is a ConfigError naming it (never a traceback)."""
    try:
        return _load(path)
    except RecursionError:
        raise ConfigError(f"{path}: nests too deeply to be a configuration file") from None
    except MemoryError:
        raise ConfigError(f"{path}: too large to be a configuration file") from None


def _load(path: Path) -> Config:
    try:
        text = read_small_text(path, MAX_CONFIG_BYTES)
    except FileRefused as exc:
        raise ConfigError(f"{path}: {exc.reason}; not a configuration file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    if path.name == PYPROJECT:
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        data = data.get("tool", {}).get("ha-lint", {})
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    return parse(data if data is not None else {}, path, text)


def parse(data: Any, path: Path | None = None, text: str = "") -> Config:
    config = Config(path=path)
    if not isinstance(data, dict):
        raise config.error("(top level)", f"expected a mapping of settings, got {_kind(data)}")
    for key, value in data.items():
        handler = _KEYS.get(key)
        if handler is None:
            raise config.error(str(key), "unknown key" + _suggest(str(key), _KEYS))
        if value is not None:
            handler(config, str(key), value, text)
    return config


def _suggest(key: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(key.replace("_", "-"), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(choices))})"


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def _rule_list(config: Config, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise config.error(key, f"expected a list of rule IDs, prefixes or names, got {_kind(value)}")
    return [v.strip() for v in value if v.strip()]


def _str_list(config: Config, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise config.error(key, f"expected a list of glob patterns, got {_kind(value)}")
    return [v.strip() for v in value]


def _set_select(config: Config, key: str, value: Any, text: str) -> None:
    config.select = _rule_list(config, key, value)


def _set_ignore(config: Config, key: str, value: Any, text: str) -> None:
    config.ignore = _rule_list(config, key, value)


def _set_exclude(config: Config, key: str, value: Any, text: str) -> None:
    config.exclude = _str_list(config, key, value)


def _set_fail_on(config: Config, key: str, value: Any, text: str) -> None:
    if value == "critical":  # other tools' top level, as on the command line: ha-lint's highest
        value = "high"
    if value not in FAIL_ON:
        raise config.error(key, f"expected one of {', '.join(FAIL_ON)} (critical stands for high), got {value!r}")
    config.fail_on = value


def _set_severity(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, dict):
        raise config.error(key, f"expected a mapping of rule to severity (HA101: medium), got {_kind(value)}")
    for rule, level in value.items():
        if level not in SEVERITIES:
            raise config.error(f"{key}.{rule}", f"expected one of {', '.join(SEVERITIES)}, got {level!r}")
        config.severity[str(rule)] = level


_PATH_IGNORE_KEYS = ("path", "paths", "rules", "reason")


def _set_per_path_ignores(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, list):
        raise config.error(key, "expected a list of {path, rules, reason} entries, got " + _kind(value))
    for number, entry in enumerate(value):
        where = f"{key}[{number}]"
        if not isinstance(entry, dict):
            raise config.error(where, f"expected a mapping with path, rules and reason, got {_kind(entry)}")
        for name in entry:
            if name not in _PATH_IGNORE_KEYS:
                raise config.error(f"{where}.{name}", "unknown key" + _suggest(str(name), _PATH_IGNORE_KEYS))
        paths = entry.get("paths", entry.get("path"))
        if paths is None:
            raise config.error(where, "needs a path (a glob relative to this file, or a list of them)")
        paths = _str_list(config, f"{where}.path", paths)
        rules = _rule_list(config, f"{where}.rules", entry.get("rules"))
        if not rules:
            raise config.error(f"{where}.rules", "needs at least one rule ID or name")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise config.error(f"{where}.reason", "every ignore needs a reason: say why these rules do not apply here")
        lines = _entry_lines(config, key, text)
        line = lines.get((number, "paths" if "paths" in entry else "path")) or lines.get((number, None))
        config.per_path_ignores.append(PathIgnore(tuple(paths), tuple(rules), reason.strip(),
                                                  line or _line_of(text, paths[0])))


def _line_of(text: str, needle: str) -> int:
    """The first line holding ``needle``: a guess, for pyproject.toml (tomllib gives no lines)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def _entry_lines(config: Config, key: str, text: str) -> dict[tuple[int, str | None], int]:
    """Lines of the entries of the top-level list ``key`` of a YAML configuration, from its
    parse tree: ``(index, None)`` the entry's first line, ``(index, field)`` the line its
    field's value starts on. Empty for pyproject.toml."""
    if config.path is not None and config.path.name == PYPROJECT:
        return {}
    return _yaml_entry_lines(text).get(key, {})


@functools.lru_cache(maxsize=4)
def _yaml_entry_lines(text: str) -> dict[str, dict[tuple[int, str | None], int]]:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    out: dict[str, dict[tuple[int, str | None], int]] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for key_node, value in root.value:  # only two levels down: an alias is never followed further
        if not isinstance(key_node, yaml.ScalarNode) or not isinstance(value, yaml.SequenceNode):
            continue
        lines = out.setdefault(key_node.value, {})
        for index, item in enumerate(value.value):
            lines[(index, None)] = item.start_mark.line + 1
            for field_key, field_value in item.value if isinstance(item, yaml.MappingNode) else ():
                if isinstance(field_key, yaml.ScalarNode):
                    lines.setdefault((index, field_key.value), field_value.start_mark.line + 1)
    return out


def _positive_int(config: Config, key: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (maximum and value > maximum):
        bound = f"from {minimum} to {maximum}" if maximum else f"of at least {minimum}"
        raise config.error(key, f"expected a whole number {bound}, got {value!r}")
    return value


def _set_min_retention(config: Config, key: str, value: Any) -> None:
    config.min_backup_retention_days = _positive_int(config, key, value, 1)


def _set_concurrency(config: Config, key: str, value: Any) -> None:
    config.account_concurrency_limit = _positive_int(config, key, value, 1)


def _set_database_ports(config: Config, key: str, value: Any) -> None:
    """A list of ports, or a map of port to what listens there ({15432: pgbouncer})."""
    if isinstance(value, dict) and value:
        config.database_ports = {_positive_int(config, f"{key}.{port}", port, 1, 65535): str(name)
                                 for port, name in value.items()}
    elif isinstance(value, list) and value:
        config.database_ports = [_positive_int(config, f"{key}[{i}]", port, 1, 65535) for i, port in enumerate(value)]
    else:
        raise config.error(key, f"expected a list of port numbers (or a map of port to name), got {_kind(value)}")


_OPTIONS: dict[str, Callable[[Config, str, Any], None]] = {
    "min-backup-retention-days": _set_min_retention,
    "account-concurrency-limit": _set_concurrency,
    "database-ports": _set_database_ports,
}


def _set_options(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, dict):
        raise config.error(key, f"expected a mapping of rule options, got {_kind(value)}")
    for name, item in value.items():
        setter = _OPTIONS.get(name)
        if setter is None:
            raise config.error(f"{key}.{name}", "unknown rule option" + _suggest(str(name), _OPTIONS))
        setter(config, f"{key}.{name}", item)


_TARGET_KEYS = ("rto", "rpo", "strategy")


def _set_targets(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, dict):
        raise config.error(key, "expected a mapping like {rto: 15m, rpo: 5m, strategy: warm-standby}, got " + _kind(value))
    for name, item in value.items():
        if name not in _TARGET_KEYS:
            raise config.error(f"{key}.{name}", "unknown key" + _suggest(str(name), _TARGET_KEYS))
        if name == "strategy":
            if item not in DR_STRATEGIES:
                raise config.error(f"{key}.strategy", f"expected one of {', '.join(DR_STRATEGIES)}, got {item!r}")
            config.dr_strategy = item
            continue
        minutes = parse_duration(item)
        if minutes is None:
            raise config.error(f"{key}.{name}", f"expected a duration such as 15m, 1h or 30s, got {item!r}")
        setattr(config, f"{name}_minutes", minutes)


def _set_baseline(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise config.error(key, f"expected a file path, got {_kind(value)}")
    config.baseline = value.strip()


def _set_assumptions(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, dict):
        raise config.error(key, f"expected a mapping like {{rds-multi-az-failover: {{rto: 3m}}}}, got {_kind(value)}")
    try:
        table(value)
    except AssumptionError as exc:
        raise config.error(key, str(exc)) from None
    config.assumptions = dict(value)


def _set_root(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise config.error(key, f"expected a directory path, got {_kind(value)}")
    if not (config.directory / value.strip()).is_dir():
        raise config.error(key, f"{value.strip()!r} is not a directory (relative to this file)")
    config.root = value.strip()


def _set_download_modules(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, bool):
        raise config.error(key, f"expected true or false, got {_kind(value)}")
    config.download_modules = value


def _set_preview(config: Config, key: str, value: Any, text: str) -> None:
    if not isinstance(value, bool):
        raise config.error(key, f"expected true or false, got {_kind(value)}")
    config.preview = value


def _set_stacks(config: Config, key: str, value: Any, text: str) -> None:
    from ha_lint.stacks import StackConfigError, parse_config

    try:
        config.stacks = parse_config(value, config.directory, str(config.path) if config.path else "",
                                     _entry_lines(config, key, text))
    except StackConfigError as exc:
        raise config.error(exc.key, exc.problem) from None


_KEYS: dict[str, Callable[[Config, str, Any, str], None]] = {
    "select": _set_select,
    "ignore": _set_ignore,
    "per-path-ignores": _set_per_path_ignores,
    "severity": _set_severity,
    "fail-on": _set_fail_on,
    "exclude": _set_exclude,
    "options": _set_options,
    "targets": _set_targets,
    "assumptions": _set_assumptions,
    "baseline": _set_baseline,
    "stacks": _set_stacks,
    "download-modules": _set_download_modules,
    "preview": _set_preview,
    "root": _set_root,
}


STARTER = """\
# ha-lint configuration (written by `ha-lint init`).
# ha-lint finds this file by walking up from the paths it scans; `--config FILE` names
# another. Paths below are relative to this file. Command-line options win over it.
# Every key is optional; an unknown key or a bad value stops the run with exit code 2.

# Rules to run and to skip: IDs (HA101), ID prefixes (HA, NS4) or names
# (rds-instance-single-az). `ha-lint rules` lists them.
# select: [HA, BK, DR, NS, SC, OP]
ignore: []

# Exit 1 when a finding is at or above this severity: high, medium, low, info or never.
fail-on: low

# Files and directories not to scan (globs, like --exclude).
exclude: []
#  - cdk.out
#  - "examples/*"

# Change a rule's severity (ID or name: high, medium, low, info).
severity: {}
#  DR306: low
#  sqs-no-dead-letter-queue: low

# Rules that do not apply to some paths. Every entry needs a reason.
per-path-ignores: []
#  - path: "legacy/**"
#    rules: [HA101, BK202]
#    reason: legacy stack, retired in Q3; data is re-creatable

# Rule options.
options:
  min-backup-retention-days: 7        # BK202: shortest acceptable backup retention, in days
  account-concurrency-limit: 1000     # OP604: the account's Lambda concurrency limit
  # database-ports: [3306, 5432, 1433, 1521, 27017, 6379, 11211, 9200, 5439, 9042, 2049]

# Disaster recovery targets (DR304, DR307): durations like 15m, 1h, 30s;
# strategy: backup-restore, pilot-light, warm-standby or multi-site.
# targets:
#   rto: 15m
#   rpo: 5m
#   strategy: warm-standby

# The repository root: nested-stack templates, Terraform module sources and symbolic links
# are followed only inside it (like --root; default: the git top level).
# root: .

# Fetch Terraform module sources (registry, git, archives) as `terraform init` would, into
# the cache (like --download-modules). Off by default: without it ha-lint never uses the network.
# download-modules: true

# Also run the rules in preview (`ha-lint rules` marks them), like --preview. Preview rules
# are new: they may still change before they become stable.
# preview: true

# Findings recorded here are not reported again (`--write-baseline FILE` writes one).
# baseline: .ha-lint-baseline.json
"""


@functools.lru_cache(maxsize=64)
def _realpath(directory: Path) -> str:
    return os.path.realpath(directory)
