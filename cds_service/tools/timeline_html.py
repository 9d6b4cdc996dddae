"""The timeline as one self-contained HTML page: a plot and the table of changes.

The plot is drawn with matplotlib and inlined as SVG (text as paths), so the page opens
offline, can be attached to a ticket, and shows inside an EHR's browser with nothing to
load. matplotlib is imported only when a plot is drawn (`cds-service timeline --html`, an
explanation page), never by the hook path. The same `plot_svg` serves both.

The advice lane has one colour per advice code (`CODE_COLOURS`), labelled in the legend
with the catalogue's title in the page's language; month names on the axis come from
`MONTHS`, not from the system locale.
"""

from __future__ import annotations

import html
import io
import textwrap
import threading
from datetime import date, timedelta
from typing import Any

from cql_like_rules.advice import Advice
from cql_like_rules.catalogue import CATALOGUE, Text
from cql_like_rules.facts import Facts
from cql_like_rules.library import add_months
from cql_like_rules.parameters import Parameters
from cql_like_rules.timeline import index_dates

from ..cards.values import Placeholders, number, placeholders
from .timeline import State, Timeline, reasons_text, records_before

COLOURS = {"warning": "#d9480f", "info": "#1c7ed6", "critical": "#c92a2a", "none": "#adb5bd"}
# One colour per advice code: related advice in related hues (starts blue, stops green to red).
CODE_COLOURS = {
    "measure-igg": "#0b7285", "plan-igg-monitoring": "#1098ad",
    "start-substitution": "#1864ab", "start-meets-general-criteria": "#3b5bdb",
    "general-criteria-igg-under-6": "#5c940d", "no-start-without-infections": "#868e96",
    "stop-planned": "#2b8a3e", "stop-due-soon": "#e67700", "stop-overdue": "#c92a2a",
    "general-stop-review": "#862e9c", "child-individual-assessment": "#a61e4d",
    "order-meets-criteria": "#087f5b", "order-does-not-meet-criteria": "#d9480f",
    "paraprotein-type-unknown": "#5f3dc4",
}
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "da": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}
_PLOT_LOCK = threading.Lock()  # matplotlib's rc settings are process-wide: one plot at a time
WINDOW = "#e5dbff"
IG_ACTIVE, IG_PAUSED = "#2f9e44", "#adb5bd"

WORDS = {
    "title": Text("Immunoglobulin advice timeline", "Tidslinje for immunglobulin-råd"),
    "patient": Text("Patient", "Patient"),
    "range": Text("Range", "Periode"),
    "now": Text("Advice on {day}", "Råd {day}"),
    "last": Text("Last change in the range ({day})", "Seneste ændring i perioden ({day})"),
    "none": Text("No advice", "Intet råd"),
    "igg": Text("IgG (g/L)", "IgG (g/L)"),
    "threshold": Text("{v:g} g/L: start threshold", "{v:g} g/L: startgrænse"),
    "general": Text("{v:g} g/L: general criteria", "{v:g} g/L: generelle kriterier"),
    "window": Text("high-risk window ({window})", "højrisikovindue ({window})"),
    "stop": Text("stop date {day}", "seponeringsdato {day}"),
    "substitution": Text("Ig", "Ig"),
    "advice": Text("Advice", "Råd"),
    "today": Text("today", "i dag"),
    # a record with a card of its own dated before the range, named at its left edge (`records_before`)
    "before": Text("← earlier: {name}, {day}", "← tidligere: {name}, {day}"),
    "during": Text("IgG during Ig substitution", "IgG under Ig-substitution"),
    "mprot": Text("M-protein", "M-komponent"),
    "infection": Text("bacterial infection", "bakteriel infektion"),
    "infection-severe": Text("severe bacterial infection", "svær bakteriel infektion"),
    "on-hold": Text("on hold", "i bero"),
    "end-unknown": Text("end unknown", "slutdato ukendt"),
    "date": Text("Date", "Dato"),
    "code": Text("Advice code", "Rådkode"),
    "summary": Text("Summary", "Resumé"),
    "why": Text("Why this day", "Hvorfor denne dag"),
    "detail": Text("Card detail", "Kortets detaljer"),
    "changes": Text("Changes ({n}; {k} days evaluated)", "Ændringer ({n}; {k} dage vurderet)"),
    "no-advice": Text("no advice", "intet råd"),
    "warning-outline": Text("dark outline: a warning", "mørk kant: en advarsel"),
    "legend": Text(
        "Shaded: the high-risk window ({window}) from T0 to the stop date. Open circles: IgG taken during "
        "substitution (lines join only results taken with the same substitution status). Triangles on "
        "the axis: verified bacterial infections. Green bars: immunoglobulin orders (grey: on hold), "
        "ticks: recorded doses. Bottom lane: the advice in force, one colour per advice code (named "
        "below the plot), a dark outline on warnings; ▼ marks each change.",
        "Skraveret: højrisikovinduet ({window}) fra T0 til seponeringsdatoen. Åbne cirkler: IgG målt under "
        "substitution (linjer forbinder kun svar taget med samme substitutionsstatus). Trekanter på "
        "aksen: verificerede bakterielle infektioner. Grønne bjælker: immunglobulinordinationer (grå: i "
        "bero), streger: givne doser. Nederste bånd: det gældende råd, én farve pr. rådkode (navngivet "
        "under grafen), mørk kant på advarsler; ▼ markerer hver ændring.",
    ),
}


PARAMETER_WORDS = ("window", "legend")  # labels naming a period of the rule set: filled from its parameters


def words(lang: str, params: Parameters) -> dict[str, str]:
    """The page's labels in one language, periods as the rule set (and a site's policy) has them."""
    p = parameter_text(params, lang)
    return {key: text(lang).format_map(p) if key in PARAMETER_WORDS else text(lang) for key, text in WORDS.items()}


def legend(params: Parameters, lang: str) -> str:
    """What the plot's marks mean (below the plot here and on the explanation page)."""
    return WORDS["legend"](lang).format_map(parameter_text(params, lang))

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#212529;max-width:1200px}
h1{font-size:1.3rem;margin:0 0 .3rem}
.meta{color:#495057;margin-bottom:.8rem}
.now{border-left:6px solid var(--c);background:#f8f9fa;padding:.6rem .9rem;margin:.6rem 0 1rem;font-size:1.05rem}
.plot svg{width:100%;height:auto}
.legend{color:#495057;font-size:.85rem;margin:.2rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #dee2e6;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f5}
.badge{display:inline-block;border-radius:3px;padding:0 .35rem;color:#fff;font-size:.8rem;white-space:nowrap}
td.date{white-space:nowrap;font-variant-numeric:tabular-nums}
details pre{white-space:pre-wrap;font-size:.8rem;background:#f8f9fa;padding:.5rem}
"""


def _indicator(state: State) -> str:
    indicators = [c["indicator"] for c in state.cards]
    for level in ("critical", "warning", "info"):
        if level in indicators:
            return level
    return "none"


def state_at(timeline: Timeline, day: date) -> State | None:
    """The change in force on `day` (the last change on or before it)."""
    found = None
    for state in timeline.changes:
        if state.day <= day:
            found = state
    return found


def parameter_text(params: Parameters, lang: str) -> Placeholders:
    """The parameters as the card layer writes them ("4 g/L", "6 months"), for titles and guideline text."""
    return placeholders(Advice(code="", variant="", indicator="info", rule="", section=""), params, lang)


def code_colour(code: str, indicator: str = "info") -> str:
    return CODE_COLOURS.get(code, COLOURS.get(indicator, COLOURS["info"]))


def code_title(code: str, params: Parameters, lang: str) -> str:
    kind = CATALOGUE.get(code)
    return kind.title(lang).format_map(parameter_text(params, lang)) if kind is not None else code


def tick_labels(days: list[date], lang: str) -> list[str]:
    """Axis labels in `lang`: the month on the 1st, day and month otherwise; the year when it changes."""
    if days and all(d.month == 1 and d.day == 1 for d in days):
        return [str(d.year) for d in days]
    out = []
    for i, d in enumerate(days):
        month = MONTHS[lang][d.month - 1]
        text = month if d.day == 1 else (f"{d.day}. {month}" if lang == "da" else f"{month} {d.day}")
        if i == 0 or d.year != days[i - 1].year:
            text += f"\n{d.year}"
        out.append(text)
    return out


def igg_runs(timeline: Timeline) -> list[tuple[bool, list[Any]]]:
    """IgG results in date order, grouped into runs of the same substitution status (each run is one line)."""
    runs: list[tuple[bool, list[Any]]] = []
    for result in sorted(timeline.facts.igg, key=lambda r: r.date):
        on = result.source in timeline.on_substitution
        if runs and runs[-1][0] == on:
            runs[-1][1].append(result)
        else:
            runs.append((on, [result]))
    return runs


NARROW_FIGURE = (5.2, 8.4)  # inches: drawn for a side panel about 360 px wide, its text near the size it was set in
WIDE_FIGURE = (11, 6.2)
NARROW_LEGEND_CHARS = 48  # a narrow plot's legend line: no wider than the plot


def plot_svg(timeline: Timeline, lang: str = "en", today: date | None = None, narrow: bool = False) -> str:
    """The timeline plot as an inline <svg> element (fonts as paths: no network, no fonts); `narrow`: drawn for a
    screen about 360 px wide (an order screen's side panel), where the wide plot shrunk to fit had text of 3-4 px."""
    with _PLOT_LOCK:
        return _plot_svg(timeline, lang, today, narrow)


def _plot_svg(timeline: Timeline, lang: str, today: date | None, narrow: bool = False) -> str:
    import matplotlib
    import matplotlib.dates as mdates
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import Formatter

    params = timeline.params
    w = words(lang, params)
    facts = timeline.facts
    left, right = timeline.start - timedelta(days=7), timeline.end + timedelta(days=7)

    class DateLabels(Formatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return tick_labels([mdates.num2date(x).date()], lang)[0]

        def format_ticks(self, values: list[float]) -> list[str]:
            return tick_labels([mdates.num2date(v).date() for v in values], lang)

    small, text_size = (8, 9) if narrow else (7, 8)  # point sizes of the lane labels and of the other text
    with matplotlib.rc_context({"svg.hashsalt": "igsub-timeline", "svg.fonttype": "path", "font.size": 10 if narrow else 9,
                                "axes.spines.top": False, "axes.spines.right": False}):
        fig = Figure(figsize=NARROW_FIGURE if narrow else WIDE_FIGURE)
        ax, ax_ig, ax_adv = fig.subplots(3, 1, sharex=True,
                                         gridspec_kw={"height_ratios": [4.2, 0.7, 0.9], "hspace": 0.08})
        # The high-risk windows and index events, across all lanes.
        for i, (t0, _source) in enumerate(index_dates(facts)):
            stop = add_months(t0, params.window_months)
            if stop < left or t0 > right:
                continue
            for a in (ax, ax_ig, ax_adv):
                a.axvspan(t0, stop, color=WINDOW, alpha=0.7, lw=0, label=w["window"] if a is ax and i == 0 else None)
                a.axvline(t0, color="#5f3dc4", lw=1.2, ls="--")
            ax.annotate(_index_label(facts, t0), (t0, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                        textcoords="offset points", va="top", fontsize=text_size, color="#5f3dc4")
            if stop <= right:  # a second row, inside the window: never on top of the index label
                ax.annotate(w["stop"].format(day=stop), (stop, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(-3, -15), textcoords="offset points", va="top", ha="right", fontsize=text_size,
                            color="#5f3dc4")
        # Records with a card of their own older than the range: at its left edge, with their date, not stretching it.
        # The name is the EHR's text: drawn as written, never read as matplotlib's math ("$\frac$" failed the plot).
        for i, (_day, written, name) in enumerate(records_before(facts, timeline.start)):
            ax.annotate(w["before"].format(name=name or "?", day=written), (0, 0.62), xycoords="axes fraction",
                        xytext=(3, -12 * i), textcoords="offset points", va="top", fontsize=text_size, color="#495057",
                        parse_math=False)
        # IgG results and thresholds; a line joins only results of the same substitution status.
        igg = sorted(facts.igg, key=lambda r: r.date)
        top = max([8.0] + [r.value_g_l * 1.18 for r in igg])
        ax.axhline(params.igg_start_threshold_g_l, color=COLOURS["critical"], ls="--", lw=1.2,
                   label=w["threshold"].format(v=params.igg_start_threshold_g_l))
        ax.axhline(params.igg_general_threshold_g_l, color="#f08c00", ls=":", lw=1.4,
                   label=w["general"].format(v=params.igg_general_threshold_g_l))
        for on_ig, run in igg_runs(timeline):
            if len(run) > 1:
                ax.plot([r.date for r in run], [r.value_g_l for r in run], color="#343a40", lw=0.8, alpha=0.6,
                        ls=":" if on_ig else "-")
            for r in run:
                ax.plot(r.date, r.value_g_l, "o", ms=7, mfc="white" if on_ig else "#343a40", mec="#343a40", mew=1.5)
                ax.annotate(number(r.value_g_l, lang), (r.date, r.value_g_l), xytext=(0, 7),
                            textcoords="offset points", ha="center", fontsize=text_size, fontweight="bold")
        if any(r.source in timeline.on_substitution for r in igg):
            ax.plot([], [], "o", mfc="white", mec="#343a40", label=w["during"])
        for severe in (True, False):
            onsets = [i.onset for i in facts.infections if i.severe == severe]
            if onsets:
                ax.plot(onsets, [top * 0.03] * len(onsets), "^", ms=9, color=COLOURS["critical"] if severe else "#f08c00",
                        mec="white", label=w["infection-severe" if severe else "infection"], clip_on=False)
        if facts.m_protein:
            ax.plot([m.date for m in facts.m_protein], [m.value_g_l for m in facts.m_protein], "x", color="#868e96",
                    label=w["mprot"])
        ax.set_ylim(0, top)
        ax.set_ylabel(w["igg"])
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncol=2 if narrow else 5, fontsize=text_size, frameon=False,
                  borderaxespad=0, handlelength=2.5)
        # Immunoglobulin orders, and recorded doses as ticks.
        for course in facts.ig_courses:
            if course.intended:  # a medication record of a plan: no substitution given to draw
                continue
            end = course.end or (timeline.end if course.status in ("active", "on-hold") else course.start + timedelta(days=7))
            colour = IG_PAUSED if course.status == "on-hold" else IG_ACTIVE
            ax_ig.barh(0, (end - course.start).days + 1, left=course.start, height=0.6, color=colour,
                       hatch="//" if course.status == "on-hold" else None, edgecolor="white")
            note = w["on-hold"] if course.status == "on-hold" else (
                w["end-unknown"] if course.status in ("stopped", "completed") and course.end is None else "")
            if note:
                ax_ig.text(course.start, 0, f" {note}", va="center", fontsize=small, color="#212529")
        if facts.ig_administrations:
            ax_ig.plot([d.date for d in facts.ig_administrations], [0] * len(facts.ig_administrations), "|",
                       ms=12, mew=2, color=IG_ACTIVE)
        ax_ig.set_ylim(-0.6, 0.6)
        ax_ig.set_yticks([0], [w["substitution"]])
        # The advice in force: one colour per advice code (several codes share the lane's height),
        # a dark outline on warnings, a marker on each change, codes written where they fit.
        lane_pt = ax_adv.get_position().width * fig.get_figwidth() * 72
        span_days = (right - left).days
        shown: dict[str, str] = {}
        for state, nxt in zip(timeline.changes, timeline.changes[1:] + [None]):
            until = nxt.day if nxt else timeline.end + timedelta(days=1)
            width = (until - state.day).days
            if not state.cards:
                ax_adv.barh(0, width, left=state.day, height=0.7, color=COLOURS["none"], alpha=0.35, edgecolor="white")
            height = 0.7 / max(1, len(state.cards))
            for k, card in enumerate(state.cards):
                code = card["source"]["topic"]["code"]
                shown.setdefault(code, card["indicator"])
                warning = card["indicator"] in ("warning", "critical")
                ax_adv.barh(0.35 - height * (k + 0.5), width, left=state.day, height=height,
                            color=code_colour(code, card["indicator"]), alpha=0.9,
                            edgecolor="#212529" if warning else "white", lw=1.2 if warning else 0.5)
            marker = code_colour(state.codes[0], state.cards[0]["indicator"]) if state.cards else COLOURS["none"]
            ax_adv.plot(state.day, 0.55, "v", color=marker, ms=7, clip_on=False)
            label_pt = (4.4 * small / 7 if narrow else 4.4) * len(", ".join(state.codes)) + 6
            if state.cards and width / span_days * lane_pt >= label_pt:
                ax_adv.text(state.day + (until - state.day) / 2, 0, ", ".join(state.codes), ha="center",
                            va="center", fontsize=small, color="white", fontweight="bold", clip_on=True)
        ax_adv.set_ylim(-0.6, 0.75)
        ax_adv.set_yticks([0], [w["advice"]])
        if today is not None and left <= today <= right:
            for a in (ax, ax_ig, ax_adv):
                a.axvline(today, color="#2b8a3e", lw=2)
            ax.annotate(w["today"], (today, 0), xycoords=("data", "axes fraction"), xytext=(3, 3),
                        textcoords="offset points", color="#2b8a3e", fontweight="bold")
        ax.set_xlim(left, right)
        ax_adv.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3 if narrow else 6, maxticks=6 if narrow else 14))
        ax_adv.xaxis.set_major_formatter(DateLabels())
        for a in (ax, ax_ig, ax_adv):
            a.set_axisbelow(True)
            a.grid(axis="x", color="#e9ecef", lw=0.6)
        def fitted(label: str) -> str:  # a narrow plot's legend wraps, so the plot keeps the panel's width
            return textwrap.fill(label, NARROW_LEGEND_CHARS) if narrow else label

        handles: list[Artist] = [Patch(facecolor=code_colour(code, indicator), edgecolor="#212529" if indicator != "info" else "white",
                         label=fitted(f"{code}: {code_title(code, params, lang)}")) for code, indicator in shown.items()]
        if not shown or any(not s.cards for s in timeline.changes):
            handles.append(Patch(facecolor=COLOURS["none"], alpha=0.35, label=w["no-advice"]))
        if any(indicator != "info" for indicator in shown.values()):
            handles.append(Line2D([], [], color="#212529", lw=1.2, label=w["warning-outline"]))
        ax_adv.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.75), ncol=1 if narrow else 2, fontsize=text_size,
                      frameon=False, borderaxespad=0, handlelength=1.6)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _index_label(facts: Facts, t0: date) -> str:
    for c in facts.car_t:
        if c.date == t0:
            return f"CAR-T {t0}"
    drugs = sorted({b.drug for b in facts.bsab if b.start == t0})
    return f"bsAb {', '.join(drugs)} {t0}".replace("  ", " ")


def render_html(timeline: Timeline, lang: str = "en", today: date | None = None, now: State | None = None) -> str:
    """The whole page: where the patient stands now, the plot, and the table of changes.

    `now` is the advice evaluated on `today` (exact day counts); without it the page shows
    the last change in force, which is the same advice with the counts of its first day.
    """
    w = words(lang, timeline.params)
    e = html.escape
    in_range = today is not None and timeline.start <= today <= timeline.end
    if in_range and today is not None:
        focus = now if now is not None and now.day == today else state_at(timeline, today)
    else:
        focus = timeline.changes[-1] if timeline.changes else None
    heading = w["now"].format(day=today) if in_range else w["last"].format(day=focus.day if focus else timeline.end)
    if focus is not None and focus.cards:
        now_text = "<br>".join(f"<b>{e(c['source']['topic']['code'])}</b>: {e(c['summary'])}" for c in focus.cards)
        colour = COLOURS[_indicator(focus)]
    else:
        now_text, colour = e(w["none"]), COLOURS["none"]
    rows = []
    for state in timeline.changes:
        codes = " ".join(f'<span class="badge" style="background:{code_colour(c["source"]["topic"]["code"], c["indicator"])}">'
                         f'{e(c["source"]["topic"]["code"])}</span>' for c in state.cards)
        summaries = "<br>".join(e(c["summary"]) for c in state.cards) or e(w["none"])
        details = "".join(
            f"<details><summary>{e(w['detail'])}</summary><pre>{e(c.get('detail', ''))}</pre></details>" for c in state.cards)
        rows.append(f'<tr><td class="date">{state.day}</td><td>{codes or "–"}</td><td>{summaries}{details}</td>'
                    f"<td>{e(reasons_text(timeline, state.day, lang))}</td></tr>")
    svg = plot_svg(timeline, lang, today)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(w['title'])} — Patient/{e(timeline.patient_id)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{e(w['title'])}</h1>
<div class="meta">{e(w['patient'])}/{e(timeline.patient_id)} · {e(w['range'])} {timeline.start} – {timeline.end} · {e(timeline.label)}</div>
<div class="now" style="--c:{colour}"><div><b>{e(heading)}</b></div>{now_text}</div>
<div class="plot">{svg}</div>
<div class="legend">{e(w['legend'])}</div>
<h2>{e(w['changes'].format(n=len(timeline.changes), k=timeline.evaluated))}</h2>
<table id="changes">
<thead><tr><th>{e(w['date'])}</th><th>{e(w['code'])}</th><th>{e(w['summary'])}</th><th>{e(w['why'])}</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
