import base64
import json
import re
from functools import lru_cache

from ha_lint.engine import Rule
from ha_lint.model import Finding
from ha_lint.resolve.terraform import PROVIDER_CREDENTIALS_KEY, show
from ha_lint.resolve.cloudformation import PARAMETERS_KEY
from ha_lint.secret_formats import has_access_key_id, is_key_like_name, masked, secret_access_keys, \
    shell_secrets, token_secrets
from ha_lint.sourcetext import region_lines
from ha_lint.values import Choice, when
from ha_lint.wording import spelled, subject

# Property names (lower case, separators removed) that hold a secret, matched at the end of
# the name: MasterUserPassword, master_password, AuthToken, tunnel1_preshared_key, DB_PASSWORD.
SECRET_SUFFIXES = ("password", "passwd", "passwords", "secret", "secretkey", "secretaccesskey", "token",
                   "presharedkey", "privatekey", "secretstring", "secretbinary", "apikey", "apikeyvalue")
SECRET_NAMES = {"passwordwo", "masterpasswordwo", "secretstringwo", "basicauthcredentials"}
# Tokens that identify, not authenticate: idempotency and creation tokens, custom-resource
# service tokens, Alexa skill IDs.
NOT_SECRET = {"clienttoken", "idempotencytoken", "nexttoken", "creationtoken", "servicetoken", "eventsourcetoken"}
# Maps whose keys are named like secrets but hold settings: Cognito's token validity units
# (AccessToken: hours).
NOT_SECRET_PARENTS = {"tokenvalidityunits"}
# CloudFormation parameter types whose value is the name of an SSM parameter, not the secret.
SSM_PARAMETER_TYPE = "aws::ssm::parameter::value"


@lru_cache(maxsize=4096)
def _norm(key: str) -> str:
    """A property name in lower case without separators: DB_PASSWORD -> dbpassword."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


@lru_cache(maxsize=4096)  # property names repeat across every resource of a scan
def is_secret_name(key: str) -> bool:
    if key.endswith(".$"):  # Step Functions: a field whose value is a path (TaskToken.$: $$.Task.Token)
        return False
    name = _norm(key)
    return name not in NOT_SECRET and (name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES))


def is_literal_secret(value) -> bool:
    """A value written into the template: not empty, not a dynamic reference or an ARN."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    text = str(value).strip()
    return bool(text) and "{{resolve:" not in text and not text.startswith(("arn:", "${", "/")) \
        and text.lower() not in ("true", "false", "{}") and not _RUNTIME_EXPRESSION.match(text)


# Values that name where the secret comes from at run time, not the secret: JSONPaths and
# context paths (Step Functions ``$$.Task.Token``, EventBridge ``$.detail.token``), JSONata
# (``{% $states.input.token %}``), API Gateway mapping expressions
# (``method.request.header.x-api-key``, ``$request.header.token``, ``stageVariables.key``).
_RUNTIME_EXPRESSION = re.compile(
    r"^(?:\$\$?\.|\$\$?\[|\{%.*%\}$|\$(?:request|context|stageVariables|response)\."
    r"|(?:method\.request|method\.response|integration\.request|integration\.response|context|stageVariables)\.)",
    re.S)


# Fields of a JSON secret string that describe the secret rather than hold it.
DESCRIPTIVE_FIELDS = ("username", "user", "host", "hostname", "port", "engine", "dbname", "database",
                      "identifier", "url", "endpoint", "region", "arn", "name")


def is_literal_secret_string(value) -> bool:
    """A secret string written into the template; as a JSON object, one whose secret fields
    (not the username, host, port, ...) hold literals."""
    if not is_literal_secret(value):
        return False
    try:
        doc = json.loads(str(value))
    except ValueError:
        return True
    if not isinstance(doc, dict):
        return True
    return any(is_literal_secret(v) for k, v in doc.items()
               if not (isinstance(k, str) and _norm(k).endswith(DESCRIPTIVE_FIELDS)))


def secret_values(props, path=()):
    """(path with list indexes, branch, name, value) of every secret-named property, through
    maps, lists, condition branches, ``{Name, Value}`` pairs and JSON container definitions.
    For a pair, ``path`` ends at its value and ``name`` is the pair's name."""
    if isinstance(props, Choice):
        for label, inner in props.branches:
            for p, branch, key, value in secret_values(inner, path):
                yield p, branch or label, key, value
    elif isinstance(props, dict):
        keys = {k.lower(): k for k in props if isinstance(k, str)}
        pair_name = props.get(keys.get("name", ""))
        if isinstance(pair_name, str) and "value" in keys and is_secret_name(pair_name) \
                and str(props.get(keys.get("type", ""), "PLAINTEXT")).upper() == "PLAINTEXT":
            for label, leaf in _branches(props[keys["value"]]):
                yield path + (keys["value"],), label, pair_name, leaf
        for key, value in props.items():
            if not isinstance(key, str) or _norm(key) in NOT_SECRET_PARENTS:
                continue
            if key in ("container_definitions",) and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    continue
            if is_secret_name(key) and not isinstance(value, (dict, list)):
                for label, leaf in _branches(value):
                    yield path + (key,), label, key, leaf
            elif is_secret_name(key) and isinstance(value, list) and all(not isinstance(i, dict) for i in value):
                for item in value:  # passwords = [...]
                    yield path + (key,), None, key, item
            elif is_secret_name(key) and _keyed_values(value):  # api_key { key = "x-api-key", value = "..." }
                for index, block in _keyed_values(value):
                    where = path + (key,) + ((str(index),) if index is not None else ())
                    for label, leaf in _branches(block["value"]):
                        yield where + ("value",), label, "value", leaf
            else:
                yield from secret_values(value, path + (key,))
    elif isinstance(props, list):
        for index, item in enumerate(props):
            yield from secret_values(item, path + (str(index),))


def _keyed_values(value):
    """(index or None, block) of the ``{key, value}`` blocks under a secret-named property."""
    blocks = [(None, value)] if isinstance(value, dict) else list(enumerate(value)) if isinstance(value, list) else []
    return [(i, b) for i, b in blocks if isinstance(b, dict) and "value" in b and "key" in b]


def _branches(value):
    if isinstance(value, Choice):
        for label, inner in value.branches:
            for sub, leaf in _branches(inner):
                yield (label if sub is None else f"{label}, {sub}"), leaf
    else:
        yield None, value


def _literal_source(origin, value):
    """The first step of a Terraform value's origin that shows the secret itself: where the
    literal was written (a variable default, a module input, a local), or an input file."""
    if origin is None:
        return None
    shown, quoted = show(value), json.dumps(value)
    steps = (origin, *origin.via)
    for step in steps:
        if step.description.endswith((f"= {shown}", f"defaults to {shown}", f"={value!r}", f"={value}")):
            return step
    for step in steps:  # the secret inside a map or list (a for_each input)
        if quoted in step.description:
            return step
    return None


# Where EC2 user data is written, by resource type (a script run at boot, judged as one).
USER_DATA_PATHS_BY_TYPE = {
    "aws_instance": "user_data", "aws_launch_template": "user_data", "aws_launch_configuration": "user_data",
    "AWS::EC2::Instance": "UserData", "AWS::EC2::LaunchTemplate": "LaunchTemplateData.UserData",
    "AWS::AutoScaling::LaunchConfiguration": "UserData",
}
USER_DATA_PATHS = set(USER_DATA_PATHS_BY_TYPE.values())


def literal_leaves(props, path=(), key=""):
    """(path, branch, nearest name, text) of every string in the properties; the name of a
    ``{Name, Value}`` pair's value is the pair's name."""
    if isinstance(props, Choice):
        for label, inner in props.branches:
            for p, branch, k, leaf in literal_leaves(inner, path, key):
                yield p, branch or label, k, leaf
    elif isinstance(props, dict):
        keys = {k.lower(): k for k in props if isinstance(k, str)}
        pair_name = props.get(keys.get("name", keys.get("key", "")))
        for k, v in props.items():
            if isinstance(k, str):
                named = pair_name if k.lower() == "value" and isinstance(pair_name, str) else k
                yield from literal_leaves(v, path + (k,), named)
    elif isinstance(props, list):
        for index, item in enumerate(props):
            yield from literal_leaves(item, path + (str(index),), key)
    elif isinstance(props, str):
        yield path, None, key, props


def _decoded(text):
    """User data as the instance sees it: base64 (``base64encode``, ``user_data_base64``)
    decoded when it is base64 of UTF-8 text, else as written."""
    compact = "".join(text.split())
    if len(compact) >= 8 and len(compact) % 4 == 0 and re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", compact):
        try:
            return base64.b64decode(compact, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            pass
    return text


def _described(match):
    """A secret found by its form, as it may be shown: its kind, the first four characters and
    the length (``an AWS access key ID (AKIA… (20 characters))``)."""
    article = "an" if match.kind[0].lower() in "aeiou" else "a"
    if match.kind == "private key":  # its header names the kind of key and is no secret
        return f"a private key block ({match.secret.strip('-')})"
    given = f"{match.name}: " if match.name else ""
    return f"{article} {match.kind} ({given}{masked(match.secret)})"


class HardcodedSecret(Rule):
    id = "SC501"
    name = "hardcoded-secret"
    severity = "high"
    since = "0.1.0"
    summary = ("A password, token or key written into the template (by name, by its form, or in EC2 user data) "
               "instead of coming from Secrets Manager or SSM.")
    tags = ("security", "secrets")
    docs = """
    ## What it does
    Flags secret properties given as literal values: every property whose name ends in
    `Password`, `Secret`, `Token`, `SecretKey`, `ApiKey`, `SecretString`, `PreSharedKey`,
    `PrivateKey` (`MasterUserPassword`, `AuthToken`, `ClientSecret`; `password`,
    `auth_token`, `master_password`, `password_wo`, ... in Terraform; identifying tokens
    such as `ClientToken`, `CreationToken`, `ServiceToken` aside), at any depth
    (`MasterUserOptions.MasterUserPassword`, MQ `Users[].Password`), including Lambda
    environment variables, plaintext `{Name, Value}` environment entries named like secrets
    (`DB_PASSWORD` of an ECS container or a CodeBuild `PLAINTEXT` variable: the `Value`
    line is reported), `{key, value}` blocks under a secret name (an EventBridge
    connection's `api_key`), the `value` of a Terraform `aws_ssm_parameter` of type
    `SecureString`, and `secret_key` / `token` written into a Terraform `provider "aws"`
    block. Also flags CloudFormation `NoEcho` parameters with a literal `Default`,
    reported on the parameter.

    Not flagged: dynamic references (`{{resolve:secretsmanager:...}}`,
    `{{resolve:ssm-secure:...}}`, also inside `Fn::Sub` / `Fn::Join`),
    `ManageMasterUserPassword` / `manage_master_user_password`, references to secret
    resources (`random_password`, `aws_secretsmanager_secret_version`, `!GetAtt`),
    parameters and variables without a default (the value is supplied at deploy time),
    parameters of type `AWS::SSM::Parameter::Value<...>` (their Default names the SSM
    parameter the value is read from), ARNs and parameter paths, empty values, Cognito's
    `TokenValidityUnits` (`AccessToken: hours` is a unit, not a token), and a JSON secret
    string whose fields only describe the secret (`username`, `host`, `port`, `engine`, ...:
    a rotation function fills in the password). Nor are values that say where a token comes
    from at run time: Step Functions path fields (`TaskToken.$: $$.Task.Token`), JSONPaths
    and JSONata (`$.detail.token`, `{% $states.input.token %}`), API Gateway mapping
    expressions (`method.request.header.x-api-key`, `context.authorizer.token`,
    `$request.header.token`, `stageVariables.key`). A static API Gateway value
    (`'k3y-...'`, quoted) is the key itself and is flagged.

    Secrets by value: whatever the name, a literal anywhere in a resource's properties
    (environment variables, container environments, tags, SSM parameter values, ...) or a
    CloudFormation parameter's `Default` that has the form of a well-known secret: an AWS
    access key ID (`AKIA`/`ASIA`/`ABIA`/`ACCA` and 16 upper-case letters or digits), a
    private key block (`-----BEGIN ... PRIVATE KEY-----`), a GitHub token (`ghp_`, `gho_`,
    `ghs_`, `ghu_`, `ghr_`, `github_pat_`), a Slack token (`xoxb-`, `xoxp-`, ...), a Stripe
    live secret key (`sk_live_`, `rk_live_`) or a Google API key (`AIza`); and a 40-character
    AWS secret access key (base64 mixing upper case, lower case and digits) when the same
    resource (or parameter list) also holds an access key ID or its name is key-like
    (`...KEY...`, `...SECRET...`, `...CREDENTIAL...`). AWS's documentation examples
    (the `AKIAIOSFODNN7...EXAMPLE` key) have the real form and are reported.

    EC2 user data: the boot script of `AWS::EC2::Instance` `UserData`,
    `AWS::EC2::LaunchTemplate` `LaunchTemplateData.UserData`,
    `AWS::AutoScaling::LaunchConfiguration` `UserData`, and Terraform `aws_instance`,
    `aws_launch_template`, `aws_launch_configuration` `user_data` (as written: through
    `Fn::Base64`, `Fn::Sub`, `Fn::Join`, heredocs and `base64encode`; and as resolved, base64
    decoded, when a variable or local gives it) is flagged when it assigns a literal to a
    secret-named variable (`export DB_PASSWORD=...`, `API_TOKEN: ...`), gives a literal to a
    `--...password`/`--...secret`/`--...token` option, or holds any of the formats above.
    The finding is on the script's line that holds the secret when the template text shows
    it, else on the user-data property; one finding per user data, naming how many more.

    A secret's value is never shown: messages give its kind, the variable it is assigned to,
    its first four characters and its length (`AKIA… (20 characters)`); a module input that
    decides a finding is named without its value.

    Not flagged by value: `${...}` interpolations and `$(...)` commands (the value is read at
    run time), dynamic references, ARNs, paths, `--password-stdin`, switches
    (`--must-change-password=false`), obvious placeholders (`AKIAXXXXXXXXXXXXXXXX`,
    `ghp_xxxx...`: fewer than six distinct characters after the prefix; `<password>`, `foo`,
    `bar`, `changeme`, `example` in user data), public keys, hex digests (a git commit's 40
    characters), and a 40-character string with no access key ID near it and no key-like
    name. `templatefile(...)` user data is not read (ha-lint does not evaluate
    `templatefile`; the value is unknown and this rule stays quiet on it).

    A value that reaches a secret property from a CloudFormation parameter
    default or a Terraform variable default is as hard-coded as a literal: it is reported
    on the parameter (resource: the parameter name) or at the variable's `default` line
    (resource: `var.<name>`). A value from a `.tfvars` file, `-var` or `TF_VAR_` is an
    input, not the template, and is not reported; a literal passed to a local module's
    input is reported at that input line (resource: the module call), or, when the
    resolver cannot trace it (a value reaching the resource through `for_each`), at the
    property inside the module.

    `aws_iam_access_key`, `AWS::IAM::AccessKey` and `aws_iam_user_login_profile`
    are not flagged: AWS generates their secrets (they end up in state or outputs, which is
    a state-protection concern, not a secret written into the template). A literal
    `LoginProfile.Password` of `AWS::IAM::User` is written in the template and is flagged.

    ## Why it matters
    A secret in a template lives in source control, in every clone and CI log, and in the
    CloudFormation console or Terraform state; it cannot be rotated without a code change.
    Keep secrets in AWS Secrets Manager or SSM Parameter Store SecureString and reference
    them, or let RDS manage the master password.

    ## Example
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        MasterUsername: app
        MasterUserPassword: Sup3rSecret!
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine   = "postgres"
      username = "app"
      password = "Sup3rSecret!"
    }
    ```

    ```yaml
    App:
      Type: AWS::EC2::Instance
      Properties:
        UserData:
          Fn::Base64: !Sub |
            #!/bin/bash
            export DB_PASSWORD=Sup3rSecret!   # reported on this line
            export AWS_ACCESS_KEY_ID=AKIA...   # an access key ID
    ```
    ```hcl
    resource "aws_instance" "app" {
      user_data = base64encode(<<-EOT
        export DB_PASSWORD=Sup3rSecret!      # reported on this line
      EOT
      )
      tags = { build = "ghp_..." }                # a GitHub token under any name
    }
    ```

    ## Use instead
    ```yaml
    Database:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        MasterUsername: app
        ManageMasterUserPassword: true
        # or: MasterUserPassword: '{{resolve:secretsmanager:prod/db:SecretString:password}}'
    App:
      Type: AWS::EC2::Instance
      Properties:
        UserData:
          Fn::Base64: !Sub |
            #!/bin/bash
            export DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id prod/db --query SecretString --output text)
            # AWS credentials: the instance profile's role, never keys
    ```
    ```hcl
    resource "aws_db_instance" "main" {
      engine                      = "postgres"
      username                    = "app"
      manage_master_user_password = true
    }

    resource "aws_instance" "app" {
      user_data = base64encode(<<-EOT
        export DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id prod/db --query SecretString --output text)
      EOT
      )
    }
    ```

    ## References
    - AWS Well-Architected Security SEC 2 (manage credentials: store and use secrets securely)
    - Secret formats as gitleaks and detect-secrets document them (aws-access-token, private-key, github-pat, slack, stripe, gcp-api-key)
    - Equivalent: Checkov CKV_AWS_41 / CKV_AWS_45 / CKV_AWS_46 / CKV_SECRET_*, KICS "Passwords And Secrets", Trivy AWS-0124 (secrets in templates)
    """

    def check(self, arch):
        seen = set()
        for workload in arch.workloads.values():
            for name, param in workload.metadata.get(PARAMETERS_KEY, {}).items():
                spec = param["spec"]
                if str(spec.get("Type", "")).lower().startswith(SSM_PARAMETER_TYPE):
                    continue  # the Default names an SSM parameter; CloudFormation reads the value from it
                if str(spec.get("NoEcho", "false")).lower() == "true" and is_literal_secret(spec.get("Default")):
                    finding = self._on_parameter(workload, name, param, "is NoEcho but has a literal Default")
                    seen.add((finding.file, finding.line, finding.resource))
                    yield finding
            for finding in self._parameter_values(workload):
                if (finding.file, finding.line, finding.resource) not in seen:
                    seen.add((finding.file, finding.line, finding.resource))
                    yield finding
            for finding in self._provider_credentials(workload):
                if (finding.file, finding.line, finding.resource) not in seen:
                    seen.add((finding.file, finding.line, finding.resource))
                    yield finding
        for res in arch.resources:
            for path, branch, key, value in self._secrets_of(res):
                whole = _norm(key) in ("secretstring", "secretstringwo") or res.type == "aws_ssm_parameter"
                literal = is_literal_secret_string if whole else is_literal_secret
                if not literal(value):
                    continue
                finding = self._where(arch, res, path, key, value, branch)
                if finding is not None and (finding.file, finding.line, finding.resource) not in seen:
                    seen.add((finding.file, finding.line, finding.resource))
                    yield finding
            for path, branch, key, value, match in self._secrets_by_value(res):
                finding = self._where(arch, res, path, key, value, branch, match)
                if finding is not None and (finding.file, finding.line, finding.resource) not in seen:
                    seen.add((finding.file, finding.line, finding.resource))
                    yield finding
            finding = self._user_data(res)
            if finding is not None and (finding.file, finding.line, finding.resource) not in seen:
                seen.add((finding.file, finding.line, finding.resource))
                yield finding

    def _secrets_of(self, res):
        yield from secret_values(res.props)
        if res.type == "aws_ssm_parameter" and str(res.raw("type")).lower() == "securestring":
            for key in ("value", "value_wo"):
                for label, leaf in _branches(res.raw(key)):
                    yield (key,), label, key, leaf

    def _secrets_by_value(self, res):
        """(path, branch, name, value, SecretMatch) of every literal in the resource shaped like
        a well-known secret, whatever its name: tokens anywhere, a 40-character secret access
        key under a key-like name or in a resource that also holds an access key ID. User data
        is judged as a script (``_user_data``)."""
        leaves = [(p, b, k, v) for p, b, k, v in literal_leaves(res.props)
                  if ".".join(x for x in p if not x.isdigit()) not in USER_DATA_PATHS]
        with_key_id = any(has_access_key_id(v) for _, _, _, v in leaves)
        for path, branch, key, value in leaves:
            if not is_literal_secret(value):
                continue
            matches = token_secrets(value)
            if with_key_id or is_key_like_name(key):
                matches += secret_access_keys(value)
            if matches:
                yield path, branch, key, value, matches[0]

    def _user_data(self, res):
        """EC2 user data holding a literal password, AWS key or token: reported on the line of
        the script that holds it when the written text shows it, else on the property."""
        path = USER_DATA_PATHS_BY_TYPE.get(res.type)
        if path is None or res.raw(path) is None:
            return None
        prop_line = res.line_of(path, native=True)
        region = region_lines(res.file, prop_line)
        scripts = [_decoded(v) for _, v in _branches(res.raw(path)) if isinstance(v, str)]
        with_key_id = any(has_access_key_id(text) for text in [*scripts, *(t for _, t in region)])
        at_lines = []  # (line, SecretMatch) as written in the file
        for number, text in region:
            at_lines += [(number, m) for m in shell_secrets(text, is_secret_name, with_key_id)]
        written = {m.secret for _, m in at_lines}
        for script in scripts:  # resolved (through variables, base64encode): on the property
            at_lines += [(prop_line, m) for m in shell_secrets(script, is_secret_name, with_key_id)
                         if m.secret not in written]
        if not at_lines:
            return None
        at_lines.sort(key=lambda item: item[0])
        line, first = at_lines[0]
        more = sorted({n for n, _ in at_lines[1:]} - {line})
        others = f" and {len(at_lines) - 1} more on line{'s' if len(more) > 1 else ''} " \
            f"{', '.join(map(str, more))}" if more else (f" and {len(at_lines) - 1} more" if len(at_lines) > 1 else "")
        return self.finding(
            res, f"{subject(res)} user data ({path}) holds {_described(first)}{others}: the secret is stored in the "
            f"{spelled(res, 'template', 'configuration')} and readable by anyone who can describe the instance. Fetch it at boot from Secrets Manager "
            "or SSM Parameter Store (the instance role allows the read) instead.",
            line=line, detail=f"{path}:secret",
        )

    def _parameter_values(self, workload):
        """CloudFormation parameters whose Default is shaped like a well-known secret."""
        params = workload.metadata.get(PARAMETERS_KEY, {})
        defaults = {name: p["spec"].get("Default") for name, p in params.items()
                    if isinstance(p["spec"].get("Default"), str)
                    and not str(p["spec"].get("Type", "")).lower().startswith(SSM_PARAMETER_TYPE)}
        with_key_id = any(has_access_key_id(v) for v in defaults.values())
        for name, value in defaults.items():
            if not is_literal_secret(value):
                continue
            matches = token_secrets(value)
            if with_key_id or is_key_like_name(name):
                matches += secret_access_keys(value)
            if matches:
                yield self._on_parameter(workload, name, params[name], f"has a Default holding {_described(matches[0])}")

    def _where(self, arch, res, path, key, value, branch, match=None):
        """The finding for a literal secret: on the parameter or variable it came from, else
        on the property; None when the value is a deploy-time input. ``match``: the secret
        found by its form (else the whole value is the secret)."""
        what = "a literal value" if match is None else _described(match)
        plain = ".".join(p for p in path if not p.isdigit())
        # A {Name, Value} pair or a {key, value} block is shown by its name.
        parent = plain.rpartition('.')[0]
        named = plain if key == path[-1] else f"{parent} {key}"  # the finding's detail (its identity)
        shown = named if parent or key == path[-1] else f"{plain} of {key}"
        if res.source == "cloudformation":
            params = arch.workloads[res.workload].metadata.get(PARAMETERS_KEY, {})
            for ref_path, name in res.meta.parameter_refs:
                param = params.get(name)
                if ref_path != plain or param is None:
                    continue
                if param["overridden"]:
                    return None  # given at deploy time (or by the parent stack)
                if str(param["spec"].get("Default")) != str(value):
                    continue  # another branch's value
                if str(param["spec"].get("NoEcho", "false")).lower() == "true":
                    return None  # reported on the parameter already
                holding = "" if match is None else f" holding {what}"
                return self._on_parameter(arch.workloads[res.workload], name, param,
                                          f"has a literal Default{holding} that {res.address} uses as {shown}")
        elif any(plain == p or plain.startswith(p + ".") for p in res.meta.computed_paths):
            return None  # a plan's value computed from an input (-var, TF_VAR_, a random_password): not written here
        else:
            source = _literal_source(res.origins.get(plain), value)
            if source is not None:
                return self._on_source(res.address, shown, source, branch, "" if match is None else f" ({what})")
        return self.finding(
            res, f"{subject(res)} sets {shown} to {what}{when(branch)}: the secret is stored in the "
            f"{spelled(res, 'template', 'configuration')}. Reference Secrets Manager or SSM Parameter Store ("
            + spelled(res, "a dynamic reference", "a data source") + ", or a managed master password) instead.",
            line=res.line_of(".".join(path), native=True), detail=named.replace(" ", "."), branch=branch,
        )

    def _on_source(self, user, plain, step, branch, holding=""):
        """A Terraform secret whose literal sits in a variable default, a module input or a
        local; None when it comes from a .tfvars file, -var or TF_VAR_ (a deploy-time input)."""
        text = step.description
        if not (step.file and step.line) or not text.startswith(("variable ", "module ", "local.")):
            return None
        if text.startswith("variable "):
            name = text.split()[1]
            what, kind = f"Variable `{name}` has a hard-coded default", "variable"
        elif text.startswith("module "):
            name = text.split()[1]
            what, kind = f"Module call `{name}` passes a hard-coded value", "module"
        else:
            name = text.split()[0]
            what, kind = f"Local value `{name}` holds a hard-coded value", "local"
        # The step names no module instance; its file and line say exactly where it is written.
        resource = {"variable": f"var.{name}", "module": f"module.{name}", "local": name}[kind]
        return Finding(self.id, self.name, self.effective_severity,
                       f"{what} that {user} uses as {plain}{when(branch)}{holding}: the secret is stored in "
                       "the configuration. Supply it at deploy time, or read it from Secrets Manager / SSM Parameter Store "
                       "(a data source, or manage_master_user_password).",
                       step.file, step.line, resource, kind, f"{kind}:{name}")

    def _provider_credentials(self, workload):
        """Terraform ``provider "aws"`` blocks with a literal secret_key or token."""
        for entry in workload.metadata.get(PROVIDER_CREDENTIALS_KEY, ()):
            for branch, leaf in _branches(entry["value"]):
                if not is_literal_secret(leaf):
                    continue
                source = _literal_source(entry["origin"], leaf)
                if source is not None:
                    finding = self._on_source(f'provider "{entry["provider"]}"', entry["key"], source, branch)
                    if finding is not None:
                        yield finding
                    continue
                if entry["origin"] is not None:
                    continue  # from a .tfvars file, -var or TF_VAR_: a deploy-time input
                yield Finding(self.id, self.name, self.effective_severity,
                              f'Provider `{entry["provider"]}` sets {entry["key"]} to a literal value{when(branch)}: '
                              "AWS credentials are stored in the configuration. Use a profile, environment variables, "
                              "an assumed role or instance/OIDC credentials instead.",
                              entry["file"], entry["line"], f'provider "{entry["provider"]}"', "provider",
                              f"provider:{entry['provider']}:{entry['key']}{':' + branch if branch else ''}")

    def _on_parameter(self, workload, name, param, what):
        return Finding(self.id, self.name, self.effective_severity,
                       f"Parameter `{name}` {what}: the secret is stored in the template. Remove the Default and "
                       "pass the value at deploy time, or use a dynamic reference to Secrets Manager / "
                       "SSM Parameter Store.",
                       workload.entry_file, param["default_line"], name, "AWS::CloudFormation::Parameter",
                       f"parameter:{name}")
