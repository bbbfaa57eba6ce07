"""``--download-modules``: find a remote module's files, from the cache or by downloading them.

Cache layout under ``<cache dir>/modules`` (plain files, never executed):

- ``registry/HOST/NS/NAME/PROVIDER/VERSION/`` the package of a resolved registry version
  (``package/`` and ``subdir``: where in it the registry's address pointed);
- ``git/<url digest>/<commit>/package/`` a checkout, by the commit its ref resolved to
  (``ref-<digest>`` remembers the last commit a ref named, for offline runs);
- ``archive/<url digest>/package/`` an unpacked archive.

A registry's version list and a git ref are looked up on every run (a new matching version
is picked up as ``terraform init -upgrade`` would); the files are downloaded only once. When
the registry or remote cannot be reached, the highest cached version that matches (the last
commit of the ref) is used, with a ``module-offline`` warning. A download that was asked for
and failed is a ``LoadError`` at the ``module`` block.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from ha_lint.escape import printable
from ha_lint.fetch import addresses, archive, git, http, registry, versions
from ha_lint.fetch.addresses import ArchiveSource, GitSource, RegistrySource
from ha_lint.fetch.cliconfig import CliConfig
from ha_lint.fetch.cliconfig import load as load_cli_config
from ha_lint.model import LoadError, ScanWarning


class DownloadError(Exception):
    """A module that could not be downloaded; the message says why."""


class Offline(DownloadError):
    """The registry or remote could not be reached."""


class ModuleFetcher:
    """Locates remote module sources for one scan; errors and warnings are collected for it."""

    def __init__(self, cache_root: Path, environ: dict[str, str], errors: list | None = None,
                 warnings: list | None = None) -> None:
        self.root = cache_root
        self.environ = environ
        self.errors: list[LoadError] = errors if errors is not None else []
        self.warnings: list = warnings if warnings is not None else []
        self._config: CliConfig | None = None
        self._services: dict[str, registry.ModulesService | Exception] = {}
        self._located: dict[tuple[str, str], tuple[Path | None, str, str | None]] = {}
        self._versions: dict[tuple[str, str], str] = {}  # registry sources: the version chosen
        self._reported: set[tuple[str, int, str]] = set()
        self.offline_uses = 0  # modules served from the cache because their source could not be reached

    @property
    def config(self) -> CliConfig:
        if self._config is None:
            self._config = load_cli_config(self.environ)
            self.warnings.extend(ScanWarning("cli-config", problem) for problem in self._config.problems)
        return self._config

    def locate(self, source: str, version: str | None, file: str, line: int) -> Path | None:
        """The directory of the module ``source`` (``version``: its constraint) names, or None
        with a LoadError at ``file``:``line`` saying why."""
        key = (source, version or "")
        if key not in self._located:
            self._located[key] = self._locate(source, version)
        path, problem, offline = self._located[key]
        self.offline_uses += offline is not None
        if problem and (file, line, source) not in self._reported:
            self._reported.add((file, line, source))
            self.errors.append(LoadError(file, f"module source {source!r} could not be downloaded: {problem}", line))
        if offline and (file, line, source) not in self._reported:
            self._reported.add((file, line, source))
            self.warnings.append(ScanWarning("module-offline", offline, file, line))
        return path

    def version(self, source: str, constraint: str | None) -> str:
        """The registry version ``locate`` chose for ``source`` ("" for other sources)."""
        return self._versions.get((source, constraint or ""), "")

    def _locate(self, source: str, version: str | None) -> tuple[Path | None, str, str | None]:
        try:
            parsed = addresses.parse(source)
            if isinstance(parsed, RegistrySource):
                path, offline, chosen = self._registry(parsed, version)
                self._versions[(source, version or "")] = chosen
            elif version:
                raise DownloadError("a version constraint applies only to registry sources")
            elif isinstance(parsed, GitSource):
                path, offline = self._git(parsed)
            else:
                path, offline = self._archive(parsed), None
            return self._subdir(path, parsed.subdir), "", offline
        except addresses.SourceError as exc:
            return None, f"the source {exc}", None
        except (DownloadError, http.FetchError, git.GitError, archive.ArchiveError,
                versions.ConstraintError) as exc:
            return None, str(exc), None
        except OSError as exc:
            return None, f"the module cache cannot be written ({exc.strerror or exc})", None

    # -- registry ----------------------------------------------------------------------

    def _service(self, host: str) -> registry.ModulesService:
        if host not in self._services:
            try:
                self._services[host] = registry.discover(host, self.config)
            except http.FetchError as exc:
                self._services[host] = exc
        found = self._services[host]
        if isinstance(found, Exception):
            raise found
        return found

    def _registry(self, module: RegistrySource, constraint: str | None) -> tuple[Path, str | None, str]:
        """(the module's directory, the offline warning if the cache stood in, the version)."""
        versions.parse_constraints(constraint)  # a bad constraint is an error before any request
        folder = self.root / "registry" / module.host / module.namespace / module.name / module.provider
        try:
            service = self._service(module.host)
            available = registry.versions(service, module)
        except http.Unreachable as exc:
            cached = sorted(p.name for p in folder.glob("*") if (p / "package").is_dir()) if folder.is_dir() else []
            chosen = versions.choose(cached, constraint)
            if chosen is None:
                raise Offline(f"{exc}; and no cached version matches {constraint or 'any version'}") from None
            return self._package(folder / chosen), (f"the registry for {module} could not be reached ({exc}); "
                                                    f"using the cached version {chosen}"), chosen
        chosen = versions.choose(available, constraint)
        if chosen is None:
            raise DownloadError(f"no version of {module} matches {constraint!r} (the registry has "
                                f"{', '.join(available[-5:]) or 'none'})" if constraint else f"the registry lists no version of {module}")
        target = folder / chosen
        if not (target / "package").is_dir():
            _say(f"downloading module {module} {chosen}")
            location, asked = registry.download_address(service, module, chosen)
            self._download_package(location, asked, target, service)
        return self._package(target), None, chosen

    def _download_package(self, location: str, asked: str, target: Path, service: registry.ModulesService) -> None:
        """Fetch what ``X-Terraform-Get`` names into ``target/package`` (and ``target/subdir``)."""
        if "::" not in location and not urlsplit(location).scheme:
            location = urljoin(asked, location)  # relative to the download URL
        try:
            parsed = addresses.parse(location)
        except addresses.SourceError as exc:  # the registry's answer, not the user's source
            raise DownloadError(f"the registry's download location {location.split('?', 1)[0]!r} {exc}") from None
        if isinstance(parsed, RegistrySource):
            raise DownloadError(f"the registry pointed to another registry address ({location}); not followed")
        if isinstance(parsed, GitSource) and parsed.url.startswith("file:"):  # a remote server naming a path here
            raise DownloadError("the registry's download location is a git repository on this machine "
                                f"({_shown_url(parsed.url)}); not followed")
        with _Staging(target) as stage:
            if isinstance(parsed, GitSource):
                commit, named = git.resolve_ref(parsed.url, parsed.ref, self.environ)
                git.checkout(parsed.url, parsed.ref, commit, named, stage / "package", self.environ)
            else:
                same_origin = http.origin(parsed.url) == http.origin(service.base)
                self._unpack(parsed, stage / "package", service.token if same_origin else None, service.allow_http and same_origin)
            (stage / "subdir").write_text(parsed.subdir, encoding="utf-8")

    def _package(self, target: Path) -> Path:
        subdir_file = target / "subdir"
        subdir = subdir_file.read_text(encoding="utf-8") if subdir_file.is_file() else ""
        return self._subdir(target / "package", subdir)

    # -- git and archives --------------------------------------------------------------

    def _git(self, source: GitSource) -> tuple[Path, str | None]:
        folder = self.root / "git" / _digest(source.url)
        remembered = folder / f"ref-{_digest(source.ref or 'HEAD')}"
        offline = None
        try:
            commit, named = git.resolve_ref(source.url, source.ref, self.environ)
        except git.GitUnreachable as exc:
            commit = remembered.read_text(encoding="utf-8").strip() if remembered.is_file() else ""
            if not commit or not (folder / commit / "package").is_dir():
                raise Offline(f"{exc}; and no cached checkout of {source.ref or 'HEAD'}") from None
            named, offline = True, (f"{_shown_url(source.url)} could not be reached ({exc}); using the cached "
                                    f"checkout of {source.ref or 'HEAD'} at {commit[:12]}")
        target = folder / commit
        if not (target / "package").is_dir():
            _say(f"cloning module {_shown_url(source.url)} at {commit[:12]}")
            with _Staging(target) as stage:
                git.checkout(source.url, source.ref, commit, named, stage / "package", self.environ)
        if named and not offline:
            remembered.write_text(commit, encoding="utf-8")
        return target / "package", offline

    def _archive(self, source: ArchiveSource) -> Path:
        target = self.root / "archive" / _digest(f"{source.kind} {source.url}")
        if not (target / "package").is_dir():
            _say(f"downloading module {_shown_url(source.url)}")
            with _Staging(target) as stage:
                self._unpack(source, stage / "package", None, False)
        return target / "package"

    def _unpack(self, source: ArchiveSource, destination: Path, token: str | None, allow_http: bool) -> None:
        shown = _shown_url(source.url)
        response = http.get(source.url, token, http.origin(source.url) if token else None, allow_http, what=shown)
        if response.status != 200:
            raise DownloadError(f"{shown}: HTTP {response.status}")
        try:
            archive.extract(response.body, source.kind, destination)
        except archive.ArchiveError as exc:
            raise DownloadError(f"the archive {shown} {exc}") from None

    # -- helpers -----------------------------------------------------------------------

    def _subdir(self, tree: Path, subdir: str) -> Path:
        if not subdir:
            return tree
        if any(c in subdir for c in "*?["):
            matches = [p for p in tree.glob(subdir) if p.is_dir()] if not subdir.startswith("/") else []
            if len(matches) != 1:
                raise DownloadError(f"the subdirectory pattern {subdir!r} matches {len(matches)} directories, not one")
            path = matches[0]
        else:
            path = tree / subdir
        real, base = Path(os.path.realpath(path)), Path(os.path.realpath(tree))
        if real != base and base not in real.parents:
            raise DownloadError(f"the subdirectory {subdir!r} leaves the downloaded module")
        if not real.is_dir():
            raise DownloadError(f"the downloaded module has no subdirectory {subdir!r}")
        return path


class _Staging:
    """A temporary directory next to ``target`` that becomes ``target`` when the block ends
    without an error (by rename: a concurrent run or an interrupted one never leaves half a
    module)."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.target.parent))
        return self.stage

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                try:
                    self.stage.rename(self.target)
                except OSError:
                    if not self.target.is_dir():  # another run put it there first: theirs is as good
                        raise
        finally:
            shutil.rmtree(self.stage, ignore_errors=True)


def _say(what: str) -> None:
    """Progress on a terminal only (stderr): a download can take a while."""
    if sys.stderr.isatty():
        print(f"ha-lint: {printable(what)}", file=sys.stderr, flush=True)  # it quotes a module source


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _shown_url(url: str) -> str:
    """A URL without its query or user info (they may hold a signature or a password)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def modules_dir(cache_dir: Path | None) -> tuple[Path, ScanWarning | None]:
    """Where downloads go: ``<cache dir>/modules``, when that directory is ours (owned by this
    user, writable by nobody else); else, and with no cache, a directory for this run only."""
    if cache_dir is not None:
        from ha_lint.cache import private_directory

        folder = cache_dir / "modules"
        problem = private_directory(folder)
        if problem is None:
            return folder, None
        refused = ScanWarning("cache-refused", f"the module download cache {folder} is not used: it {problem}; "
                                               "modules are downloaded for this run only")
    else:
        refused = None
    run_only = Path(tempfile.mkdtemp(prefix="ha-lint-modules-"))
    import atexit

    atexit.register(shutil.rmtree, run_only, True)
    return run_only, refused
