"""Module source addresses as Terraform reads them, sorted into what can be downloaded.

- registry: ``[HOST/]NAMESPACE/NAME/PROVIDER[//SUBDIR]`` (HOST defaults to
  ``registry.terraform.io``);
- git: ``git::URL`` (https, ssh, git or file), ``git@host:path`` (scp-like ssh), and the
  ``github.com/ORG/REPO`` / ``bitbucket.org/ORG/REPO`` shorthands, with ``?ref=`` and
  ``//SUBDIR``;
- archive: an ``http(s)`` URL ending ``.zip``, ``.tar.gz``, ``.tgz`` (or with
  ``?archive=zip|tar.gz|tgz``), with ``//SUBDIR``.

Anything else (``s3::``, ``gcs::``, ``hg::``, a transport such as ``ext::``) is refused with
the reason. A source that looks like a command-line option (starts with ``-``) is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PUBLIC_REGISTRY = "registry.terraform.io"
GIT_SCHEMES = ("https", "ssh", "git", "file")
ARCHIVE_TYPES = {"zip": "zip", "tar.gz": "tar.gz", "tgz": "tar.gz"}

_NAMESPACE = re.compile(r"^[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}[0-9A-Za-z])?$")
_PROVIDER = re.compile(r"^[0-9a-z]{1,64}$")
_HOST = re.compile(r"^[0-9A-Za-z.-]+(?::\d{1,5})?$")
_SCP_LIKE = re.compile(r"^([A-Za-z0-9._-]+@)([A-Za-z0-9.-]+):(?!//)(.+)$")  # git@github.com:org/repo
_NOT_REGISTRY_HOSTS = ("github.com", "bitbucket.org")


class SourceError(ValueError):
    """A module source that ha-lint will not download, with the reason."""


@dataclass(frozen=True)
class RegistrySource:
    host: str
    namespace: str
    name: str
    provider: str
    subdir: str = ""

    def __str__(self) -> str:
        return f"{self.host}/{self.namespace}/{self.name}/{self.provider}"


@dataclass(frozen=True)
class GitSource:
    url: str  # without ?ref=; the form git is given
    ref: str | None = None
    subdir: str = ""
    depth: int | None = None


@dataclass(frozen=True)
class ArchiveSource:
    url: str  # without ?archive=
    kind: str  # "zip" or "tar.gz"
    subdir: str = ""


Source = RegistrySource | GitSource | ArchiveSource


def is_local(source: str) -> bool:
    return source.startswith(("./", "../")) or source in (".", "..")


def split_subdir(source: str) -> tuple[str, str]:
    """``URL//SUBDIR?query`` -> (``URL?query``, ``SUBDIR``); the ``//`` of a scheme is not one."""
    stop = source.find("?")
    stop = len(source) if stop < 0 else stop
    scheme = source.find("://", 0, stop)
    offset = scheme + 3 if scheme >= 0 else 0
    at = source.find("//", offset, stop)
    if at < 0:
        return source, ""
    return source[:at] + source[stop:], source[at + 2:stop]


def parse(source: str) -> Source:
    """What ``source`` names, or SourceError saying why it cannot be downloaded."""
    text = source.strip()
    if not text or text.startswith("-"):
        raise SourceError("looks like a command-line option, not a module source")
    if is_local(text):
        raise SourceError("is a local path")
    registry = _registry(text)
    if registry is not None:
        return registry
    forced, sep, rest = text.partition("::")
    if sep and re.fullmatch(r"[A-Za-z0-9+.-]+", forced):
        if forced == "git":
            return _git(rest)
        if forced in ("http", "https"):
            return _archive(rest, required=True)
        raise SourceError(f"is of type {forced + '::'!r}, which ha-lint does not download (registry, git:: and "
                          "https archive sources it does)")
    for host in _NOT_REGISTRY_HOSTS:
        if text.startswith(host + "/"):
            address, subdir = split_subdir(text)
            address, query = (address.split("?", 1) + [""])[:2]
            path = address[len(host) + 1:].removesuffix(".git")
            if path.count("/") != 1:
                raise SourceError(f"must be {host}/ORGANIZATION/REPOSITORY")
            return _git(f"https://{host}/{path}.git" + (f"//{subdir}" if subdir else "") + (f"?{query}" if query else ""))
    if _SCP_LIKE.match(split_subdir(text)[0].split("?", 1)[0]) and "://" not in text:
        return _git(text)
    if text.startswith(("https://", "http://")):
        return _archive(text, required=True)
    if "://" in text:
        raise SourceError(f"uses the scheme {text.split('://', 1)[0]!r}, which ha-lint does not download")
    raise SourceError("is neither a registry address (NAMESPACE/NAME/PROVIDER), a git source nor an archive URL")


def _registry(text: str) -> RegistrySource | None:
    address, subdir = split_subdir(text)
    if "?" in address or "://" in address or "::" in address:
        return None
    parts = address.split("/")
    if len(parts) == 3:
        host, (namespace, name, provider) = PUBLIC_REGISTRY, parts
    elif len(parts) == 4:
        host, namespace, name, provider = parts
        if not _HOST.match(host) or "." not in host and ":" not in host and host != "localhost":
            return None
        if host.lower() in _NOT_REGISTRY_HOSTS:
            return None
    else:
        return None
    if not (_NAMESPACE.match(namespace) and _NAMESPACE.match(name) and _PROVIDER.match(provider)):
        return None
    return RegistrySource(host.lower(), namespace, name, provider, subdir)


def _git(text: str) -> GitSource:
    address, subdir = split_subdir(text)
    url, _, query = address.partition("?")
    if url.startswith("-"):
        raise SourceError("looks like a command-line option, not a git URL")
    params = dict(parse_qsl(query, keep_blank_values=True))
    ref = params.pop("ref", None) or None
    depth_text = params.pop("depth", None)
    params.pop("sshkey", None)  # a key given inline: not used (ssh uses the user's own keys)
    if ref is not None and ref.startswith("-"):
        raise SourceError("has a ref that looks like a command-line option")
    scp = _SCP_LIKE.match(url)
    if "://" not in url and scp:
        url = f"ssh://{scp.group(1)}{scp.group(2)}/{scp.group(3)}"
    split = urlsplit(url)
    scheme = split.scheme.lower()
    if (split.hostname or "").startswith("-") or (split.username or "").startswith("-"):
        raise SourceError("has a host that looks like a command-line option (ssh would take it as one)")
    if scheme not in GIT_SCHEMES:
        raise SourceError(f"uses the git transport {scheme or url!r}, which is not allowed (only {', '.join(GIT_SCHEMES)})")
    if params:
        parts = urlsplit(url)
        url = urlunsplit(parts._replace(query=urlencode(params)))
    depth = int(depth_text) if depth_text and depth_text.isdigit() else None
    return GitSource(url, ref, subdir, depth)


def _archive(text: str, required: bool) -> ArchiveSource:
    address, subdir = split_subdir(text)
    parts = urlsplit(address)
    if parts.scheme not in ("https", "http"):
        raise SourceError(f"uses the scheme {parts.scheme!r}; archives are downloaded over https")
    params = parse_qsl(parts.query, keep_blank_values=True)
    kind = next((ARCHIVE_TYPES.get(v) for k, v in params if k == "archive"), None)
    rest = [(k, v) for k, v in params if k != "archive"]
    if kind is None:
        path = parts.path.lower()
        kind = next((ARCHIVE_TYPES[ext] for ext in ARCHIVE_TYPES if path.endswith("." + ext)), None)
    if kind is None:
        raise SourceError("is an HTTP URL but not a .zip, .tar.gz or .tgz archive (nor says ?archive=)")
    return ArchiveSource(urlunsplit(parts._replace(query=urlencode(rest))), kind, subdir)
