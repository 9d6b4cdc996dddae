"""The traceability matrix as one self-contained HTML page (inline CSS, no script, no network).

For a clinical safety officer to read, print or attach to a review: the check result first,
then requirement → rules → evidence → hazards, hazard → controls → verification with the
risk before and after controls coloured by class, and the mechanisms.
"""

from __future__ import annotations

import html
from typing import Iterable

from .safety import Matrix

RISK_COLOURS = {1: "#2f9e44", 2: "#74b816", 3: "#f59f00", 4: "#e8590c", 5: "#c92a2a"}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#212529;max-width:1600px}
h1{font-size:1.4rem;margin:0 0 .3rem}
h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:2px solid #dee2e6;padding-bottom:.2rem}
.meta{color:#495057;margin-bottom:.8rem}
.status{border-left:6px solid var(--c);background:#f8f9fa;padding:.6rem .9rem;margin:.6rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;table-layout:fixed}
th,td{border:1px solid #dee2e6;padding:.35rem .45rem;text-align:left;vertical-align:top}
th{background:#e7f5ff}
tr:nth-child(even) td{background:#f8f9fa}
code{font-size:.78rem;background:#f1f3f5;padding:0 .2rem;border-radius:2px;overflow-wrap:anywhere}
.risk{display:inline-block;min-width:1.6rem;text-align:center;border-radius:3px;color:#fff;font-weight:600;padding:0 .3rem}
.kind{display:inline-block;border-radius:3px;padding:0 .3rem;font-size:.75rem;background:#d0ebff}
.kind.policy{background:#fff3bf}.kind.design{background:#e6fcf5}
td.id{font-weight:600;overflow-wrap:anywhere}
"""


def _list(items: Iterable[str], code: bool = True) -> str:
    e = html.escape
    parts = [f"<code>{e(i)}</code>" if code else e(i) for i in items]
    return "<br>".join(parts) or "—"


def _links(ids: Iterable[str]) -> str:
    """Links to rows of this page (requirements, hazards and mechanisms have their id as anchor)."""
    e = html.escape
    return "<br>".join(f'<a href="#{e(i)}">{e(i)}</a>' for i in ids) or "—"


def _risk(matrix: Matrix, severity: int, likelihood: int) -> str:
    level = matrix.scales.risk(severity, likelihood)
    name = html.escape(matrix.scales.name("classes", level))
    return (f'<span class="risk" style="background:{RISK_COLOURS[level]}" title="{name}">{level}</span> '
            f"S{severity}×L{likelihood}")


def render_html(matrix: Matrix, gaps: list[str]) -> str:
    e = html.escape
    status_colour = RISK_COLOURS[5] if gaps else RISK_COLOURS[1]
    status = (f"<b>{len(gaps)} gap(s)</b><ul>" + "".join(f"<li>{e(g)}</li>" for g in gaps) + "</ul>") if gaps else (
        f"<b>No gaps</b>: {len(matrix.requirements)} requirements, {len(matrix.hazards)} hazards and "
        f"{len(matrix.mechanisms)} mechanisms, every rule definition, advice code and policy parameter covered.")
    requirements = "\n".join(
        f'<tr id="{e(r.id)}"><td class="id">{e(r.id)}</td><td><span class="kind {e(r.kind)}">{e(r.kind)}</span> {e(r.source)}</td>'
        f"<td>{e(r.statement)}</td><td>{_list(r.rules)}</td><td>{_list((*r.parameters, *r.advice))}</td>"
        f"<td>{_list((*r.tests, *r.fixtures))}</td>"
        f"<td>{_links(r.hazards)}</td></tr>"
        for r in matrix.requirements)
    hazards = "\n".join(
        f'<tr id="{e(h.id)}"><td class="id">{e(h.id)}</td><td><b>{e(h.title)}</b><br>{e(h.effect)}</td>'
        f"<td>{_risk(matrix, h.severity, h.likelihood)}</td><td>{_risk(matrix, h.residual_severity, h.residual_likelihood)}</td>"
        f"<td>{_links(h.controls)}</td><td>{_list(h.verification)}</td></tr>"
        for h in matrix.hazards)
    mechanisms = "\n".join(
        f'<tr id="{e(m.id)}"><td class="id">{e(m.id)}</td><td><b>{e(m.name)}</b><br>{e(m.description)}</td>'
        f"<td>{_list(m.code)}</td><td>{_list(m.tests)}</td></tr>"
        for m in matrix.mechanisms)
    title = e(matrix.meta.get("title", "Traceability"))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{title}</h1>
<div class="meta">Rule set reviewed: <code>{e(matrix.meta.get('ruleset', '?'))}</code> · {e(matrix.meta.get('guideline', ''))}</div>
<div class="status" id="status" style="--c:{status_colour}">{status}</div>
<h2>Requirements → rules → verification → hazards</h2>
<table id="requirements">
<colgroup><col style="width:9%"><col style="width:8%"><col style="width:27%"><col style="width:16%"><col style="width:12%"><col style="width:22%"><col style="width:6%"></colgroup>
<thead><tr><th>id</th><th>source</th><th>requirement</th><th>rules</th><th>parameters, advice</th><th>tests, fixtures</th><th>hazards</th></tr></thead>
<tbody>
{requirements}
</tbody>
</table>
<h2>Hazards → controls → verification</h2>
<table id="hazards">
<colgroup><col style="width:6%"><col style="width:30%"><col style="width:8%"><col style="width:8%"><col style="width:18%"><col style="width:30%"></colgroup>
<thead><tr><th>id</th><th>hazard</th><th>before</th><th>after</th><th>controls</th><th>verification</th></tr></thead>
<tbody>
{hazards}
</tbody>
</table>
<h2>Mechanisms</h2>
<table id="mechanisms">
<colgroup><col style="width:10%"><col style="width:40%"><col style="width:22%"><col style="width:28%"></colgroup>
<thead><tr><th>id</th><th>mechanism</th><th>code</th><th>tests</th></tr></thead>
<tbody>
{mechanisms}
</tbody>
</table>
</body>
</html>
"""
