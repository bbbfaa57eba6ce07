from ha_lint.engine import Rule
from ha_lint.values import as_int, bad_branches, possibilities, when
from ha_lint.wording import plural, subject

UNRESERVED_MINIMUM = 100  # Lambda keeps at least 100 of the account's concurrency unreserved


def largest_reservation(value):
    """The largest reserved concurrency any branch sets (None: not reserved, or unknown)."""
    known = [as_int(v) for _, v in possibilities(value)]
    known = [v for v in known if isinstance(v, int) and v > 0]
    return max(known) if known else None


class LambdaReservedConcurrencyRisk(Rule):
    id = "OP604"
    name = "lambda-reserved-concurrency-risk"
    severity = "high"
    since = "0.1.0"
    summary = "Lambda reserved concurrency of 0 (always throttled), or reservations above what the account allows."
    tags = ("operations", "lambda", "capacity")
    docs = """
    ## What it does
    Flags a Lambda function whose reserved concurrency (`ReservedConcurrentExecutions`,
    `reserved_concurrent_executions`) is 0: every invocation is throttled. And, once for
    the scanned set, reservations whose sum exceeds the account's concurrency limit minus
    the 100 that Lambda keeps unreserved (limit from the `account_concurrency_limit`
    option, default 1000), reported on the function with the largest reservation.
    Terraform's `-1` (the default) means no reservation. A reservation that differs by
    condition counts with its largest branch; an unresolved one does not count.

    The concurrency limit is per account and Region, so the sum is taken per
    Region where the templates say it (a Terraform provider's `region`); functions whose
    Region is decided at deploy time (CloudFormation, a provider without a region) are
    summed together. The scanned set is taken to be one account.

    ## Why it matters
    Reserved concurrency 0 is the switch that stops a function: left in a template it is an
    outage. Lambda refuses reservations that would leave fewer than 100 unreserved
    executions, so a deployment whose reservations add up beyond that fails, and
    reservations near the limit starve every other function of the account (REL 11,
    manage service quotas and constraints: REL 1).

    ## Example
    ```yaml
    Worker:
      Type: AWS::Lambda::Function
      Properties:
        ReservedConcurrentExecutions: 0
    ```
    ```hcl
    resource "aws_lambda_function" "worker" {
      reserved_concurrent_executions = 0
    }
    ```

    ## Use instead
    ```yaml
        ReservedConcurrentExecutions: 50
    ```
    ```hcl
      reserved_concurrent_executions = 50
    ```

    ## References
    - AWS Well-Architected Reliability REL 1 (manage service quotas and constraints), REL 11
    - AWS Lambda Developer Guide: reserved concurrency
    - Equivalent: none (Checkov CKV_AWS_115 asks for a reservation, not a safe one)
    """

    def check(self, arch):
        reserved = {}  # region (or "" when decided at deploy time) -> [(reservation, function)]
        for fn in arch.of_kind("lambda_function"):
            value = fn.get("reserved_concurrency")
            for branch in bad_branches(value.value, lambda v: as_int(v) == 0):
                yield self.finding(
                    fn,
                    f"{subject(fn)} has reserved concurrency 0{value.why()}{when(branch)}: every "
                    "invocation is throttled. Remove the setting or reserve the concurrency it needs.",
                    prop="reserved_concurrency", detail="zero", branch=branch,
                )
            largest = largest_reservation(value.value)
            if largest:
                region = fn.meta.region
                reserved.setdefault(region if isinstance(region, str) else "", []).append((largest, fn))
        limit = arch.options.account_concurrency_limit
        for region, group in sorted(reserved.items()):
            total = sum(n for n, _ in group)
            if total <= limit - UNRESERVED_MINIMUM:
                continue
            largest, fn = max(group, key=lambda item: item[0])
            where = f" in {region}" if region else ""
            yield self.finding(
                fn,
                f"{subject(fn)} reserves the most concurrency ({largest}) of the {plural(len(group), 'function')} of "
                f"the scanned set{where}, whose reservations add up to {total}, more than the account limit {limit} "
                f"minus the {UNRESERVED_MINIMUM} Lambda keeps unreserved. Deployments will fail or starve other functions: "
                "lower the reservations or raise the account limit (account_concurrency_limit).",
                prop="reserved_concurrency", detail=f"account-total{':' + region if region else ''}",
            )
