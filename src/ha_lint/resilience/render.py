"""The resilience model as text, JSON, Mermaid, Graphviz DOT, inline SVG and one
self-contained HTML page (no script, nothing fetched: it opens offline).

Names from the input (workload IDs, addresses, Regions, AZs, subnets) are escaped for each
format by ``ha_lint.escape``: one line of text, Mermaid entity codes, Graphviz escapes, HTML."""

from __future__ import annotations

import json
import re
from typing import Any

from ha_lint.durations import INFINITE, minutes
from ha_lint.escape import code_span, dot_string, html_text, markdown_text, mermaid_label, printable, readable_data
from ha_lint.resilience.model import DEGRADED, DOWN, FAILS_OVER, UNAFFECTED, Component, Outcome, WorkloadModel
from ha_lint.wording import region_name
from ha_lint.wording import workload_name as named

SCHEMA = 1
COLOURS = {UNAFFECTED: "#d8f0d8", DEGRADED: "#fff1b8", FAILS_OVER: "#cfe3ff", DOWN: "#f8c8c8"}
ROLE_NAMES = {"entry": "entry points", "compute": "compute", "data": "data", "egress": "egress (NAT)"}
UNKNOWN_AZ = "unknown"  # the column of a component that lives in one AZ ha-lint cannot name


def workload_name(m: WorkloadModel) -> str:
    """The workload as a reader knows it (``wording.workload_name``)."""
    return named(m.workload.id)


def by_tier(m: WorkloadModel) -> list[Component]:
    """The components in the order a request meets them: entry points, compute, data, then the
    egress path (in the templates' order within each)."""
    order = ("entry", "compute", "data", "egress")
    return sorted(m.components, key=lambda c: order.index(c.role) if c.role in order else len(order))


def findings_of(m: WorkloadModel, findings: list[Any] | None) -> list[Any]:
    """The workload's findings in file and line order."""
    return sorted(m.findings_of(findings), key=lambda f: (f.file, f.line, f.rule_id))


def where(f: Any) -> str:
    return f"{f.file}:{f.line}" if f.line else f.file


def span(low: float, high: float) -> str:
    if low == high:
        return minutes(low)
    return f"{minutes(low)}-{minutes(high)}"


# -- text ------------------------------------------------------------------------------------


def text(models: list[WorkloadModel], findings: list[Any] | None = None) -> str:
    """The scenario table of each workload, what it depends on, and (``findings`` given) its
    findings, each with its file and line."""
    out: list[str] = []
    for m in models:
        out.append(f"Workload {workload_name(m)} ({m.workload.source})")
        out.append(f"  DR strategy: {m.posture.describe()}")
        width = max([len(printable(c.address)) for c in m.components] + [9]) + 2
        heads = [_scenario_head(s) for s in m.scenarios]
        cols = [max(len(h), 10) + 2 for h in heads]
        out.append("  " + "component".ljust(width) + "role".ljust(9) + "".join(h.ljust(w) for h, w in zip(heads, cols)))
        for c in by_tier(m):
            cells = [s.outcomes[c.uid].verdict for s in m.scenarios]
            out.append("  " + printable(c.address).ljust(width) + c.role.ljust(9) + "".join(v.ljust(w) for v, w in zip(cells, cols)))
        out.append("  " + "RTO".ljust(width + 9) + "".join(span(*s.rto).ljust(w) for s, w in zip(m.scenarios, cols)))
        out.append("  " + "RPO".ljust(width + 9) + "".join(minutes(s.rpo).ljust(w) for s, w in zip(m.scenarios, cols)))
        if m.dependencies:
            out.append("  Dependencies:")
            for a, b, via in m.dependencies:
                out.append(f"    {a.split('#', 1)[1]} -> {b.split('#', 1)[1]} ({via})")
        data = m.datastore_estimates()
        if data:
            out.append("  Data stores (worst case):")
            for row in data:
                out.append(f"    {row['component']}: AZ loss {_estimate(row['az'])}; Region loss {_estimate(row['region'])}")
        if m.spofs:
            out.append("  Single points of failure:")
            for s in m.spofs:
                out.append(f"    {s.component.address} ({s.rule or 'no rule'}): down on the {s.scenario}")
        if m.targets.declared:
            out.append(f"  Targets ({m.targets.origin}):")
            if not m.misses:
                out.append("    met")
            for miss in m.misses:
                out.append(f"    DR307 {miss.message}")
        if findings is not None:
            mine = findings_of(m, findings)
            out.append(f"  Findings ({len(mine)}):")
            for f in mine:
                out.append(f"    {where(f)}: {f.rule_id} [{f.severity}] {' '.join(f.message.split())}")
        out.append("")
    if not models:
        out.append("No workload with an entry point, compute or data resource.")
    return "\n".join(printable(line).rstrip() for line in out) + "\n"


def _scenario_head(s) -> str:
    if s.kind == "az":
        return f"AZ {s.target}" if s.zone else "any AZ"
    return "Region" if s.target == "Region" else f"Region {s.target}"


def _estimate(o: Outcome | None) -> str:
    if o is None:
        return "n/a"
    if o.verdict in (UNAFFECTED, DEGRADED):
        return o.verdict
    how = f" ({o.assumption.what})" if o.assumption and o.assumption.key != "no-recovery" else f" ({o.why})"
    return f"{o.verdict}, RTO {span(*o.rto)}, RPO {minutes(o.rpo)}{how}"


# -- JSON ------------------------------------------------------------------------------------


def _num(value: float) -> float | None:
    return None if value == INFINITE else round(value, 2)


def _outcome(o: Outcome) -> dict[str, Any]:
    return {"verdict": o.verdict, "why": o.why, "cause": o.cause,
            "rto_minutes": [_num(o.rto[0]), _num(o.rto[1])], "rpo_minutes": _num(o.rpo),
            "assumption": o.assumption.key if o.assumption else None}


def as_data(models: list[WorkloadModel], findings: list[Any] | None = None) -> dict[str, Any]:
    workloads = []
    used: dict[str, Any] = {}
    for m in models:
        for s in m.scenarios:
            for o in s.outcomes.values():
                if o.assumption:
                    used[o.assumption.key] = o.assumption
        workloads.append({
            "id": m.workload.id, "name": workload_name(m), "source": m.workload.source, "file": m.workload.entry_file,
            "strategy": m.posture.strategy,
            "evidence": [{"kind": e.kind, "text": e.text, "certain": e.certain} for e in m.posture.evidence],
            "components": [{"address": c.address, "type": c.res.type, "role": c.role, "region": c.region,
                            "azs": [str(z) for z in c.zones], "scope": c.scope, "file": c.res.file, "line": c.res.line}
                           for c in m.components],
            "dependencies": [{"from": a.split("#", 1)[1], "to": b.split("#", 1)[1], "via": via}
                             for a, b, via in m.dependencies],
            "scenarios": [{"kind": s.kind, "target": s.target, "label": s.label,
                           "rto_minutes": [_num(s.rto[0]), _num(s.rto[1])], "rpo_minutes": _num(s.rpo),
                           "components": {uid.split("#", 1)[1]: _outcome(o) for uid, o in s.outcomes.items()}}
                          for s in m.scenarios],
            "datastores": [{"component": r["component"], "az": _outcome(r["az"]) if r["az"] else None,
                            "region": _outcome(r["region"]) if r["region"] else None}
                           for r in m.datastore_estimates()],
            "single_points_of_failure": [{"component": s.component.address, "scenario": s.scenario, "rule": s.rule}
                                         for s in m.spofs],
            "egress": [{"from": a.split("#", 1)[1], "nat_gateway": b.split("#", 1)[1], "subnets": via}
                       for a, b, via in m.egress],
            "targets": {"rto_minutes": m.targets.rto, "rpo_minutes": m.targets.rpo, "strategy": m.targets.strategy,
                        "origin": m.targets.origin,
                        "misses": [{"objective": x.objective, "target": x.target, "estimate": x.estimate,
                                    "scenario": x.scenario, "message": x.message} for x in m.misses]},
        })
    return {"schema": SCHEMA, "workloads": workloads,
            "assumptions": {k: {"what": a.what, "rto_minutes": [_num(a.rto[0]), _num(a.rto[1])],
                                "rpo_minutes": _num(a.rpo), "source": a.source, "note": a.note,
                                "overridden": a.overridden} for k, a in sorted(used.items())},
            "findings": [{"rule_id": f.rule_id, "severity": f.severity, "file": f.file, "line": f.line,
                          "resource": f.resource, "message": f.message} for f in findings or ()]}


def as_json(models: list[WorkloadModel], findings: list[Any] | None = None) -> str:
    return json.dumps(readable_data(as_data(models, findings)), indent=2) + "\n"


# -- layout shared by the pictures -----------------------------------------------------------


def _node_ids(models: list[WorkloadModel]) -> dict[str, str]:
    """A node ID per component: its uid in letters, digits and ``_`` (safe in Mermaid and DOT
    whatever the name holds), numbered when two uids read the same (``db["a-b"]``, ``db["a_b"]``)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for m in models:
        for c in m.components:
            if c.uid in out:
                continue
            base = node_id = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", c.uid)
            number = 1
            while node_id in taken:
                number += 1
                node_id = f"{base}_{number}"
            taken.add(node_id)
            out[c.uid] = node_id
    return out


def _flagged(m: WorkloadModel, findings: list[Any] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings or ():
        for c in m.components:
            if f.resource == c.address and f.file == c.res.file:
                out.setdefault(c.uid, [])
                if f.rule_id not in out[c.uid]:
                    out[c.uid].append(f.rule_id)
    return out


def columns_of(c: Component) -> list[str]:
    """The columns of the picture a component is drawn in: "Global", "Regional", its AZs, or
    ``UNKNOWN_AZ`` when it lives in one AZ that is not known (a single-AZ database in a subnet
    group of several AZs) or its AZs do not resolve. Never every AZ for a one-AZ resource."""
    if c.scope == "global":
        return ["Global"]
    if c.one_az:
        return [str(c.zones[0])] if len(c.zones) == 1 and c.complete else [UNKNOWN_AZ]
    if c.zones:
        return [str(z) for z in c.zones]
    return ["Regional"] if c.scope == "regional" and not c.placed else [UNKNOWN_AZ]


def _region_title(m: WorkloadModel, region: str) -> str:
    """A Region box's title: its name, or where the Region comes from when it is not known
    ("the deployment Region", the provider's ``region = var.region``)."""
    if region != "Region":
        return region
    sources = {region_name(c.res) for c in m.components if c.region == "Region" and c.scope != "global"}
    return sources.pop() if len(sources) == 1 else "the deployment Region"


def _groups(m: WorkloadModel) -> dict[str, dict[str, dict[str, list[Component]]]]:
    """region -> AZ ("" = Regional / several AZs) -> subnet ("" = none) -> components."""
    out: dict[str, dict[str, dict[str, list[Component]]]] = {}
    for c in m.components:
        region = "Global" if c.scope == "global" else c.region
        columns = columns_of(c)
        zone = columns[0] if len(columns) == 1 and columns[0] not in ("Global", "Regional") else ""
        subnet = c.subnets[0].address if zone and zone != UNKNOWN_AZ and len(c.subnets) == 1 else ""
        out.setdefault(region, {}).setdefault(zone, {}).setdefault(subnet, []).append(c)
    return out


def _label(c: Component, flags: list[str], spof: bool) -> list[str]:
    """A component's box: its address, its type, then what is notable (each picture escapes
    the lines and joins them its own way)."""
    extra = []
    if len(c.zones) > 1 and not c.one_az:
        extra.append(f"{len(c.zones)} AZs")
    if spof:
        extra.append("SPOF")
    extra += flags
    return [c.address, c.res.type] + ([", ".join(extra)] if extra else [])


def mermaid(models: list[WorkloadModel], findings: list[Any] | None = None) -> str:
    lines = ["flowchart TB"]
    ids = _node_ids(models)
    for mi, m in enumerate(models):
        flags = _flagged(m, findings)
        spofs = {s.component.uid for s in m.spofs}
        lines.append(f'  subgraph w{mi}["{mermaid_label(workload_name(m))}"]')
        for ri, (region, zones) in enumerate(sorted(_groups(m).items())):
            lines.append(f'    subgraph w{mi}r{ri}["{mermaid_label(_region_title(m, region))}"]')
            for zi, (zone, subnets) in enumerate(sorted(zones.items())):
                indent = "      "
                if zone:
                    lines.append(f'      subgraph w{mi}r{ri}z{zi}["AZ {mermaid_label(zone)}"]')
                    indent = "        "
                for si, (subnet, comps) in enumerate(sorted(subnets.items())):
                    inner = indent
                    if subnet:
                        lines.append(f'{indent}subgraph w{mi}r{ri}z{zi}s{si}["subnet {mermaid_label(subnet)}"]')
                        inner = indent + "  "
                    for c in comps:
                        label = "<br/>".join(map(mermaid_label, _label(c, flags.get(c.uid, []), c.uid in spofs)))
                        lines.append(f'{inner}{ids[c.uid]}["{label}"]')
                    if subnet:
                        lines.append(f"{indent}end")
                if zone:
                    lines.append("      end")
            lines.append("    end")
        lines.append("  end")
        for a, b, via in m.dependencies:
            ca, cb = next(c for c in m.components if c.uid == a), next(c for c in m.components if c.uid == b)
            arrow = "-.->" if cb.role == "data" else "-->"
            lines.append(f"  {ids[ca.uid]} {arrow} {ids[cb.uid]}")
        for a, b, _ in m.egress:
            lines.append(f"  {ids[a]} -. egress .-> {ids[b]}")
        for c in m.components:
            if c.uid in spofs:
                lines.append(f"  class {ids[c.uid]} spof")
            elif c.uid in flags:
                lines.append(f"  class {ids[c.uid]} finding")
    lines.append("  classDef spof fill:#f8c8c8,stroke:#b00020,stroke-width:3px")
    lines.append("  classDef finding fill:#fff1b8,stroke:#b26a00,stroke-width:2px")
    return "\n".join(lines) + "\n"


def dot(models: list[WorkloadModel], findings: list[Any] | None = None) -> str:
    lines = ["digraph architecture {", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fillcolor="#ffffff"];']
    ids = _node_ids(models)
    for mi, m in enumerate(models):
        flags = _flagged(m, findings)
        spofs = {s.component.uid for s in m.spofs}
        lines.append(f'  subgraph cluster_w{mi} {{ label="{dot_string(workload_name(m))}";')
        for ri, (region, zones) in enumerate(sorted(_groups(m).items())):
            lines.append(f'    subgraph cluster_w{mi}r{ri} {{ label="{dot_string(_region_title(m, region))}";')
            for zi, (zone, subnets) in enumerate(sorted(zones.items())):
                if zone:
                    lines.append(f'      subgraph cluster_w{mi}r{ri}z{zi} {{ label="AZ {dot_string(zone)}";')
                for si, (subnet, comps) in enumerate(sorted(subnets.items())):
                    if subnet:
                        lines.append(f'        subgraph cluster_w{mi}r{ri}z{zi}s{si} {{ label="subnet {dot_string(subnet)}";')
                    for c in comps:
                        style = (', fillcolor="#f8c8c8", color="#b00020", penwidth=3' if c.uid in spofs else
                                 ', fillcolor="#fff1b8", color="#b26a00", penwidth=2' if c.uid in flags else "")
                        label = "\\n".join(map(dot_string, _label(c, flags.get(c.uid, []), c.uid in spofs)))
                        lines.append(f'          {ids[c.uid]} [label="{label}"{style}];')
                    if subnet:
                        lines.append("        }")
                if zone:
                    lines.append("      }")
            lines.append("    }")
        lines.append("  }")
        for a, b, via in m.dependencies:
            ca, cb = next(c for c in m.components if c.uid == a), next(c for c in m.components if c.uid == b)
            style = "dashed" if cb.role == "data" else "solid"
            lines.append(f'  {ids[ca.uid]} -> {ids[cb.uid]} [style={style}, tooltip="{dot_string(via)}"];')
        for a, b, via in m.egress:
            lines.append(f'  {ids[a]} -> {ids[b]} [style=dotted, label="egress", tooltip="{dot_string(via)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- SVG: region boxes, a column per AZ, a row per tier --------------------------------------

BOX_W, BOX_H, GAP, COL_W, ROW_H, HEAD = 200, 52, 14, 228, 96, 40


def svg(m: WorkloadModel, findings: list[Any] | None = None) -> str:
    flags = _flagged(m, findings)
    spofs = {s.component.uid for s in m.spofs}
    regions: dict[str, list[Component]] = {}
    for c in m.components:
        regions.setdefault("Global" if c.scope == "global" else c.region, []).append(c)
    order = sorted(regions, key=lambda r: (r != "Global", r))
    parts: list[str] = []
    positions: dict[str, tuple[float, float]] = {}
    x0, height = 10, 0
    for region in order:
        comps = regions[region]
        wanted = {col for c in comps for col in columns_of(c)}
        zones = sorted(wanted - {UNKNOWN_AZ, "Regional", "Global"})
        columns = zones + [col for col in (UNKNOWN_AZ, "Regional", "Global") if col in wanted]
        rows = [r for r in ("entry", "compute", "data", "egress") if any(c.role == r for c in comps)]
        # stacking inside a cell
        cells: dict[tuple[int, int], int] = {}
        placed: list[tuple[Component, int, int, int, int]] = []  # comp, first col, last col, row, slot
        for c in sorted(comps, key=lambda c: c.address):
            row = rows.index(c.role)
            idx = [columns.index(col) for col in columns_of(c)]
            first, last = min(idx), max(idx)
            slot = max(cells.get((col, row), 0) for col in range(first, last + 1))
            for col in range(first, last + 1):
                cells[(col, row)] = slot + 1
            placed.append((c, first, last, row, slot))
        row_slots = [max([cells.get((col, r), 1) for col in range(len(columns))] + [1]) for r in range(len(rows))]
        row_tops = [HEAD + 28]
        for slots in row_slots[:-1]:
            row_tops.append(row_tops[-1] + slots * (BOX_H + GAP) + 24)
        width = len(columns) * COL_W + 90  # a gutter on the right for the tier names
        box_h = row_tops[-1] + row_slots[-1] * (BOX_H + GAP) + 16
        parts.append(f'<g class="region" data-region="{html_text(region)}">')
        parts.append(f'<rect x="{x0}" y="10" width="{width}" height="{box_h}" rx="10" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/>')
        parts.append(f'<text x="{x0 + 12}" y="32" font-size="15" font-weight="bold">{html_text(_region_title(m, region))}</text>')
        for ci, col in enumerate(columns):
            cx = x0 + 10 + ci * COL_W
            parts.append(f'<rect x="{cx}" y="{HEAD}" width="{COL_W - 8}" height="{box_h - HEAD}" fill="none" stroke="#afb8c1" stroke-dasharray="4 3"/>')
            parts.append(f'<text class="column" x="{cx + 6}" y="{HEAD + 16}" font-size="12" fill="#57606a">{html_text(col if col in ("Regional", "Global") else "AZ " + col)}</text>')
        for ri, r in enumerate(rows):
            parts.append(f'<text x="{x0 + width - 8}" y="{row_tops[ri] + 14}" font-size="11" fill="#8c959f" text-anchor="end">{ROLE_NAMES[r]}</text>')
        for c, first, last, row, slot in placed:
            bx = x0 + 14 + first * COL_W
            bw = (last - first) * COL_W + BOX_W
            by = row_tops[row] + slot * (BOX_H + GAP)
            spof = c.uid in spofs
            fill = "#f8c8c8" if spof else "#fff1b8" if c.uid in flags else "#ffffff"
            stroke = "#b00020" if spof else "#b26a00" if c.uid in flags else "#24292f"
            positions[c.uid] = (bx + bw / 2, by + BOX_H / 2)
            note = ", ".join((["SPOF"] if spof else []) + flags.get(c.uid, []))
            parts.append(f'<g class="component{" spof" if spof else ""}" data-address="{html_text(c.address)}" '
                         f'data-columns="{html_text(" ".join(columns[first:last + 1]))}">'
                         f'<rect x="{bx}" y="{by}" width="{bw}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" '
                         f'stroke-width="{3 if spof else 1.5}"/>'
                         f'<text x="{bx + 8}" y="{by + 19}" font-size="13" font-weight="bold">{html_text(_clip(c.address, bw))}</text>'
                         f'<text x="{bx + 8}" y="{by + 35}" font-size="11" fill="#57606a">{html_text(_clip(c.res.type, bw))}</text>'
                         + (f'<text x="{bx + 8}" y="{by + 48}" font-size="11" fill="#b00020">{html_text(note)}</text>' if note else "")
                         + "</g>")
        parts.append("</g>")
        x0 += width + 20
        height = max(height, box_h + 20)
    edges = []
    for a, b, via in m.dependencies:
        if a in positions and b in positions:
            (ax, ay), (bx, by) = positions[a], positions[b]
            dash = ' stroke-dasharray="6 4"' if next(c for c in m.components if c.uid == b).role == "data" else ""
            edges.append(f'<line class="edge" x1="{ax:.0f}" y1="{ay + BOX_H / 2:.0f}" x2="{bx:.0f}" y2="{by - BOX_H / 2:.0f}" '
                         f'stroke="#0969da" stroke-width="1.6" marker-end="url(#arrow)"{dash}><title>{html_text(via)}</title></line>')
    for a, b, via in m.egress:
        if a in positions and b in positions:
            (ax, ay), (bx, by) = positions[a], positions[b]
            edges.append(f'<line class="egress" x1="{ax:.0f}" y1="{ay + BOX_H / 2:.0f}" x2="{bx:.0f}" y2="{by - BOX_H / 2:.0f}" '
                         f'stroke="#8c959f" stroke-width="1.4" stroke-dasharray="2 3" marker-end="url(#arrow-egress)">'
                         f'<title>internet egress of {html_text(via)}</title></line>')
    defs = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#0969da"/></marker>'
            '<marker id="arrow-egress" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="architecture" width="{x0}" height="{height}" '
            f'viewBox="0 0 {x0} {height}" font-family="sans-serif" role="img" aria-label="architecture of {html_text(workload_name(m))}">'
            + defs + "".join(parts) + "".join(edges) + "</svg>")


def _clip(text: str, width: float) -> str:
    limit = int(width / 7.2)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# -- HTML ------------------------------------------------------------------------------------

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#24292f;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}
h3{font-size:15px}table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d0d7de;padding:4px 8px;
font-size:13px;text-align:left;vertical-align:top}th{background:#f6f8fa}.v-unaffected{background:#d8f0d8}
.v-degraded{background:#fff1b8}.v-fails-over{background:#cfe3ff}.v-down{background:#f8c8c8}.miss{color:#b00020;
font-weight:bold}.met{color:#1a7f37;font-weight:bold}.diagram{overflow-x:auto}small{color:#57606a}
"""


def html_page(models: list[WorkloadModel], findings: list[Any] | None = None, title: str = "ha-lint resilience report") -> str:
    e = html_text
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>"
           f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>"]
    if not models:
        out.append("<p>No workload with an entry point, compute or data resource.</p>")
    for m in models:
        out.append(f'<section class="workload" data-workload="{e(m.workload.id)}"><h2>{e(workload_name(m))}</h2>')
        out.append(f"<p><b>DR strategy:</b> {e(m.posture.describe())}</p>")
        out.append('<h3>Architecture</h3><div class="diagram">' + svg(m, findings) + "</div>")
        out.append("<p><small>Boxes: components (entry points, compute, data, and the NAT gateways of the egress "
                   "path) in their Region and AZ columns; a box spanning columns spans those AZs; a resource that "
                   "lives in one AZ ha-lint cannot name sits in the column AZ unknown. Red: single point of "
                   "failure; amber: has findings. Arrows: traffic (solid), data (dashed) and internet egress "
                   "(dotted grey) dependencies.</small></p>")
        out.append('<h3>Failure scenarios</h3><table class="scenarios"><thead><tr><th>component</th><th>role</th>'
                   + "".join(f"<th>{e(s.label)}</th>" for s in m.scenarios) + "</tr></thead><tbody>")
        for c in by_tier(m):
            out.append(f"<tr><td>{e(c.address)}</td><td>{c.role}</td>")
            for s in m.scenarios:
                o = s.outcomes[c.uid]
                out.append(f'<td class="v-{o.verdict.replace(" ", "-")}" title="{e(o.why)}">{e(o.verdict)}</td>')
            out.append("</tr>")
        out.append("<tr><th colspan=\"2\">estimated RTO</th>" + "".join(f"<td>{e(span(*s.rto))}</td>" for s in m.scenarios) + "</tr>")
        out.append("<tr><th colspan=\"2\">estimated RPO</th>" + "".join(f"<td>{e(minutes(s.rpo))}</td>" for s in m.scenarios) + "</tr>")
        out.append("</tbody></table>")
        data = m.datastore_estimates()
        if data:
            out.append('<h3>Data stores</h3><table class="datastores"><tr><th>data store</th><th>AZ loss</th><th>Region loss</th></tr>')
            for row in data:
                out.append(f"<tr><td>{e(row['component'])}</td><td>{e(_estimate(row['az']))}</td><td>{e(_estimate(row['region']))}</td></tr>")
            out.append("</table>")
        out.append('<h3>Recovery objectives</h3><table class="targets"><tr><th>objective</th><th>target</th><th>estimate (worst scenario)</th><th>verdict</th></tr>')
        worst_rto = max(m.scenarios, key=lambda s: s.rto[0])
        worst_rpo = max(m.scenarios, key=lambda s: s.rpo)
        rows = [("RTO", minutes(m.targets.rto) if m.targets.rto is not None else "not declared", f"{span(*worst_rto.rto)} ({worst_rto.label})", "rto"),
                ("RPO", minutes(m.targets.rpo) if m.targets.rpo is not None else "not declared", f"{minutes(worst_rpo.rpo)} ({worst_rpo.label})", "rpo"),
                ("DR strategy", m.targets.strategy or "not declared", m.posture.strategy, "strategy")]
        missed = {x.objective for x in m.misses}
        for name, target, estimate, key in rows:
            declared = not target.startswith("not declared")
            verdict = ('<span class="miss">missed (DR307)</span>' if key in missed else
                       '<span class="met">met</span>' if declared else "")
            out.append(f"<tr><td>{name}</td><td>{e(target)}</td><td>{e(estimate)}</td><td>{verdict}</td></tr>")
        out.append("</table>")
        if m.spofs:
            out.append("<h3>Single points of failure</h3><ul>")
            for s in m.spofs:
                why = next((sc.outcomes[s.component.uid].why for sc in m.scenarios if sc.label == s.scenario), "")
                out.append(f'<li class="spof" data-address="{e(s.component.address)}"><b>{e(s.component.address)}</b> '
                           f"({e(s.rule or 'no rule')}): down on the {e(s.scenario)}"
                           + (f" <small>({e(why)})</small>" if why else "") + "</li>")
            out.append("</ul>")
        mine = findings_of(m, findings)
        out.append(f'<h3>Findings ({len(mine)})</h3>')
        if mine:
            out.append('<table class="findings"><thead><tr><th>severity</th><th>rule</th><th>file</th><th>resource</th>'
                       '<th>message</th></tr></thead><tbody>')
            for f in mine:
                out.append(f'<tr><td>{e(f.severity)}</td><td>{e(f.rule_id)} {e(f.rule_name)}</td>'
                           f'<td class="file">{e(where(f))}</td><td>{e(f.resource)}</td><td>{e(f.message)}</td></tr>')
            out.append("</tbody></table>")
        out.append("</section>")
    used = as_data(models)["assumptions"]
    if used:
        out.append('<h2>Assumptions</h2><table class="assumptions"><tr><th>assumption</th><th>RTO</th><th>RPO</th><th>source</th></tr>')
        for key, a in used.items():
            rto = a["rto_minutes"]
            shown = "unbounded" if rto[0] is None else span(rto[0], rto[1])
            out.append(f"<tr><td>{e(key)}: {e(a['what'])}{' (overridden)' if a['overridden'] else ''}</td><td>{e(shown)}</td>"
                       f"<td>{e('unbounded' if a['rpo_minutes'] is None else minutes(a['rpo_minutes']))}</td>"
                       f"<td>{e(a['source'])}<br><small>{e(a['note'])}</small></td></tr>")
        out.append("</table>")
    out.append("</body></html>\n")
    return "".join(out)


def markdown_section(models: list[WorkloadModel], findings: list[Any] | None = None,
                     list_findings: bool = False) -> str:
    """The architecture as a Mermaid block plus the scenario verdicts, for the markdown report
    (which lists the findings itself); with ``list_findings`` (``ha-lint resilience --format
    markdown``), each workload's single points of failure and findings, each with its file."""
    if not models:
        return ""
    out = ["### Architecture", "", "```mermaid", mermaid(models, findings).rstrip(), "```", ""]
    for m in models:
        out.append(f"**{markdown_text(workload_name(m))}**: " + markdown_text(f"{m.posture.label}; " + "; ".join(
            f"{s.label}: RTO {span(*s.rto)}, RPO {minutes(s.rpo)}" for s in m.scenarios)))
        out.append("")
        if not list_findings:
            continue
        if m.spofs:
            out += [f"- single point of failure {code_span(s.component.address)} ({markdown_text(s.rule or 'no rule')}): "
                    f"down on the {markdown_text(s.scenario)}" for s in m.spofs] + [""]
        mine = findings_of(m, findings)
        out += [f"Findings ({len(mine)}):", ""]
        out += [f"- **{markdown_text(f.rule_id)}** {markdown_text(f.severity)} {code_span(where(f))}: "
                + markdown_text(" ".join(f.message.split())) for f in mine]
        out.append("")
    return "\n".join(out) + "\n"
