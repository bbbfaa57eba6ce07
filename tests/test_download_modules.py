"""--download-modules against real servers on 127.0.0.1 and real git repositories made here:
the registry protocol (discovery through a CLI ``host`` block, versions, 204 +
X-Terraform-Get), git sources by tag, the download cache, offline use, and the hostile
cases (credentials to another host, redirects to metadata addresses, archives that reach
out of their tree, git sources that are options or ext:: transports)."""

from __future__ import annotations

import io
import json
import os
import socket
import ssl
import subprocess
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import run_cli
from ha_lint.fetch import addresses, archive, http, versions
from ha_lint.fetch.cliconfig import load as load_cli_config
from ha_lint.fetch.cliconfig import token_host
from ha_lint.fetch.fetcher import ModuleFetcher

pytestmark = pytest.mark.slow  # real registry, git and HTTPS servers on 127.0.0.1

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}

DB_MODULE = """\
variable "multi_az" {
  type    = bool
  default = true
}

resource "aws_db_instance" "this" {
  engine                  = "postgres"
  instance_class          = "db.m6g.large"
  allocated_storage       = 100
  multi_az                = var.multi_az
  backup_retention_period = 7
}
"""


def tar_gz(files: dict[str, str | bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


class Server:
    """A module registry (and file host) on 127.0.0.1 that records every request."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = server.routes.get(self.path.split("?")[0], (404, {}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 204:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 204:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://{host}:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def serve_module(self, namespace: str, name: str, provider: str, found: dict[str, str | None]) -> None:
        """``found``: version -> X-Terraform-Get (None: no download)."""
        base = f"/v1/modules/{namespace}/{name}/{provider}"
        listing = {"modules": [{"versions": [{"version": v} for v in found]}]}
        self.routes[f"{base}/versions"] = (200, {"Content-Type": "application/json"}, json.dumps(listing).encode())
        for version, location in found.items():
            if location is not None:
                self.routes[f"{base}/{version}/download"] = (204, {"X-Terraform-Get": location}, b"")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The public registry's address pointed at a server here by a CLI configuration host block,
    with a token for it; HOME is a fresh directory."""
    server = Server()
    home = tmp_path / "home"
    home.mkdir()
    config = home / "terraform.rc"
    config.write_text(f'''
host "registry.terraform.io" {{
  services = {{
    "modules.v1" = "{server.url}/v1/modules/"
  }}
}}
credentials "registry.terraform.io" {{
  token = "registry-secret"
}}
''')
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
    server.routes["/archives/db-1.2.0.tar.gz"] = (200, {}, tar_gz({"terraform-aws-db-1.2.0/main.tf": DB_MODULE}))
    server.serve_module("acme", "db", "aws", {"1.0.0": "/archives/db-1.0.0.tar.gz//*?archive=tar.gz",
                                               "1.2.0": "/archives/db-1.2.0.tar.gz//*?archive=tar.gz",
                                               "2.0.0": None, "1.3.0-beta1": None})
    yield server
    server.close()


@pytest.fixture
def git_module(tmp_path: Path) -> Path:
    """A git repository with the database module under modules/x, tagged v1.0.0."""
    repo = tmp_path / "gitrepo"
    (repo / "modules" / "x").mkdir(parents=True)
    (repo / "modules" / "x" / "main.tf").write_text(DB_MODULE)
    (repo / "modules" / "x" / "hook.sh").write_text("#!/bin/sh\ntouch pwned\n")
    (repo / "modules" / "x" / "hook.sh").chmod(0o755)
    (repo / "modules" / "x" / "link.tf").symlink_to("/etc/hostname")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "db module"], ["tag", "v1.0.0"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    return repo


def write_root(root: Path, git_repo: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(f'''\
module "db" {{
  source   = "acme/db/aws"
  version  = "~> 1.0"
  multi_az = false
}}

module "cache" {{
  source   = "git::file://{git_repo}//modules/x?ref=v1.0.0"
  multi_az = false
}}
''')
    return root


def scan(root: Path, cache: Path, *extra: str) -> tuple[int, dict]:
    out = root.parent / "report.json"
    run = run_cli(str(root), "--no-config", "-j", "1", "--cache-dir", str(cache), "-f", "json", "-o", str(out), *extra)
    return run.returncode, json.loads(out.read_text())


def findings(report: dict) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["resource"]) for f in report["findings"]}


def warning_codes(report: dict) -> list[str]:
    return [w["code"] if isinstance(w, dict) else w for w in report.get("warnings", [])]


# -- end to end ------------------------------------------------------------------------


def test_downloaded_registry_and_git_modules_are_checked(tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = write_root(tmp_path / "repo", git_module)
    code, report = scan(root, tmp_path / "cache", "--download-modules")
    assert code == 1, report["warnings"]
    assert ("HA101", "module.db.aws_db_instance.this") in findings(report)
    assert ("HA101", "module.cache.aws_db_instance.this") in findings(report)
    assert report["errors"] == []
    # "~> 1.0": 1.2.0, not 2.0.0 nor the pre-release; the token went to the registry's own origin
    downloads = [(p, h) for p, h in registry.requests if p.endswith("/download")]
    assert [p for p, _ in downloads] == ["/v1/modules/acme/db/aws/1.2.0/download"]
    assert all(h.get("authorization") == "Bearer registry-secret" for _, h in registry.requests)
    # nothing of the download is shown as a path into the cache; the message names the version chosen
    assert all(str(tmp_path / "cache") not in f["file"] for f in report["findings"])
    [db] = [f for f in report["findings"] if f["rule_id"] == "HA101" and f["resource"].startswith("module.db.")]
    assert "acme/db/aws 1.2.0" in db["message"] and db["line"] == 4


def test_without_the_option_nothing_touches_the_network(tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = write_root(tmp_path / "repo", git_module)
    code, report = scan(root, tmp_path / "cache")
    assert registry.requests == []
    assert not (tmp_path / "cache" / "modules").exists()
    assert warning_codes(report).count("module-not-found") == 2
    assert findings(report) == set()


def test_a_second_run_uses_the_download_cache(tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = write_root(tmp_path / "repo", git_module)
    scan(root, tmp_path / "cache", "--download-modules")
    checkout = next((tmp_path / "cache" / "modules" / "git").glob("*/*/package"))
    marker = checkout / "marker"
    marker.write_text("still the first checkout")
    registry.requests.clear()
    # the root changes, so its resolution is not the cached one: the modules come from the download cache
    (root / "main.tf").write_text((root / "main.tf").read_text() + "\n# changed\n")
    code, report = scan(root, tmp_path / "cache", "--download-modules")
    assert ("HA101", "module.db.aws_db_instance.this") in findings(report)
    assert ("HA101", "module.cache.aws_db_instance.this") in findings(report)
    assert not any(p.endswith("/download") or p.startswith("/archives") for p in registry.paths())
    assert marker.is_file()  # not cloned again
    # an unchanged root does not even ask for the versions
    registry.requests.clear()
    scan(root, tmp_path / "cache", "--download-modules")
    assert registry.requests == []


def test_registry_down_uses_the_highest_cached_matching_version_with_a_warning(
        tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = write_root(tmp_path / "repo", git_module)
    scan(root, tmp_path / "cache", "--download-modules")
    registry.close()
    (root / "main.tf").write_text((root / "main.tf").read_text() + "\n# changed\n")
    code, report = scan(root, tmp_path / "cache", "--download-modules")
    assert ("HA101", "module.db.aws_db_instance.this") in findings(report)
    assert report["errors"] == []
    offline = [w for w in report["warnings"] if w["code"] == "module-offline"]
    assert len(offline) == 1 and "1.2.0" in offline[0]["message"] and offline[0]["line"] == 2


def test_a_git_remote_that_cannot_be_reached_uses_the_last_checkout_of_its_ref(tmp_path: Path, git_module: Path) -> None:
    source = f"git::file://{git_module}//modules/x?ref=v1.0.0"
    first = fetcher(tmp_path)
    path = first.locate(source, None, "main.tf", 8)
    assert path is not None and first.errors == []
    git_module.rename(tmp_path / "moved")
    again = fetcher(tmp_path)
    assert again.locate(source, None, "main.tf", 8) == path
    [warning] = again.warnings
    assert warning.code == "module-offline" and "cached checkout of v1.0.0" in warning.message and again.errors == []
    never = ModuleFetcher(tmp_path / "empty", dict(os.environ))
    assert never.locate(source, None, "main.tf", 8) is None
    assert "no cached checkout of v1.0.0" in never.errors[0].message


def test_a_failed_download_is_a_load_error_at_the_module_block(tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "main.tf").write_text('module "db" {\n  source  = "acme/db/aws"\n  version = ">= 3.0"\n}\n')
    code, report = scan(root, tmp_path / "cache", "--download-modules")
    assert code == 1
    [error] = report["errors"]
    assert error["file"].endswith("main.tf") and error["line"] == 2
    assert "no version of registry.terraform.io/acme/db/aws matches '>= 3.0'" in error["message"]
    assert "module-not-found" not in warning_codes(report)


OUTER_MODULE = """\
variable "multi_az" {
  type = bool
}

module "inner" {
  source   = "./modules/inner"
  multi_az = var.multi_az
}

module "leaf" {
  source   = "acme/db/aws"
  version  = "1.0.0"
  multi_az = false
}
"""


def test_modules_inside_a_downloaded_module_are_followed(tmp_path: Path, registry: Server) -> None:
    """A relative source resolves inside the download; a registry source is downloaded in turn."""
    registry.routes["/outer.tgz"] = (200, {}, tar_gz({"main.tf": OUTER_MODULE, "modules/inner/main.tf": DB_MODULE}))
    registry.routes["/db-1.0.0.tgz"] = (200, {}, tar_gz({"main.tf": DB_MODULE}))
    registry.serve_module("acme", "outer", "aws", {"1.0.0": "/outer.tgz"})
    registry.serve_module("acme", "db", "aws", {"1.0.0": "/db-1.0.0.tgz", "1.2.0": "/unused.tgz"})
    root = tmp_path / "repo"
    root.mkdir()
    (root / "main.tf").write_text('module "outer" {\n  source   = "acme/outer/aws"\n  multi_az = false\n}\n')
    code, report = scan(root, tmp_path / "cache", "--download-modules")
    assert {("HA101", "module.outer.module.inner.aws_db_instance.this"),
            ("HA101", "module.outer.module.leaf.aws_db_instance.this")} <= findings(report), report["warnings"]
    assert "/db-1.0.0.tgz" in registry.paths() and "/unused.tgz" not in registry.paths()


def test_without_a_cache_downloads_last_for_the_run_only(tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = write_root(tmp_path / "repo", git_module)
    out = tmp_path / "report.json"
    run_cli(str(root), "--no-config", "-j", "1", "--no-cache", "--download-modules", "-f", "json", "-o", str(out))
    assert ("HA101", "module.cache.aws_db_instance.this") in findings(json.loads(out.read_text()))
    assert not (tmp_path / "cache").exists()


def test_the_graph_command_downloads_too(tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = write_root(tmp_path / "repo", git_module)
    out = tmp_path / "graph.json"
    assert run_cli("graph", str(root), "--no-config", "--download-modules", "-f", "json", "-o", str(out)).returncode == 0
    assert "module.db.aws_db_instance.this" in out.read_text()


def test_an_unreadable_cli_configuration_is_a_warning_and_the_scan_goes_on(
        tmp_path: Path, registry: Server, git_module: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.rc"
    bad.write_text("host {{{\n")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(bad))
    root = write_root(tmp_path / "repo", git_module)
    code, report = scan(root, tmp_path / "cache", "--download-modules")
    [warning] = [w for w in report["warnings"] if w["code"] == "cli-config"]
    assert str(bad) in warning["message"] and "not valid HCL" in warning["message"]
    assert ("HA101", "module.cache.aws_db_instance.this") in findings(report)  # the git source needs no registry


def test_a_module_cache_others_may_write_to_is_not_used(tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = write_root(tmp_path / "repo", git_module)
    (tmp_path / "cache" / "modules").mkdir(parents=True)
    (tmp_path / "cache" / "modules").chmod(0o777)
    code, report = scan(root, tmp_path / "cache", "--download-modules")
    [refused] = [w for w in report["warnings"] if w["code"] == "cache-refused"]
    assert "module download cache" in refused["message"] and "writable by group and others" in refused["message"]
    assert ("HA101", "module.db.aws_db_instance.this") in findings(report)
    assert list((tmp_path / "cache" / "modules").iterdir()) == []


def test_the_config_file_turns_downloads_on(tmp_path: Path, registry: Server, git_module: Path) -> None:
    root = write_root(tmp_path / "repo", git_module)
    (root / ".ha-lint.yml").write_text("download-modules: true\n")
    out = tmp_path / "report.json"
    run_cli(str(root), "--config", str(root / ".ha-lint.yml"), "-j", "1", "--cache-dir", str(tmp_path / "cache"),
            "-f", "json", "-o", str(out))
    assert ("HA101", "module.db.aws_db_instance.this") in findings(json.loads(out.read_text()))


# -- hostile cases ---------------------------------------------------------------------


def fetcher(tmp_path: Path) -> ModuleFetcher:
    return ModuleFetcher(tmp_path / "modules", dict(os.environ))


def test_x_terraform_get_to_another_host_gets_no_credentials(tmp_path: Path, registry: Server) -> None:
    other = Server("127.0.0.2")
    try:
        other.routes["/db.tar.gz"] = (200, {}, tar_gz({"main.tf": DB_MODULE}))
        registry.serve_module("acme", "elsewhere", "aws", {"1.0.0": f"{other.url}/db.tar.gz"})
        found = fetcher(tmp_path)
        path = found.locate("acme/elsewhere/aws", None, "main.tf", 1)
        assert path is not None and (path / "main.tf").is_file(), found.errors
        assert other.requests and all("authorization" not in h for _, h in other.requests)
        assert any(h.get("authorization") == "Bearer registry-secret" for _, h in registry.requests)
    finally:
        other.close()


def test_a_redirect_to_the_metadata_address_is_refused(tmp_path: Path, registry: Server) -> None:
    registry.routes["/jump.tar.gz"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/x.tar.gz"}, b"")
    registry.serve_module("acme", "jump", "aws", {"1.0.0": "/jump.tar.gz"})
    found = fetcher(tmp_path)
    assert found.locate("acme/jump/aws", None, "main.tf", 3) is None
    [error] = found.errors
    assert error.line == 3 and "169.254.169.254 is a cloud metadata address" in error.message


def test_a_redirect_carries_no_credentials_to_another_host(tmp_path: Path) -> None:
    other, here = Server("127.0.0.2"), Server()
    try:
        other.routes["/x"] = (200, {}, b"{}")
        here.routes["/start"] = (302, {"Location": f"{other.url}/x"}, b"")
        response = http.get(f"{here.url}/start", "tok", http.origin(here.url))
        assert response.status == 200
        assert here.requests[0][1].get("authorization") == "Bearer tok"
        assert "authorization" not in other.requests[0][1]
    finally:
        other.close()
        here.close()


@pytest.mark.parametrize("entries, links, why", [
    ({"../evil.tf": "x"}, {}, "'..'"),
    ({"/etc/evil.tf": "x"}, {}, "absolute path"),
    ({"main.tf": "x"}, {"out": "../../../etc"}, "outside the archive"),
    ({"main.tf": "x"}, {"abs": "/etc/passwd"}, "outside the archive"),
    ({"main.tf": "x"}, {"here": ".", "here/here/up": "../../x"}, "outside the archive"),
])
def test_archives_that_reach_out_of_their_tree_are_refused(tmp_path: Path, registry: Server, entries, links, why) -> None:
    registry.routes["/bad.tar.gz"] = (200, {}, tar_gz(entries, links))
    registry.serve_module("acme", "bad", "aws", {"1.0.0": "/bad.tar.gz"})
    found = fetcher(tmp_path)
    assert found.locate("acme/bad/aws", None, "main.tf", 1) is None
    [error] = found.errors
    assert why in error.message and "refused" in error.message
    assert not (tmp_path / "etc").exists() and not (tmp_path / "evil.tf").exists()


def test_a_download_location_ha_lint_does_not_fetch_is_said(tmp_path: Path, registry: Server) -> None:
    registry.serve_module("acme", "s3", "aws", {"1.0.0": "s3::https://s3.amazonaws.com/b/m.zip?X-Amz-Signature=secret"})
    found = fetcher(tmp_path)
    assert found.locate("acme/s3/aws", None, "main.tf", 2) is None
    message = found.errors[0].message
    assert "download location 's3::https://s3.amazonaws.com/b/m.zip' is of type 's3::'" in message
    assert "secret" not in message


def test_a_registry_cannot_point_at_a_git_repository_on_this_machine(
        tmp_path: Path, registry: Server, git_module: Path) -> None:
    registry.serve_module("acme", "local", "aws", {"1.0.0": f"git::file://{git_module}?ref=v1.0.0"})
    found = fetcher(tmp_path)
    assert found.locate("acme/local/aws", None, "main.tf", 1) is None
    assert "a git repository on this machine" in found.errors[0].message


def test_an_archive_with_too_many_files_is_refused(tmp_path: Path) -> None:
    data = tar_gz({f"f{i}.tf": "" for i in range(archive.MAX_FILES + 1)})
    with pytest.raises(archive.ArchiveError, match="more than 10000 entries"):
        archive.extract(data, "tar.gz", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_archive_that_unpacks_too_large_is_refused_without_unpacking_it_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 4 * 1024 * 1024)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("huge.tf")
        info.size = archive.MAX_TOTAL_BYTES + 1
        tar.addfile(info, io.BytesIO(bytes(info.size)))  # zeros: a few KB compressed
        tar.addfile(tarfile.TarInfo("after.tf"), io.BytesIO(b""))
    started = time.monotonic()
    with pytest.raises(archive.ArchiveError, match="unpacks to more than 4 MiB"):
        archive.extract(buffer.getvalue(), "tar.gz", tmp_path / "out")
    assert time.monotonic() - started < 2 and not (tmp_path / "out").exists()


def test_a_zip_archive_is_unpacked_as_plain_files(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mod/main.tf", DB_MODULE)
    archive.extract(buffer.getvalue(), "zip", tmp_path / "out")
    main = tmp_path / "out" / "mod" / "main.tf"
    assert main.read_text() == DB_MODULE and not os.access(main, os.X_OK)


@pytest.mark.parametrize("source, why", [
    ("git::--upload-pack=touch /tmp/pwned", "command-line option"),
    ("--upload-pack=touch /tmp/pwned", "command-line option"),
    ("git::ext::sh -c touch% /tmp/pwned", "not allowed"),
    ("ext::sh -c touch% /tmp/pwned", "which ha-lint does not download"),
    ("git::https://example.com/repo.git?ref=--upload-pack=x", "option"),
    ("s3::https://s3.amazonaws.com/bucket/x.zip", "which ha-lint does not download"),
    ("git::ssh://-oProxyCommand=touch%20/tmp/pwned/repo.git", "command-line option"),
])
def test_hostile_git_sources_are_refused_before_git_runs(tmp_path: Path, source: str, why: str) -> None:
    found = fetcher(tmp_path)
    assert found.locate(source, None, "main.tf", 5) is None
    [error] = found.errors
    assert why in error.message and error.line == 5
    assert not Path("/tmp/pwned").exists()


def test_a_git_checkout_holds_plain_files_only(tmp_path: Path, git_module: Path) -> None:
    found = fetcher(tmp_path)
    path = found.locate(f"git::file://{git_module}//modules/x?ref=v1.0.0", None, "main.tf", 1)
    assert path is not None and not (path.parent.parent / ".git").exists()
    assert not os.access(path / "hook.sh", os.X_OK)
    link = path / "link.tf"  # a link in the repository is checked out as a file holding its target
    assert not link.is_symlink() and link.read_text() == "/etc/hostname"


def test_a_git_ref_that_is_a_commit_id_is_checked_out(tmp_path: Path, git_module: Path) -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=git_module, capture_output=True, text=True,
                            check=True).stdout.strip()
    found = fetcher(tmp_path)
    path = found.locate(f"git::file://{git_module}//modules/x?ref={commit}", None, "main.tf", 1)
    assert path is not None and (path / "main.tf").read_text() == DB_MODULE, found.errors
    assert path.parents[2].name == commit  # cached by the commit: git/<url>/<commit>/package/modules/x


def test_a_registry_address_with_a_subdirectory(tmp_path: Path, registry: Server) -> None:
    registry.routes["/mono.tgz"] = (200, {}, tar_gz({"repo-1.0.0/main.tf": "", "repo-1.0.0/modules/db/main.tf": DB_MODULE}))
    registry.serve_module("acme", "mono", "aws", {"1.0.0": "/mono.tgz//*"})
    found = fetcher(tmp_path)
    path = found.locate("acme/mono/aws//modules/db", "1.0.0", "main.tf", 1)
    assert path is not None and (path / "main.tf").read_text() == DB_MODULE, found.errors
    assert found.locate("acme/mono/aws//modules/../../../..", "1.0.0", "main.tf", 2) is None
    assert "leaves the downloaded module" in found.errors[0].message


def test_a_git_source_with_an_unknown_tag_is_a_load_error(tmp_path: Path, git_module: Path) -> None:
    found = fetcher(tmp_path)
    assert found.locate(f"git::file://{git_module}//modules/x?ref=v9", None, "main.tf", 7) is None
    assert "has no branch or tag 'v9'" in found.errors[0].message


# -- units -----------------------------------------------------------------------------


@pytest.mark.parametrize("constraint, expected", [
    (None, "2.0.0"),
    ("", "2.0.0"),
    ("1.2.0", "1.2.0"),
    ("= 1.2.0", "1.2.0"),
    ("!= 2.0.0", "1.10.1"),
    ("> 1.2.0, < 2.0.0", "1.10.1"),
    (">= 1.2.0", "2.0.0"),
    ("<= 1.2.0", "1.2.0"),
    ("< 1.0.0", "0.9.0"),
    ("~> 1.2", "1.10.1"),
    ("~> 1.2.0", "1.2.3"),
    ("~> 1", "1.10.1"),
    ("~> 0.9", "0.9.0"),
    ("> 2.0.0", None),
    ("= 2.1.0-rc1", "2.1.0-rc1"),
    (">= 2.1.0-rc1", None),  # a pre-release only when named exactly
    ("~> 1.2, != 1.10.1", "1.9.0"),
])
def test_version_constraints_choose_as_terraform_does(constraint, expected) -> None:
    available = ["0.9.0", "1.0.0", "1.2.0", "1.2.3", "1.9.0", "1.10.1", "2.0.0", "2.1.0-rc1"]
    assert versions.choose(available, constraint) == expected


def test_a_bad_version_constraint_is_refused() -> None:
    with pytest.raises(versions.ConstraintError):
        versions.parse_constraints("~> banana")


@pytest.mark.parametrize("source, expected", [
    ("acme/db/aws", addresses.RegistrySource("registry.terraform.io", "acme", "db", "aws")),
    ("app.terraform.io/acme/db/aws//modules/x", addresses.RegistrySource("app.terraform.io", "acme", "db", "aws", "modules/x")),
    ("github.com/acme/terraform-db", addresses.GitSource("https://github.com/acme/terraform-db.git")),
    ("github.com/acme/terraform-db//sub?ref=v1.2.0", addresses.GitSource("https://github.com/acme/terraform-db.git", "v1.2.0", "sub")),
    ("bitbucket.org/acme/db?ref=main", addresses.GitSource("https://bitbucket.org/acme/db.git", "main")),
    ("git@github.com:acme/db.git?ref=v1", addresses.GitSource("ssh://git@github.com/acme/db.git", "v1")),
    ("git::ssh://git@example.com/db.git//m?ref=v2", addresses.GitSource("ssh://git@example.com/db.git", "v2", "m")),
    ("git::https://example.com/db.git?ref=v3&depth=1", addresses.GitSource("https://example.com/db.git", "v3", "", 1)),
    ("https://example.com/db.zip", addresses.ArchiveSource("https://example.com/db.zip", "zip")),
    ("https://example.com/db.tgz//m", addresses.ArchiveSource("https://example.com/db.tgz", "tar.gz", "m")),
    ("https://example.com/get?archive=tar.gz&sig=1", addresses.ArchiveSource("https://example.com/get?sig=1", "tar.gz")),
])
def test_source_addresses(source: str, expected) -> None:
    assert addresses.parse(source) == expected


def test_cli_configuration_tokens_and_hosts(tmp_path: Path) -> None:
    (tmp_path / ".terraform.d").mkdir()
    (tmp_path / ".terraform.d" / "credentials.tfrc.json").write_text(
        json.dumps({"credentials": {"app.terraform.io": {"token": "from-login"}, "a.example.com": {"token": "login-a"}}}))
    (tmp_path / ".terraformrc").write_text('credentials "a.example.com" {\n  token = "from-rc"\n}\n'
                                           'host "example.com" {\n  services = {\n    "modules.v1" = "https://m.example.com/v1/"\n  }\n}\n')
    config = load_cli_config({"HOME": str(tmp_path), "TF_TOKEN_my__registry_example_com": "from-env"})
    assert config.token_for("app.terraform.io") == "from-login"
    assert config.token_for("a.example.com") == "from-rc"
    assert config.token_for("my-registry.example.com") == "from-env"
    assert config.services["example.com"]["modules.v1"] == "https://m.example.com/v1/"
    assert token_host("TF_TOKEN_app_terraform_io") == "app.terraform.io"


def test_a_registry_over_https_found_by_service_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HOST/NAMESPACE/NAME/PROVIDER with no host block: discovery at https://HOST/.well-known/terraform.json,
    TLS verified against a certificate made here (and refused without it)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = Server("127.0.0.1", tls)
    try:
        server.routes["/.well-known/terraform.json"] = (200, {}, b'{"modules.v1": "/api/modules/v1/"}')
        base = "/api/modules/v1/acme/db/aws"
        server.routes[f"{base}/versions"] = (200, {}, b'{"modules": [{"versions": [{"version": "1.2.0"}]}]}')
        server.routes[f"{base}/1.2.0/download"] = (204, {"X-Terraform-Get": "../../../../../../../db.tgz"}, b"")
        server.routes["/db.tgz"] = (200, {}, tar_gz({"main.tf": DB_MODULE}))
        host = f"localhost:{server.httpd.server_port}"
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        (tmp_path / ".terraformrc").write_text(f'credentials "{host}" {{\n  token = "private"\n}}\n')
        untrusted = fetcher(tmp_path / "a")
        assert untrusted.locate(f"{host}/acme/db/aws", "1.2.0", "main.tf", 1) is None
        assert "TLS failed" in untrusted.errors[0].message
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
        found = fetcher(tmp_path / "b")
        path = found.locate(f"{host}/acme/db/aws", "1.2.0", "main.tf", 1)
        assert path is not None and (path / "main.tf").read_text() == DB_MODULE, found.errors
        assert server.paths()[-4:] == ["/.well-known/terraform.json", f"{base}/versions", f"{base}/1.2.0/download", "/db.tgz"]
        assert all(h.get("authorization") == "Bearer private" for _, h in server.requests[-4:])
    finally:
        server.close()


def test_a_server_that_drips_its_answer_is_given_up_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b"x")
            except OSError:
                break
            time.sleep(0.05)
        conn.close()
    threading.Thread(target=drip, daemon=True).start()
    monkeypatch.setattr(http, "TOTAL_TIMEOUT", 1.0)
    started = time.monotonic()
    try:
        with pytest.raises(http.FetchError, match="took longer than 1 s"):
            http.get(f"http://127.0.0.1:{listener.getsockname()[1]}/m.tgz")
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        listener.close()


class ConnectProxy:
    """An HTTP proxy on 127.0.0.1 that tunnels CONNECT to 127.0.0.1 whatever host is named
    (so a name only the proxy knows works), and records what it was asked."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.asked: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(4096)
        self.asked.append(head.decode())
        target_port = int(head.split(b" ")[1].rsplit(b":", 1)[1])
        upstream = socket.create_connection(("127.0.0.1", target_port))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(a: socket.socket, b: socket.socket) -> None:
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                b.close()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)

    def close(self) -> None:
        self.listener.close()


def test_https_goes_through_the_proxy_the_environment_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY with credentials: a CONNECT tunnel to a registry whose name only the proxy
    resolves; TLS is verified end to end and the token never reaches the proxy in the clear."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=registry.example.test",
                    "-addext", "subjectAltName=DNS:registry.example.test", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server, proxy = Server("127.0.0.1", tls), ConnectProxy()
    try:
        server.routes["/.well-known/terraform.json"] = (200, {}, b'{"modules.v1": "/v1/modules/"}')
        server.serve_module("acme", "db", "aws", {"1.2.0": "/db.tgz"})
        server.routes["/db.tgz"] = (200, {}, tar_gz({"main.tf": DB_MODULE}))
        host = f"registry.example.test:{server.httpd.server_port}"
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        (tmp_path / ".terraformrc").write_text(f'credentials "{host}" {{\n  token = "private"\n}}\n')
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
        monkeypatch.setenv("HTTPS_PROXY", f"http://user:pw@127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        found = fetcher(tmp_path)
        path = found.locate(f"{host}/acme/db/aws", None, "main.tf", 1)
        assert path is not None and (path / "main.tf").read_text() == DB_MODULE, found.errors
        assert proxy.asked and all(a.startswith(f"CONNECT {host} ") for a in proxy.asked)
        assert all("Proxy-Authorization: Basic dXNlcjpwdw==" in a and "private" not in a for a in proxy.asked)
        assert any(h.get("authorization") == "Bearer private" for _, h in server.requests)
        # NO_PROXY covers the host: no tunnel, and the name does not resolve here
        monkeypatch.setenv("NO_PROXY", "example.test")
        before = len(proxy.asked)
        again = fetcher(tmp_path / "again")
        assert again.locate(f"{host}/acme/db/aws", None, "main.tf", 1) is None
        assert "cannot resolve registry.example.test" in again.errors[0].message and len(proxy.asked) == before
    finally:
        server.close()
        proxy.close()


def test_plain_http_is_refused_except_loopback() -> None:
    with pytest.raises(http.FetchError, match="plain http is refused"):
        http.get("http://example.com/x.tar.gz")
