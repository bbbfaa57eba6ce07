from ha_lint.engine import Rule
from ha_lint.queries.az import azs_spanned
from ha_lint.values import as_int, bad_branches, possibilities, when
from ha_lint.wording import subject


def _one_task(value):
    number = as_int(value)
    return isinstance(number, int) and 0 < number < 2


class EcsServiceSingleTask(Rule):
    id = "HA111"
    name = "ecs-service-single-task"
    severity = "medium"
    since = "0.1.0"
    summary = "ECS service that keeps one task running, or places its tasks in subnets of one AZ."
    tags = ("availability", "ecs")
    docs = """
    ## What it does
    Flags an `AWS::ECS::Service` / `aws_ecs_service` with the REPLICA scheduling strategy (the
    default) whose desired count is 1 (`DesiredCount`, absent meaning 1 in CloudFormation;
    `desired_count`), or, when an Application Auto Scaling target scales it
    (`AWS::ApplicationAutoScaling::ScalableTarget` / `aws_appautoscaling_target` whose
    `ResourceId` names the service), whose minimum capacity is 1 (reported at the target's
    `MinCapacity` when it is written in the service's file). Separately flags awsvpc
    subnets (`NetworkConfiguration.AwsvpcConfiguration.Subnets`,
    `network_configuration { subnets }`) that resolve to fewer than two AZs.
    DAEMON services are not flagged. A desired count of 0 (Terraform's default) is
    a service scaled to zero on purpose (a standby, or one scaled by a target outside the
    scanned set) and is not flagged.

    ## Why it matters
    One task is a single point of failure: when it crashes, is replaced during a deployment
    or loses its host or AZ, nothing serves until ECS starts another and it passes health
    checks. Two or more tasks spread across AZs keep serving (REL 10 / REL 11).

    ## Example
    ```yaml
    Api:
      Type: AWS::ECS::Service
      Properties:
        Cluster: !Ref Cluster
        TaskDefinition: !Ref ApiTask
        DesiredCount: 1
    ```
    ```hcl
    resource "aws_ecs_service" "api" {
      cluster         = aws_ecs_cluster.main.id
      task_definition = aws_ecs_task_definition.api.arn
      desired_count   = 1
    }
    ```

    ## Use instead
    ```yaml
        DesiredCount: 2
    ```
    ```hcl
      desired_count = 2
    ```

    ## References
    - AWS Well-Architected Reliability REL 10 (fault isolation), REL 11 (withstand component failures)
    - Amazon ECS Developer Guide: Service scheduler concepts; Amazon ECS availability best practices
    - Equivalent: none known in Checkov/Trivy/KICS
    """

    def check(self, arch):
        for svc in arch.of_kind("ecs_service"):
            strategies = [s for _, s in possibilities(svc.get("scheduling_strategy").value)]
            if all(isinstance(s, str) and s.upper() == "DAEMON" for s in strategies):
                continue
            scaling = arch.sources(svc, kind="scalable_target", name="resource_id")
            line = None
            if scaling:
                low = scaling[0].get("min_capacity")
                what, branches = f"its auto scaling minimum capacity ({scaling[0].address}) is 1{low.why()}", \
                    bad_branches(low.value, _one_task)
                if scaling[0].file == svc.file and low.present:  # the offending MinCapacity
                    line = scaling[0].line_of("min_capacity")
            else:
                count = svc.get("desired_count")
                what, branches = f"its desired count is 1{count.why()}", bad_branches(count.value, _one_task)
            for branch in branches:
                yield self.finding(
                    svc,
                    f"{subject(svc)} runs a single task: {what}{when(branch)}. When that task, its host or "
                    "its Availability Zone fails, nothing serves until a replacement starts; run at least 2 tasks.",
                    prop="desired_count", line=line, detail="desired_count", branch=branch,
                )
            for span in azs_spanned(arch, svc):
                if span.single_az:
                    yield self.finding(
                        svc,
                        f"{subject(svc)} places its tasks through {span.describe()}{when(span.branch)}: "
                        "an outage of that Availability Zone stops every task. List subnets in at least two AZs.",
                        line=svc.line_of(span.prop), detail=span.detail,
                    )
