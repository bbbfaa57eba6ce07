"""``ha-lint graph``: Mermaid and DOT grouped by Region, AZ and subnet, with SPOFs highlighted."""

from __future__ import annotations

import re
import subprocess

from conftest import FIXTURES, run_cli

WORKLOADS = FIXTURES / "workloads"


def graph(*args):
    run = run_cli("graph", *args, "--no-config")
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_mermaid_groups_by_region_az_subnet_and_highlights_spofs():
    out = graph(str(WORKLOADS / "three_tier_single_az" / "tf"))
    assert out.startswith("flowchart TB")
    assert 'subgraph w0r0["us-east-1"]' in out
    assert re.search(r'subgraph w0r0z\d+\["AZ data\.aws_availability_zones\.available\.names\[0\]"\]', out)
    assert 'subgraph w0r0z1s1["subnet aws_subnet.app[0]"]' in out
    asg = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", str(WORKLOADS / "three_tier_single_az" / "tf")) + "_aws_autoscaling_group_app"
    # the ASG sits inside its subnet (deeper indentation than the region-wide load balancer)
    assert re.search(rf"\n {{10}}{asg}\[", out)
    assert f"class {asg} spof" in out
    assert "-.->" in out and "-->" in out  # data (dashed) and traffic dependencies
    assert "HA104" in out  # findings on the node


def test_dot_output_is_a_digraph_with_clusters():
    out = graph(str(WORKLOADS / "warm_standby" / "tf"), "--format", "dot")
    assert out.startswith("digraph architecture {") and out.rstrip().endswith("}")
    assert 'label="us-east-1"' in out and 'label="us-west-2"' in out and 'label="Global"' in out
    assert out.count("{") == out.count("}")
    assert re.search(r"aws_route53_record_primary -> n_\S+aws_lb_primary", out)


def test_dot_renders_with_graphviz_when_installed(tmp_path):
    import shutil

    import pytest

    if not shutil.which("dot"):
        pytest.skip("Graphviz `dot` is not installed: the DOT syntax is checked by the test above only")
    source = tmp_path / "a.dot"
    source.write_text(graph(str(WORKLOADS / "three_tier_multi_az"), "--format", "dot"))
    run = subprocess.run(["dot", "-Tsvg", str(source)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "<svg" in run.stdout


def test_markdown_report_embeds_the_mermaid_diagram():
    run = run_cli(str(WORKLOADS / "serverless" / "cfn"), "--no-config", "--format", "markdown")
    assert "### Architecture" in run.stdout
    block = run.stdout.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.startswith("flowchart TB") and "HttpApi" in block and "-->" in block
