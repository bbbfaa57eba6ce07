"""The Terraform module registry protocol, as far as installing a module needs it.

Service discovery (``https://HOST/.well-known/terraform.json``, service ``modules.v1``; a
``host`` block of the CLI configuration replaces it), the list of versions
(``<modules.v1>NS/NAME/PROVIDER/versions``) and the download location
(``.../VERSION/download``: ``204`` with ``X-Terraform-Get``, a source address that may be
relative to the download URL). The host's token (CLI configuration, ``TF_TOKEN_*``) goes with
these requests to the service's own origin only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urljoin

from ha_lint.fetch import http
from ha_lint.fetch.addresses import RegistrySource
from ha_lint.fetch.cliconfig import CliConfig

_MAX_JSON = 4 * 1024 * 1024


@dataclass(frozen=True)
class ModulesService:
    base: str  # ends with "/"
    token: str | None
    allow_http: bool  # a CLI host block named an http:// URL

    def get(self, url: str, what: str) -> http.Response:
        return http.get(url, self.token, http.origin(self.base), self.allow_http, _MAX_JSON, what)


def _json(response: http.Response, what: str) -> object:
    if response.status != 200:
        raise http.FetchError(f"{what}: HTTP {response.status}")
    try:
        return json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise http.FetchError(f"{what}: the answer is not JSON") from None


def discover(host: str, config: CliConfig) -> ModulesService:
    token = config.token_for(host)
    named = config.services.get(host, {}).get("modules.v1")
    if named:
        base = urljoin(f"https://{host}/", named)
        return ModulesService(base if base.endswith("/") else base + "/", token, base.startswith("http://"))
    url = f"https://{host}/.well-known/terraform.json"  # always https, as Terraform does
    what = f"service discovery for {host}"
    document = _json(http.get(url, token, http.origin(url), False, _MAX_JSON, what), what)
    service = document.get("modules.v1") if isinstance(document, dict) else None
    if not isinstance(service, str) or not service:
        raise http.FetchError(f"{host} is not a module registry (no modules.v1 in its service discovery)")
    base = urljoin(url, service)
    return ModulesService(base if base.endswith("/") else base + "/", token, False)


def versions(service: ModulesService, module: RegistrySource) -> list[str]:
    url = urljoin(service.base, f"{module.namespace}/{module.name}/{module.provider}/versions")
    what = f"versions of {module}"
    response = service.get(url, what)
    if response.status == 404:
        raise http.FetchError(f"{module}: the registry has no such module")
    document = _json(response, what)
    out: list[str] = []
    for entry in document.get("modules", []) if isinstance(document, dict) else []:
        for item in entry.get("versions", []) if isinstance(entry, dict) else []:
            if isinstance(item, dict) and isinstance(item.get("version"), str):
                out.append(item["version"])
    return out


def download_address(service: ModulesService, module: RegistrySource, version: str) -> tuple[str, str]:
    """(the source address the registry names for ``version``, the URL it was asked at)."""
    url = urljoin(service.base, f"{module.namespace}/{module.name}/{module.provider}/{version}/download")
    what = f"download location of {module} {version}"
    response = service.get(url, what)
    location = response.headers.get("x-terraform-get")
    if response.status not in (200, 204) or not location:
        raise http.FetchError(f"{what}: HTTP {response.status} without X-Terraform-Get")
    return location.strip(), response.url
