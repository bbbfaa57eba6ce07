"""The Terraform CLI configuration, read the way Terraform reads it for module installation.

The file is ``TF_CLI_CONFIG_FILE`` when set, else ``~/.terraformrc`` (HCL; JSON when the name
ends ``.json``). From it: ``credentials "HOST" { token = "..." }`` and ``host "HOST" {
services = { "modules.v1" = "URL" } }`` (a host block replaces that host's service discovery).
``~/.terraform.d/credentials.tfrc.json`` (written by ``terraform login``) adds credentials;
``TF_TOKEN_<host>`` variables win over both (dots written ``_``, hyphens ``-`` or ``__``).
A file that is not there is no configuration (as for Terraform); one that cannot be read or
parsed is a problem the caller reports, and the rest still applies.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ha_lint.textfile import FileRefused, read_regular_file

_MAX_CONFIG_BYTES = 1024 * 1024


@dataclass
class CliConfig:
    tokens: dict[str, str] = field(default_factory=dict)  # host (lower case) -> bearer token
    services: dict[str, dict[str, str]] = field(default_factory=dict)  # host -> {"modules.v1": URL}
    problems: list[str] = field(default_factory=list)

    def token_for(self, host: str) -> str | None:
        return self.tokens.get(host.lower())


def load(environ: dict[str, str]) -> CliConfig:
    config = CliConfig()
    home = Path(environ.get("HOME") or os.path.expanduser("~"))
    named = environ.get("TF_CLI_CONFIG_FILE")
    main = Path(named) if named else home / ".terraformrc"
    if main.exists():  # a file that is not there is no configuration, as for Terraform
        _read_main(main, config)
    _read_credentials_json(home / ".terraform.d" / "credentials.tfrc.json", config)
    for name, value in environ.items():
        if name.startswith("TF_TOKEN_") and value:
            config.tokens[token_host(name)] = value
    return config


def token_host(variable: str) -> str:
    """``TF_TOKEN_app_terraform_io`` -> ``app.terraform.io``; ``__`` is a hyphen."""
    encoded = variable[len("TF_TOKEN_"):]
    return "-".join(part.replace("_", ".") for part in encoded.split("__")).lower()


def _read_text(path: Path, config: CliConfig) -> str | None:
    try:
        if not path.is_file():
            config.problems.append(f"Terraform CLI configuration {path}: not a file")
            return None
        return read_regular_file(path, _MAX_CONFIG_BYTES).decode("utf-8")  # never a prefix of a larger file
    except FileRefused as exc:
        config.problems.append(f"Terraform CLI configuration {path} {exc.reason}")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        config.problems.append(f"Terraform CLI configuration {path}: cannot be read ({getattr(exc, 'strerror', None) or exc})")
        return None


def _read_main(path: Path, config: CliConfig) -> None:
    text = _read_text(path, config)
    if text is None:
        return
    try:
        if path.name.endswith(".json"):
            data = json.loads(text)
        else:
            import hcl2

            data = hcl2.loads(text)
    except Exception as exc:  # python-hcl2 raises Lark errors of several kinds
        config.problems.append(f"Terraform CLI configuration {path}: not valid HCL ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
        return
    if not isinstance(data, dict):
        return
    for host, body in _labelled(data.get("credentials")):
        token = body.get("token") if isinstance(body, dict) else None
        if isinstance(token, str) and token:
            config.tokens[host.lower()] = token
    for host, body in _labelled(data.get("host")):
        services = body.get("services") if isinstance(body, dict) else None
        if isinstance(services, dict):
            config.services[host.lower()] = {str(k): v for k, v in services.items() if isinstance(v, str)}


def _labelled(blocks: Any) -> list[tuple[str, Any]]:
    """HCL ``kind "label" { ... }`` blocks as python-hcl2 gives them (a list of one-key
    dicts) or JSON gives them (one dict): (label, body) pairs."""
    items = blocks if isinstance(blocks, list) else [blocks] if isinstance(blocks, dict) else []
    out: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            out.extend((str(label).strip('"'), body[0] if isinstance(body, list) and body else body)
                       for label, body in item.items())
    return out


def _read_credentials_json(path: Path, config: CliConfig) -> None:
    if not path.is_file():
        return
    text = _read_text(path, config)
    if text is None:
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        config.problems.append(f"Terraform credentials file {path}: not valid JSON ({exc})")
        return
    credentials = data.get("credentials") if isinstance(data, dict) else None
    for host, body in (credentials or {}).items() if isinstance(credentials, dict) else []:
        token = body.get("token") if isinstance(body, dict) else None
        if isinstance(token, str) and token:
            config.tokens.setdefault(host.lower(), token)  # the CLI configuration file wins
