"""HTTP GET for module downloads, bounded and careful about where it connects.

- Only ``https``; plain ``http`` only to a loopback address or when the caller allows it (a
  ``host`` block of the Terraform CLI configuration that names an ``http://`` URL).
- The address actually connected to is checked: link-local (169.254.0.0/16, fe80::/10) and
  cloud metadata addresses are refused, for the first URL and for every redirect.
- Redirects are followed by hand (at most 5); the bearer token is sent only to the host it
  belongs to, never to a host a redirect names.
- ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` are honoured (an https request goes through a
  CONNECT tunnel, so TLS and the token stay end to end); loopback is never proxied.
- A connect timeout, a total deadline and a size limit bound every request; on a terminal
  the progress of a large body is shown on stderr.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from ha_lint.escape import printable

CONNECT_TIMEOUT = 15.0
TOTAL_TIMEOUT = 120.0
MAX_REDIRECTS = 5
MAX_BODY = 100 * 1024 * 1024  # an archive; a module is rarely over a few MB
_CHUNK = 64 * 1024
_METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")}
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))


class FetchError(Exception):
    """A request that failed or was refused; the message says why."""


class Unreachable(FetchError):
    """The host could not be reached at all (no answer, DNS failure, timeout): a registry
    that is down, or no network. The caller may fall back to the cache."""


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def refused_address(address: str) -> str | None:
    """Why ha-lint will not talk to ``address``, or None."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return f"{ip} is a cloud metadata address"
    if any(ip in net for net in _LINK_LOCAL):
        return f"{ip} is a link-local address"
    return None


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``: what a token is bound to."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def get(url: str, token: str | None = None, token_origin: tuple[str, str, int] | None = None,
        allow_http: bool = False, max_bytes: int = MAX_BODY, what: str = "",
        deadline: float | None = None) -> Response:
    """GET ``url``, following redirects by hand. ``token`` goes only to ``token_origin``
    (the registry's own service URL), never to another host a redirect names."""
    deadline = deadline or time.monotonic() + TOTAL_TIMEOUT
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme == "http" and not (allow_http or is_loopback_host(host)):
            raise FetchError(f"{url}: plain http is refused (https only, except loopback or a CLI host block)")
        if parts.scheme not in ("http", "https") or not host:
            raise FetchError(f"{url}: not an http(s) URL")
        headers = {"User-Agent": "ha-lint (module download)", "Accept": "*/*"}
        if token and token_origin and origin(url) == token_origin:
            headers["Authorization"] = f"Bearer {token}"
        status, reply, body = _request(parts, headers, max_bytes, what or url, deadline)
        if status in (301, 302, 303, 307, 308) and "location" in reply:
            url = urljoin(url, reply["location"])
            continue
        return Response(url, status, reply, body)
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _request(parts, headers: dict[str, str], max_bytes: int, what: str,
             deadline: float) -> tuple[int, dict[str, str], bytes]:
    host, port = parts.hostname, parts.port
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Unreachable(f"{what}: timed out")
    timeout = min(CONNECT_TIMEOUT, remaining)
    target_port = port or (443 if parts.scheme == "https" else 80)
    proxy = _proxy(parts)
    # Through a proxy the name may resolve only there: what resolves here is still checked.
    _check_addresses(host, target_port, what, unresolved_ok=proxy is not None)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if proxy is None:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context()) \
            if parts.scheme == "https" else http.client.HTTPConnection(host, port, timeout=timeout)
    elif parts.scheme == "https":  # a CONNECT tunnel: TLS (and the token) end to end with the host
        conn = http.client.HTTPSConnection(proxy.host, proxy.port, timeout=timeout, context=ssl.create_default_context())
        conn.set_tunnel(host, target_port, headers=proxy.headers)
    else:
        conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=timeout)
        headers = {**headers, **proxy.headers}
        path = f"http://{host}:{target_port}{path}"
    try:
        try:
            conn.connect()
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, ssl.SSLError):
                raise FetchError(f"{what}: TLS failed ({exc.reason or exc})") from None
            raise Unreachable(f"{what}: cannot connect to {host} ({_reason(exc)})") from None
        peer = conn.sock.getpeername()[0] if conn.sock and proxy is None else ""
        refused = refused_address(peer)
        if refused:
            raise FetchError(f"{what}: refused to connect to {host}: {refused}")
        # A server that drips bytes resets every read's timeout: at the deadline the socket is
        # shut down under the read, whatever it is waiting for.
        watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), _shut_down, [conn])
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            reply = {k.lower(): v for k, v in response.getheaders()}
            body = _read_body(response, conn, max_bytes, what, deadline)
        except (OSError, http.client.HTTPException) as exc:
            if time.monotonic() >= deadline:
                raise FetchError(f"{what}: took longer than {TOTAL_TIMEOUT:.0f} s; gave up") from None
            raise Unreachable(f"{what}: {host} did not answer ({_reason(exc)})") from None
        finally:
            watchdog.cancel()
        return response.status, reply, body
    finally:
        conn.close()


def _shut_down(conn: http.client.HTTPConnection) -> None:
    try:
        if conn.sock is not None:
            conn.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


@dataclass(frozen=True)
class _Proxy:
    host: str
    port: int
    headers: dict[str, str]


def _proxy(parts) -> _Proxy | None:
    """The proxy ``HTTPS_PROXY`` / ``HTTP_PROXY`` name for a URL, unless ``NO_PROXY`` covers
    its host; never for loopback (as Terraform). Only ``http://`` proxies (with user:password)."""
    host = parts.hostname or ""
    if is_loopback_host(host):
        return None
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass_environment(host, proxies):
        return None
    named = proxies.get(parts.scheme)
    if not named:
        return None
    proxy = urlsplit(named if "://" in named else f"http://{named}")
    if proxy.scheme != "http" or not proxy.hostname:
        return None
    headers: dict[str, str] = {}
    if proxy.username:
        pair = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode()
    return _Proxy(proxy.hostname, proxy.port or 80, headers)


def _check_addresses(host: str, port: int, what: str, unresolved_ok: bool = False) -> None:
    """Refuse before connecting when the name resolves to a refused address (the address
    connected to is checked again after connecting: a name may resolve differently twice)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        if unresolved_ok:
            return
        raise Unreachable(f"{what}: cannot resolve {host} ({_reason(exc)})") from None
    for info in infos:
        refused = refused_address(str(info[4][0]))
        if refused:
            raise FetchError(f"{what}: refused to connect to {host}: {refused}")


def _read_body(response, conn, max_bytes: int, what: str, deadline: float) -> bytes:
    length = response.getheader("Content-Length")
    total = int(length) if length and length.isdigit() else None
    if total is not None and total > max_bytes:
        raise FetchError(f"{what}: {total} bytes is more than the {max_bytes} allowed")
    progress = _Progress(what, total)
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            progress.done()
            raise FetchError(f"{what}: took longer than {TOTAL_TIMEOUT:.0f} s; gave up")
        if conn.sock:
            conn.sock.settimeout(min(remaining, CONNECT_TIMEOUT))
        chunk = response.read1(_CHUNK)  # what has arrived: the deadline is checked between reads
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            progress.done()
            raise FetchError(f"{what}: more than the {max_bytes} bytes allowed")
        chunks.append(chunk)
        progress.update(size)
    progress.done()
    if time.monotonic() >= deadline:  # the watchdog shut the socket: the read ended early
        raise FetchError(f"{what}: took longer than {TOTAL_TIMEOUT:.0f} s; gave up")
    if total is not None and size < total:
        raise Unreachable(f"{what}: the connection closed after {size} of {total} bytes")
    return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class _Progress:
    """``downloading URL: 1.2 MB`` on stderr, rewritten in place; only on a terminal and
    only once a body is large enough to take a moment."""

    def __init__(self, what: str, total: int | None) -> None:
        self.what, self.total, self.shown = what, total, False
        self.tty = sys.stderr.isatty()

    def update(self, size: int) -> None:
        if self.tty and size >= 256 * 1024:
            of = f" of {self.total / 1e6:.1f} MB" if self.total else ""
            sys.stderr.write(f"\rha-lint: downloading {printable(self.what)}: {size / 1e6:.1f} MB{of}")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.shown = False
