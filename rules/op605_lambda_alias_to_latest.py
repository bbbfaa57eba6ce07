from ha_lint.engine import Rule
from ha_lint.values import Choice, Ref, as_bool, bad_branches, possibilities, when
from ha_lint.wording import subject


class LambdaAliasToLatest(Rule):
    id = "OP605"
    name = "lambda-alias-to-latest"
    severity = "low"
    since = "0.1.0"
    summary = "Lambda alias pointing at $LATEST instead of a published version."
    tags = ("operations", "lambda", "deployment")
    docs = """
    ## What it does
    Flags an `AWS::Lambda::Alias` / `aws_lambda_alias` whose function version is
    `$LATEST`: written as a literal, or in Terraform taken from
    `aws_lambda_function.x.version` of a function that does not publish versions
    (`publish` false or absent: its `version` attribute is then `$LATEST`).
    `$LATEST` as the fallback branch of a conditional whose other branch is a
    resource's version (`var.version != "" ? var.version : "$LATEST"` given
    `aws_lambda_function.x.version`) is not reported: the version is supplied, so the
    fallback is not taken.

    ## Why it matters
    An alias exists to pin callers to an immutable version so that a deployment can be
    shifted gradually and rolled back by moving the alias. On `$LATEST`, every code or
    configuration change goes live to all callers at once and there is no previous version
    to return to: a bad deploy cannot be rolled back quickly (REL 8, deploy changes safely).

    ## Example
    ```yaml
    LiveAlias:
      Type: AWS::Lambda::Alias
      Properties:
        FunctionName: !Ref Api
        FunctionVersion: $LATEST
        Name: live
    ```
    ```hcl
    resource "aws_lambda_alias" "live" {
      name             = "live"
      function_name    = aws_lambda_function.api.function_name
      function_version = "$LATEST"
    }
    ```

    ## Use instead
    ```yaml
        FunctionVersion: !GetAtt ApiVersion.Version   # an AWS::Lambda::Version
    ```
    ```hcl
      function_version = aws_lambda_function.api.version   # with publish = true
    ```

    ## References
    - AWS Well-Architected Reliability REL 8 (implement change), Operational Excellence OPS 6
    - AWS Lambda Developer Guide: aliases and versions
    - Equivalent: none in Checkov or Trivy
    """

    def check(self, arch):
        for alias in arch.of_kind("lambda_alias"):
            version = alias.get("function_version")
            fallback = isinstance(version.value, Choice) and any(isinstance(v, Ref) for _, v in possibilities(version.value))
            for branch in [] if fallback else bad_branches(version.value, lambda v: v == "$LATEST"):
                yield self.finding(
                    alias,
                    f"{subject(alias)} points at $LATEST{version.why()}{when(branch)}: every change goes "
                    "live at once and cannot be rolled back by moving the alias. Point it at a published version.",
                    prop="function_version", detail="latest", branch=branch,
                )
            fn = arch.resolve_ref(alias, version.value)
            if fn is not None and fn.kind == "lambda_function" and version.value.attribute == "version" \
                    and fn.native_path("publish") and as_bool(fn.get("publish").value) is False:
                yield self.finding(
                    alias,
                    f"{subject(alias)} takes {fn.address}.version, but that function does not publish "
                    f"versions (publish is false{'' if fn.has('publish') else ' by default'}), so the version is "
                    "$LATEST. Set publish = true on the function.",
                    prop="function_version", detail="latest:unpublished",
                )
