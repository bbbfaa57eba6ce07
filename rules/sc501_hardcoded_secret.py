import json
import re

from ha_lint.engine import Rule
from ha_lint.model import Finding
from ha_lint.resolve.terraform import show
from ha_lint.resolve.cloudformation import PARAMETERS_KEY
from ha_lint.values import Choice, when

# Property names (lower case, separators removed) that hold a secret, matched at the end of
# the name: MasterUserPassword, master_password, AuthToken, tunnel1_preshared_key, DB_PASSWORD.
SECRET_SUFFIXES = ("password", "passwd", "passwords", "secret", "secretkey", "secretaccesskey", "token",
                   "presharedkey", "privatekey", "secretstring", "apikey", "apikeyvalue")
SECRET_NAMES = {"passwordwo", "masterpasswordwo", "secretstringwo"}
# Tokens that identify, not authenticate: idempotency and creation tokens, custom-resource
# service tokens, Alexa skill IDs.
NOT_SECRET = {"clienttoken", "idempotencytoken", "nexttoken", "creationtoken", "servicetoken", "eventsourcetoken"}


def is_secret_name(key: str) -> bool:
    name = re.sub(r"[^a-z0-9]", "", key.lower())
    return name not in NOT_SECRET and (name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES))


def is_literal_secret(value) -> bool:
    """A value written into the template: not empty, not a dynamic reference or an ARN."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    text = str(value).strip()
    return bool(text) and "{{resolve:" not in text and not text.startswith(("arn:", "${", "/")) \
        and text.lower() not in ("true", "false", "{}")


def secret_values(props, path=()):
    """(path with list indexes, branch, key, value) of every secret-named property, through
    maps, lists, condition branches, ``{Name, Value}`` pairs and JSON container definitions."""
    if isinstance(props, Choice):
        for label, inner in props.branches:
            for p, branch, key, value in secret_values(inner, path):
                yield p, branch or label, key, value
    elif isinstance(props, dict):
        lowered = {k.lower(): v for k, v in props.items() if isinstance(k, str)}
        pair_name = lowered.get("name")
        if isinstance(pair_name, str) and "value" in lowered and is_secret_name(pair_name) \
                and str(lowered.get("type", "PLAINTEXT")).upper() == "PLAINTEXT":
            yield path, None, pair_name, lowered["value"]
        for key, value in props.items():
            if key in ("container_definitions",) and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    continue
            if is_secret_name(key) and not isinstance(value, (dict, list)):
                for label, leaf in _branches(value):
                    yield path + (key,), label, key, leaf
            elif is_secret_name(key) and isinstance(value, list):  # passwords = [...]
                for item in value:
                    yield path + (key,), None, key, item
            else:
                yield from secret_values(value, path + (key,))
    elif isinstance(props, list):
        for index, item in enumerate(props):
            yield from secret_values(item, path + (str(index),))


def native_line(res, path):
    """The line of a native property path, else of its nearest written parent."""
    parts = list(path)
    while parts:
        line = res.lines.get(".".join(parts))
        if line:
            return line
        parts.pop()
    return res.line


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


class HardcodedSecret(Rule):
    id = "SC501"
    name = "hardcoded-secret"
    severity = "high"
    summary = "A password, token or key written into the template instead of coming from Secrets Manager or SSM."
    tags = ("security", "secrets")
    docs = """
    ## What it does
    Flags secret properties given as literal values: every property whose name ends in
    `Password`, `Secret`, `Token`, `SecretKey`, `ApiKey`, `SecretString`, `PreSharedKey`,
    `PrivateKey` (`MasterUserPassword`, `AuthToken`, `ClientSecret`; `password`,
    `auth_token`, `master_password`, ... in Terraform; identifying tokens such as
    `ClientToken`, `CreationToken`, `ServiceToken` aside), at
    any depth (`MasterUserOptions.MasterUserPassword`, MQ `Users[].Password`), including
    Lambda environment variables and `{Name, Value}` environment entries named like
    secrets (`DB_PASSWORD`), and the `value` of a Terraform `aws_ssm_parameter` of type
    `SecureString`. Also flags CloudFormation `NoEcho` parameters with a literal `Default`,
    reported on the parameter.

    Not flagged: dynamic references (`{{resolve:secretsmanager:...}}`,
    `{{resolve:ssm-secure:...}}`), `ManageMasterUserPassword` / `manage_master_user_password`,
    references to secret resources (`random_password`, `aws_secretsmanager_secret_version`,
    `!GetAtt`), parameters and variables without a default (the value is supplied at
    deploy time), ARNs, and empty values.

    Decision: a value that reaches a secret property from a CloudFormation parameter
    default or a Terraform variable default is as hard-coded as a literal: it is reported
    on the parameter (resource: the parameter name) or at the variable's `default` line
    (resource: `var.<name>`). A value from a `.tfvars` file, `-var` or `TF_VAR_` is an
    input, not the template, and is not reported; a literal passed to a local module's
    input is reported at that input line (resource: the module call).

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

    ## Use instead
    ```yaml
        ManageMasterUserPassword: true
        # or: MasterUserPassword: '{{resolve:secretsmanager:prod/db:SecretString:password}}'
    ```
    ```hcl
      manage_master_user_password = true
    ```

    ## References
    - AWS Well-Architected Security SEC 2 (manage credentials: store and use secrets securely)
    - Equivalent: Checkov CKV_AWS_41 / CKV_AWS_45 / CKV_AWS_46 / CKV_SECRET_*, KICS "Passwords And Secrets", Trivy AWS-0124 (secrets in templates)
    """

    def check(self, arch):
        seen = set()
        for workload in arch.workloads.values():
            for name, param in workload.metadata.get(PARAMETERS_KEY, {}).items():
                spec = param["spec"]
                if str(spec.get("NoEcho", "false")).lower() == "true" and is_literal_secret(spec.get("Default")):
                    finding = self._on_parameter(workload, name, param, "is NoEcho but has a literal Default")
                    seen.add((finding.file, finding.line, finding.resource))
                    yield finding
        for res in arch.resources:
            for path, branch, key, value in self._secrets_of(res):
                if not is_literal_secret(value):
                    continue
                finding = self._where(arch, res, path, value, branch)
                if finding is not None and (finding.file, finding.line, finding.resource) not in seen:
                    seen.add((finding.file, finding.line, finding.resource))
                    yield finding

    def _secrets_of(self, res):
        yield from secret_values(res.props)
        if res.type == "aws_ssm_parameter" and str(res.raw("type")).lower() == "securestring":
            for label, leaf in _branches(res.raw("value")):
                yield ("value",), label, "value", leaf

    def _where(self, arch, res, path, value, branch):
        """The finding for a literal secret: on the parameter or variable it came from, else
        on the property; None when the value is a deploy-time input."""
        plain = ".".join(p for p in path if not p.isdigit())
        if res.source == "cloudformation":
            params = arch.workloads[res.workload].metadata.get(PARAMETERS_KEY, {})
            for ref_path, name in res.meta.get("parameter_refs", ()):
                param = params.get(name)
                if ref_path != plain or param is None:
                    continue
                if param["overridden"]:
                    return None  # given at deploy time (or by the parent stack)
                if str(param["spec"].get("Default")) != str(value):
                    continue  # another branch's value
                if str(param["spec"].get("NoEcho", "false")).lower() == "true":
                    return None  # reported on the parameter already
                return self._on_parameter(arch.workloads[res.workload], name, param,
                                          f"has a literal Default that {res.address}.{plain} uses as a secret")
        else:
            source = _literal_source(res.origins.get(plain), value)
            if source is not None:
                return self._on_source(res, plain, source, branch)
        return self.finding(
            res, f"{res.address} sets {plain} to a literal value{when(branch)}: the secret is stored in the "
            "template. Reference Secrets Manager or SSM Parameter Store (a dynamic reference, a data source, or a "
            "managed master password) instead.",
            line=native_line(res, path), detail=f"{plain}{':' + branch if branch else ''}",
        )

    def _on_source(self, res, plain, step, branch):
        """A Terraform secret whose literal sits in a variable default, a module input or a
        local; None when it comes from a .tfvars file, -var or TF_VAR_ (a deploy-time input)."""
        text = step.description
        if not (step.file and step.line) or not text.startswith(("variable ", "module ", "local.")):
            return None
        if text.startswith("variable "):
            name = text.split()[1]
            what, kind = f"Variable {name} has a hard-coded default", "variable"
        elif text.startswith("module "):
            name = text.split()[1]
            what, kind = f"Module call {name} passes a hard-coded value", "module"
        else:
            name = text.split()[0]
            what, kind = f"{name} holds a hard-coded value", "local"
        # The step names no module instance; its file and line say exactly where it is written.
        resource = {"variable": f"var.{name}", "module": f"module.{name}", "local": name}[kind]
        return Finding(self.id, self.name, self.effective_severity,
                       f"{what} that {res.address} uses as {plain}{when(branch)}: the secret is stored in the "
                       "configuration. Supply it at deploy time, or read it from Secrets Manager / SSM Parameter Store "
                       "(a data source, or manage_master_user_password).",
                       step.file, step.line, resource, kind, f"{kind}:{name}")

    def _on_parameter(self, workload, name, param, what):
        return Finding(self.id, self.name, self.effective_severity,
                       f"Parameter {name} {what}: the secret is stored in the template. Remove the Default and "
                       "pass the value at deploy time, or use a dynamic reference to Secrets Manager / "
                       "SSM Parameter Store.",
                       workload.entry_file, param["default_line"], name, "AWS::CloudFormation::Parameter",
                       f"parameter:{name}")
