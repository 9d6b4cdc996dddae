"""Advice to CDS Hooks cards: wording, evidence, caveats, suggestions, trace.

Every card says what to do in its summary (with the numbers), and in its detail which rule
fired, every fact it used with date and resource reference, the guideline section, the
caveats, the data problems met on the way, the rule trace and the rule-set version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from cql_like_rules import Advice, Evaluation
from cql_like_rules.facts import DataNote
from cql_like_rules.valuesets import Terminology

from . import markdown as md
from . import suggestions as build
from .ids import new_uuid
from .language import (
    CAVEAT, CODE_DISPLAY, CODE_DISPLAY_DA, EXPLANATION, FAILING, KIND, LABELS, OVERRIDE_REASONS, SOURCE_LABEL, SOURCE_URL, SUMMARY,
    days, format_values,
)

ADVICE_SYSTEM = "urn:igsub-cds:advice-code"
OVERRIDE_SYSTEM = "urn:igsub-cds:override-reason"
RULESET_EXTENSION = "dk.igsub-cds.ruleset"
SUMMARY_LIMIT = 140
TRACE_HIDDEN = {"Advice"}


@dataclass(frozen=True)
class CardContext:
    """What the card layer needs besides the advice: language, patient, raw resources."""

    lang: str
    patient_id: str
    ruleset: str
    terminology: Terminology
    resources: Mapping[str, Mapping[str, Any]]
    notes: tuple[DataNote, ...]


def _summary_key(advice: Advice) -> str:
    if advice.code == "order-meets-criteria":
        return f"order-meets-criteria:{advice.values['situation']}"
    if advice.code == "plan-igg-monitoring":
        if advice.values.get("infusion_date_unknown"):
            return "plan-igg-monitoring:car-t-product"
        return "plan-igg-monitoring:" + ("continues" if advice.values.get("continues") else "new")
    if advice.code == "measure-igg":
        return f"measure-igg:{advice.values.get('reason', 'stale')}"
    if advice.code == "general-stop-review":
        return "general-stop-review:" + ("due" if advice.indicator == "warning" else "info")
    return advice.code


def summary(advice: Advice, lang: str, formatted: Mapping[str, Any] | None = None) -> str:
    """`formatted`: the advice's values through `format_values`, when the caller has them already."""
    formatted = format_values(advice.values, lang) if formatted is None else formatted
    v = dict(formatted)
    v["kind"] = KIND[lang].get(advice.values.get("t0_kind", ""), "")
    if "igg_date" in v:
        stale = advice.values.get("igg_stale")
        v["igg_when"] = f"{v['igg_date']}, {advice.values['igg_age_days']} d" if stale else v["igg_date"]
        v["igg"] = f"{v['igg']} g/L"
    if advice.values.get("days_to_stop") is not None:
        v["days_left"] = days(advice.values["days_to_stop"], lang, left=True)
        v["days_overdue_text"] = days(-advice.values["days_to_stop"], lang)
    v["last"] = f"; {'last' if lang == 'en' else 'seneste'} {v['igg']} {v['igg_date']}" if "igg_date" in v else ""
    v["drug"] = (advice.values.get("order_drug") or "").capitalize()[:30]  # a local display text can be long
    v["baseline"] = "" if "igg_date" in v else FAILING[lang]["baseline"].format(**v)
    v["failing_text"] = "; ".join(FAILING[lang][f].format(**{**v, "igg": formatted.get("igg")})
                                  for f in advice.values.get("failing", ()))
    text = SUMMARY[lang][_summary_key(advice)].format(**v)
    return text if len(text) < SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 2] + "…"


def detail(advice: Advice, evaluation: Evaluation, ctx: CardContext, formatted: Mapping[str, Any] | None = None) -> str:
    lang = ctx.lang
    L = LABELS[lang]
    v = format_values(advice.values, lang) if formatted is None else formatted
    lines = [
        f"**{L['rule']}:** {(CODE_DISPLAY_DA if lang == 'da' else CODE_DISPLAY)[advice.code]} (`{advice.code}`) — Medicinrådet 2025, {advice.section}.",
        "",
        EXPLANATION[lang][advice.code].format(**v),
        "",
        f"**{L['facts']}**",
    ]
    kind = KIND[lang].get(advice.values.get("t0_kind", ""), "")
    product = f" {md.plain(advice.values['t0_product'])}" if advice.values.get("t0_product") else ""
    lines.append(f"- {L['index']}: {kind}{product} {v['t0']} — `{md.code(advice.values['t0_source'])}`")
    lines.append(f"- {L['window']}: {L['window_text'].format(**v)}")
    if advice.code == "child-individual-assessment" and advice.values.get("age_at_t0") is not None:
        lines.append(f"- {L['age']}: {advice.values['age_at_t0']}")
    if "igg_date" in v:
        reported = f" ({L['reported']} {advice.values['igg_original']})" if advice.values.get("igg_original") else ""
        lines.append(f"- {L['igg']}: {v['igg']} g/L, {v['igg_date']}{reported} — `{md.code(advice.values['igg_source'])}`")
    used = set(advice.evidence)
    for ref in advice.evidence:
        if ref in (advice.values.get("t0_source"), advice.values.get("igg_source"), advice.values.get("m_protein_source")):
            continue
        lines.append(f"- {_evidence_label(ref, lang, advice)} — `{md.code(ref)}`")
    failing = advice.values.get("failing", ())
    if failing:
        fv = {**v, "kind": kind}
        lines += ["", f"**{L['failing']}**"] + [f"- {FAILING[lang][f].format(**fv)}" for f in failing]
    caveats = [CAVEAT[lang][c].format(**v) for c in advice.caveats]
    if caveats:
        lines += ["", f"**{L['caveats']}**"] + [f"- {c}" for c in caveats]
    problems = [n for n in ctx.notes if n.source not in used]
    if problems:
        lines += ["", f"**{L['data']}**"] + [f"- `{md.code(n.source)}`: {md.plain(n.message, 400)}" for n in problems]
    lines += ["", L["reminder"], "", f"**{L['trace']}**"]
    for step in evaluation.trace:
        if step.name in TRACE_HIDDEN:
            continue
        refs = f" ({', '.join(f'`{md.code(s)}`' for s in step.sources[:6])}{', …' if len(step.sources) > 6 else ''})" if step.sources else ""
        lines.append(f"- `{step.name}` = {md.plain(step.value, 600)}{refs}")
    lines += ["", f"{L['ruleset']}: `{ctx.ruleset}`"]
    return "\n".join(lines)


def _evidence_label(ref: str, lang: str, advice: Advice | None = None) -> str:
    kind = ref.split("/", 1)[0]
    L = LABELS[lang]
    if advice is not None and ref == advice.values.get("order_source"):
        return L["draft"]
    return {"Condition": L["infections"], "MedicationRequest": L["substitution"]}.get(kind, kind)


def _suggestion(label: str, actions: list[dict], recommended: bool | None = None) -> dict:
    out: dict[str, Any] = {"label": label, "uuid": new_uuid(), "actions": actions}
    if recommended is not None:
        out["isRecommended"] = recommended
    return out


def suggestions_for(advice: Advice, ctx: CardContext, formatted: Mapping[str, Any] | None = None) -> list[dict]:
    L = LABELS[ctx.lang]
    v = format_values(advice.values, ctx.lang) if formatted is None else formatted
    today, stop = advice.values["today"], advice.values.get("stop_date")
    out = []
    for kind in advice.suggestions:
        if kind == "order-igg":
            resource = build.igg_order(ctx.terminology, ctx.patient_id, SUMMARY_REASON[ctx.lang])
            out.append(_suggestion(L["order-igg"], [{"type": "create", "description": L["igg-action"], "resource": resource}], True))
        elif kind in ("order-ig-until-stop", "order-ig"):
            end = stop if kind == "order-ig-until-stop" else None
            dose = L["dose"].format(**v) if end else L["dose-general"]
            for route in ("iv", "sc"):
                resource = build.ig_order(ctx.terminology, ctx.patient_id, route, today, end, dose)
                out.append(_suggestion(L[f"{kind}:{route}"].format(**v), [{"type": "create", "description": L["ig-action"], "resource": resource}]))
        elif kind in ("hold-ig", "set-ig-end", "set-order-end"):
            actions = []
            for ref in advice.targets:
                raw = ctx.resources.get(ref)
                if raw is None:
                    continue
                if kind == "hold-ig":
                    actions.append({"type": "update", "description": L["hold-action"].format(ref=ref), "resource": build.on_hold(raw)})
                else:
                    actions.append({"type": "update", "description": L["end-action"].format(ref=ref, **v), "resource": build.ending_on(raw, stop)})
            if actions:
                out.append(_suggestion(L[kind].format(**v), actions, True))
    return out


SUMMARY_REASON = {
    "en": "IgG needed to decide on immunoglobulin substitution after CAR-T/bispecific antibody (Medicinrådet 2025)",
    "da": "IgG til beslutning om immunglobulinsubstitution efter CAR-T/bispecifikt antistof (Medicinrådet 2025)",
}


def card(advice: Advice, evaluation: Evaluation, ctx: CardContext) -> dict:
    """One CDS Hooks card for one advice (no empty fields, as the spec requires)."""
    formatted = format_values(advice.values, ctx.lang)
    out: dict[str, Any] = {
        "uuid": new_uuid(),
        "summary": summary(advice, ctx.lang, formatted),
        "detail": detail(advice, evaluation, ctx, formatted),
        "indicator": advice.indicator,
        "source": {
            "label": SOURCE_LABEL[ctx.lang],
            "url": SOURCE_URL,
            "topic": {"system": ADVICE_SYSTEM, "code": advice.code, "display": CODE_DISPLAY[advice.code]},
        },
        "extension": {RULESET_EXTENSION: ctx.ruleset},
    }
    found = suggestions_for(advice, ctx, formatted)
    if found:
        out["suggestions"] = found
        out["selectionBehavior"] = "at-most-one"
    if advice.override_reasons:
        out["overrideReasons"] = [
            {"system": OVERRIDE_SYSTEM, "code": code, "display": OVERRIDE_REASONS[ctx.lang][code]} for code in advice.override_reasons
        ]
    return out


def cards(evaluation: Evaluation, ctx: CardContext) -> list[dict]:
    return [card(a, evaluation, ctx) for a in evaluation.advice]
