from ha_lint.engine import Rule
from ha_lint.queries.events import document
from ha_lint.values import possibilities, when
from ha_lint.wording import spelled, subject


def containers_without_logging(task):
    """(branch, index, container name, discarded) of each container definition with no log
    configuration, or (discarded) one whose log driver is ``none``."""
    for branch, containers in possibilities(document(task.get("containers").value)):
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            if not isinstance(container, dict):
                continue
            fields = {k.lower(): v for k, v in container.items() if isinstance(k, str)}
            name = fields.get("name")
            name = name if isinstance(name, str) else f"#{index + 1}"
            for sub, config in possibilities(fields.get("logconfiguration")):
                # type(...) is object: CloudFormation's AWS::NoValue left in a condition branch.
                if config is None or config == {} or type(config) is object or _discards(config):
                    yield (sub if branch is None else branch if sub is None else f"{branch}, {sub}"), index, name, \
                        _discards(config)


def _discards(config):
    """``LogDriver: none``: Docker's driver that throws the output away."""
    if not isinstance(config, dict):
        return False
    driver = next((v for k, v in config.items() if isinstance(k, str) and k.lower() == "logdriver"), None)
    return isinstance(driver, str) and driver.strip().lower() == "none"


class EcsContainerNoLogging(Rule):
    id = "OP608"
    name = "ecs-container-no-logging"
    severity = "low"
    since = "0.1.0"
    summary = "ECS task definition container with no log configuration."
    tags = ("operations", "ecs", "logging")
    docs = """
    ## What it does
    Flags each container of an `AWS::ECS::TaskDefinition` / `aws_ecs_task_definition`
    with no log configuration (`LogConfiguration`, `logConfiguration` in the
    `container_definitions` JSON): any log driver counts (awslogs, awsfirelens, splunk,
    ...) except `none`, which discards the output, in every condition branch. In
    CloudFormation the finding points at the container
    (at its `LogConfiguration` when a condition leaves it out); in Terraform at
    `container_definitions` (definitions read from files or templates are unknown and not
    reported).

    The FireLens log router container (`firelensConfiguration`) is flagged too
    when it has no log configuration of its own: when the router fails, its errors are the
    only clue, and AWS's FireLens examples send them to awslogs.

    ## Why it matters
    Without a log driver, a container's stdout and stderr go nowhere you can read once the
    task stops: a task that crashes on start or fails its health check leaves no trace of
    why, and an outage is diagnosed blind (REL 6, monitor workload resources).

    ## Example
    ```yaml
    TaskDefinition:
      Type: AWS::ECS::TaskDefinition
      Properties:
        ContainerDefinitions:
          - Name: app
            Image: nginx:1.27
    ```
    ```hcl
    resource "aws_ecs_task_definition" "app" {
      family = "app"
      container_definitions = jsonencode([{
        name  = "app"
        image = "nginx:1.27"
      }])
    }
    ```

    ## Use instead
    ```yaml
    TaskDefinition:
      Type: AWS::ECS::TaskDefinition
      Properties:
        ContainerDefinitions:
          - Name: app
            Image: nginx:1.27
            LogConfiguration:
              LogDriver: awslogs
              Options:
                awslogs-group: !Ref AppLogs
                awslogs-region: !Ref AWS::Region
                awslogs-stream-prefix: app
    ```
    ```hcl
    resource "aws_ecs_task_definition" "app" {
      family = "app"
      container_definitions = jsonencode([{
        name  = "app"
        image = "nginx:1.27"
        logConfiguration = {
          logDriver = "awslogs"
          options = {
            awslogs-group         = aws_cloudwatch_log_group.app.name
            awslogs-region        = "eu-west-1"
            awslogs-stream-prefix = "app"
          }
        }
      }])
    }
    ```

    ## References
    - AWS Well-Architected Reliability REL 6 (monitor workload resources); Amazon ECS Developer Guide: awslogs log driver
    - Equivalent: KICS "ECS Task Definition Container Without Log Configuration" (no Checkov/Trivy check)
    """

    def check(self, arch):
        for task in arch.of_kind("ecs_task_definition"):
            path = task.native_path("containers")
            for branch, index, name, discarded in containers_without_logging(task):
                # CloudFormation: the container's LogConfiguration when written (a condition), else the container.
                where = f"{path}.{index}.LogConfiguration" + (".LogDriver" if discarded else "")
                line = task.line_of(where) if task.source == "cloudformation" else task.line_of("containers")
                how = "logs to the none driver, which discards its output" if discarded else "has no log configuration"
                yield self.finding(
                    task,
                    f"{subject(task)} container `{name}` {how}{when(branch)}: its output is lost when the task "
                    f"stops. Add a {spelled(task, 'LogConfiguration', 'logConfiguration')} (awslogs or FireLens).",
                    line=line, detail=f"container:{name}", branch=branch,
                )
