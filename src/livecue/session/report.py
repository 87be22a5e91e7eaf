"""The post-call report, as Markdown and as one self-contained HTML page.

Written for a sales coach reviewing a call: the numbers that matter first
(talk share, monologues, questions, how fast the prospect answered), then
each cue with what triggered it, what it suggested, what the rep did next and
how the rep rated it, then the transcript with the cues in place.  The HTML
has its CSS and SVG inline and loads nothing, so it works from a file:// URL
and can be mailed as one file.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from .. import __version__
from ..audio_facts import CALL_SIDES
from .summary import NAMES, CallSummary, CueEntry, TranscriptLine, clock, median
from .timeline import COLOURS, LIGHT, mark_colour, timeline_svg


def _when(started_at: str) -> str:
    try:
        return datetime.fromisoformat(started_at).strftime("%a %d %b %Y, %H:%M")
    except ValueError:
        return started_at


def _secs(s: float) -> str:
    return f"{s:.1f} s" if s < 60 else clock(s)


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _title(summary: CallSummary) -> str:
    return (summary.source.rsplit("/", 1)[-1] if summary.source else "") or summary.path.stem


def _meta(summary: CallSummary) -> list[str]:
    parts = []
    if summary.started_at:
        parts.append(_when(summary.started_at))
    if summary.mode:
        parts.append(summary.mode)
    parts.append(f"{clock(summary.duration)} call")
    if summary.model:
        parts.append(f"model {summary.model}")
    return parts


def _latency_line(summary: CallSummary) -> str | None:
    after_q = [r.latency_s for r in summary.question_replies]
    every = [r.latency_s for r in summary.replies]
    if not every:
        return None
    parts = []
    if after_q:
        parts.append(f"after rep questions {median(after_q):.1f} s median (n={len(after_q)}), "
                     f"longest {max(after_q):.1f} s")
    if len(after_q) < len(every):
        parts.append(f"after any rep turn {median(every):.1f} s median (n={len(every)}), longest {max(every):.1f} s")
    cut_in = sum(1 for r in every if r < 0)
    if cut_in:
        parts.append(f"cut in {cut_in}x")
    return "; ".join(parts)


def highlights(summary: CallSummary) -> list[str]:
    """Plain observations worth a coach's attention, each backed by a figure above."""
    rep, prospect = summary.sides["rep"], summary.sides["prospect"]
    out = []
    if summary.talk_s > 0:
        if rep.share > summary.rep_share_high:
            out.append(f"The rep did most of the talking: {_pct(rep.share)} of talk time "
                       f"(called out above {_pct(summary.rep_share_high)}).")
        else:
            out.append(f"Talk split: rep {_pct(rep.share)}, prospect {_pct(prospect.share)}.")
    for side in CALL_SIDES:
        turn = summary.sides[side].longest_turn
        if turn is not None and turn.duration >= summary.monologue_warn_s:
            out.append(f"{NAMES[side]} monologue of {_secs(turn.duration)} at {clock(turn.start)} "
                       f"(the rules warn at {summary.monologue_warn_s:.0f} s).")
    if rep.questions == 0 and summary.duration >= 30:
        out.append("The rep asked no questions.")
    elif rep.questions:
        out.append(f"The rep asked {rep.questions} question{'s' if rep.questions != 1 else ''}; "
                   f"the prospect asked {prospect.questions}.")
    replies = summary.question_replies
    if replies:
        slow = max(replies, key=lambda r: r.latency_s)
        if slow.latency_s >= 2.0:
            out.append(f"The prospect's slowest answer to a question took {slow.latency_s:.1f} s "
                       f"(after {clock(slow.t)}).")
    cut_in = [r for r in summary.replies if r.latency_s < 0]
    if cut_in:
        out.append(f"The prospect cut in before the rep finished {len(cut_in)} time{'s' if len(cut_in) != 1 else ''}.")
    if summary.cues:
        marks = summary.marks
        rated = ", ".join(f"{n} {m}" for m, n in sorted(marks.items())) or "none rated"
        out.append(f"{len(summary.cues)} cue{'s' if len(summary.cues) != 1 else ''} fired ({rated}).")
        if marks.get("wrong"):
            out.append("Cues marked wrong are worth a look for rule tuning "
                       "(`livecue tune --feedback` reads this log).")
    else:
        out.append("No cues fired.")
    return out


def _rows(summary: CallSummary) -> list[tuple[str, str, str]]:
    def side(fn):
        return tuple(fn(summary.sides[s]) for s in CALL_SIDES)

    def longest(st):
        t = st.longest_turn
        return f"{_secs(t.duration)} at {clock(t.start)}" if t else "–"

    return [
        ("Talk time", *side(lambda st: f"{clock(st.talk_s)} ({_pct(st.share)})")),
        ("Turns", *side(lambda st: str(st.turns))),
        ("Longest monologue", *side(longest)),
        ("Questions asked", *side(lambda st: str(st.questions))),
        ("Words", *side(lambda st: str(st.words))),
        ("Backchannels (mm-hm, right)", "–", str(summary.backchannels)),
    ]


def _cue_fired(entry: CueEntry) -> str:
    cue = entry.cue
    if cue.anchor is None:
        return ""
    lag = cue.t - cue.anchor
    return f"fired {lag:.1f} s after the words that triggered it" if lag >= 0 else ""


# --- Markdown ------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    """Log text in Markdown: raw HTML shown as text (Markdown renders HTML), one line, no table breaks."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _quote(u: TranscriptLine, limit: int = 240) -> str:
    text = u.text if len(u.text) <= limit else u.text[: limit - 1].rstrip() + "…"
    return f"“{text}”"


def _md_quote(u: TranscriptLine) -> str:
    return _md_escape(_quote(u))


def to_markdown(summary: CallSummary) -> str:
    lines = [f"# Call report: {_md_escape(_title(summary))}", "", _md_escape(" · ".join(_meta(summary))), ""]
    for notice in summary.notices:
        lines.append(f"> **Note:** {_md_escape(notice)}")
    if summary.notices:
        lines.append("")
    lines += ["## Highlights", ""] + [f"- {_md_escape(h)}" for h in highlights(summary)] + [""]
    lines += ["## Talk", "", "| | Rep | Prospect |", "|---|---:|---:|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in _rows(summary)]
    lines.append("")
    latency = _latency_line(summary)
    lines += [f"Prospect response latency: {latency}." if latency else "Prospect response latency: no rep-to-prospect handovers.", ""]
    lines += [f"## Cues ({len(summary.cues)})", ""]
    if not summary.cues:
        lines += ["No cues fired.", ""]
    for e in summary.cues:
        marks = f" — rep marked it **{', '.join(e.marks)}**" if e.marks else " — no feedback"
        lines.append(f"### {e.number}. {clock(e.cue.t)} {_md_escape(e.cue.title or e.cue.cue)} "
                     f"(`{_md_escape(e.cue.cue).replace('`', '')}`){_md_escape(marks)}")
        lines.append("")
        if e.cue.why:
            lines.append(f"Why: {_md_escape(e.cue.why)}" + (f" ({_md_escape(_cue_fired(e))})" if _cue_fired(e) else ""))
            lines.append("")
        if e.trigger:
            lines.append(f"- {NAMES.get(e.trigger.speaker, e.trigger.speaker)} at {clock(e.trigger.start)}: "
                         f"{_md_quote(e.trigger)}")
        for line in e.cue.script:
            lines.append(f"- Suggested: {_md_escape(line)}")
        if e.rep_next:
            lines.append(f"- Rep then, at {clock(e.rep_next.start)}: {_md_quote(e.rep_next)}")
        lines.append("")
    lines += ["## Transcript", ""]
    for kind, item in _merged(summary):
        if kind == "cue":
            lines.append(f"> **Cue {item.number} at {clock(item.cue.t)}: {_md_escape(item.cue.title or item.cue.cue)}**")
        else:
            lines.append(f"**[{clock(item.start)}] {NAMES.get(item.speaker, item.speaker)}:** {_md_escape(item.text)}")
        lines.append("")
    lines.append(f"_livecue {__version__} · from {_md_escape(summary.path.name)} · audio is not stored_")
    return "\n".join(lines) + "\n"


def _merged(summary: CallSummary) -> list[tuple[str, object]]:
    """Transcript lines and cues in time order (a cue after the line it followed)."""
    items: list[tuple[float, int, str, object]] = [(u.start, 0, "line", u) for u in summary.utterances]
    items += [(e.cue.t, 1, "cue", e) for e in summary.cues]
    items.sort(key=lambda i: (i[0], i[1]))
    return [(kind, obj) for _, _, kind, obj in items]


# --- HTML ----------------------------------------------------------------------------

CSS = """
:root { --rep: %(rep)s; --prospect: %(prospect)s; --rep-light: %(rep_light)s; --prospect-light: %(prospect_light)s;
  --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 28px 48px; }
header .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted); font-weight: 600; }
h1 { font-size: 28px; margin: 2px 0 4px; }
h2 { font-size: 19px; margin: 34px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0; }
.notice { background: #fef3c7; border: 1px solid #f59e0b; border-radius: 8px; padding: 8px 12px; margin: 14px 0 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-top: 20px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; font-weight: 600; }
.card .value { font-size: 26px; font-weight: 700; margin-top: 2px; }
.card .sub { font-size: 13px; color: var(--muted); }
.sharebar { display: flex; height: 10px; border-radius: 5px; overflow: hidden; margin-top: 8px; background: var(--line); }
.sharebar span { display: block; height: 100%%; }
.c-rep { color: var(--rep); } .c-prospect { color: var(--prospect); }
ul.highlights { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px 12px 34px; margin: 0; }
ul.highlights li { margin: 3px 0; }
table.sides { border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 10px; overflow: hidden; min-width: 520px; }
table.sides th, table.sides td { padding: 8px 16px; border-bottom: 1px solid var(--line); text-align: right; }
table.sides th:first-child, table.sides td:first-child { text-align: left; color: var(--muted); font-weight: 500; }
table.sides thead th { font-weight: 700; }
table.sides tr:last-child td { border-bottom: none; }
.latency { margin: 10px 0 0; color: #374151; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 14px 8px; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 13px; color: #374151; margin-bottom: 6px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 5px; vertical-align: -1px; }
.legend i.dot { border-radius: 50%%; }
.cue { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--mark); border-radius: 10px;
  padding: 12px 16px; margin: 0 0 12px; }
.cue-head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.cue-head h3 { margin: 0; font-size: 17px; }
.num { display: inline-block; min-width: 22px; height: 22px; border-radius: 11px; background: var(--mark); color: #fff;
  text-align: center; font-weight: 700; font-size: 13px; line-height: 22px; }
.time { font-variant-numeric: tabular-nums; color: var(--muted); }
.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; color: var(--muted); }
.badge { margin-left: auto; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  padding: 2px 8px; border-radius: 10px; color: #fff; background: var(--mark); }
.badge.none { background: #f3f4f6; color: var(--muted); font-weight: 600; }
.why { margin: 6px 0 8px; }
.why .fired { color: var(--muted); font-size: 13px; }
.said { margin: 6px 0; padding: 6px 10px; border-radius: 6px; }
.said.rep { background: var(--rep-light); } .said.prospect { background: var(--prospect-light); }
.said .who { display: block; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; }
.said.rep .who { color: var(--rep); } .said.prospect .who { color: var(--prospect); }
.script { margin: 8px 0; padding: 6px 10px; border: 1px dashed #c4b5fd; border-radius: 6px; background: #faf5ff; }
.script .who { display: block; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; color: #6d28d9; }
.script ul { margin: 2px 0; padding-left: 20px; }
.transcript { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 8px 0; }
.line { display: grid; grid-template-columns: 64px 92px 1fr; gap: 8px; padding: 4px 16px; }
.line .t { color: var(--muted); font-variant-numeric: tabular-nums; }
.line .who { font-weight: 700; }
.line.prospect { background: #fffaf6; }
.cueline { margin: 4px 16px; padding: 4px 10px; border-radius: 6px; background: #f5f3ff; font-size: 14px; }
.cueline a { color: #5b21b6; font-weight: 600; text-decoration: none; }
footer { margin-top: 30px; color: var(--muted); font-size: 13px; }
@media print { body { background: #fff; } .cue, figure, .card { break-inside: avoid; } }
""" % {"rep": COLOURS["rep"], "prospect": COLOURS["prospect"],
       "rep_light": LIGHT["rep"], "prospect_light": LIGHT["prospect"]}


def _h(text: object) -> str:
    return escape(str(text))


def _card(label: str, value: str, sub: str = "", extra: str = "") -> str:
    sub_html = f'<div class="sub">{sub}</div>' if sub else ""
    return f'<div class="card"><div class="label">{_h(label)}</div><div class="value">{value}</div>{sub_html}{extra}</div>'


def _cards(summary: CallSummary) -> str:
    rep, prospect = summary.sides["rep"], summary.sides["prospect"]
    bar = (f'<div class="sharebar" title="rep {_pct(rep.share)} / prospect {_pct(prospect.share)}">'
           f'<span style="width:{rep.share * 100:.1f}%;background:var(--rep)"></span>'
           f'<span style="width:{prospect.share * 100:.1f}%;background:var(--prospect)"></span></div>')
    cards = [
        _card("Call length", clock(summary.duration), f"{clock(summary.talk_s)} of speech"),
        _card("Rep talk share", _pct(rep.share) if summary.talk_s else "–",
              f'<span class="c-prospect">prospect {_pct(prospect.share)}</span>' if summary.talk_s else "", bar),
        _card("Longest rep monologue",
              _secs(rep.longest_turn.duration) if rep.longest_turn else "–",
              f"at {clock(rep.longest_turn.start)}" if rep.longest_turn else ""),
        _card("Questions asked", f'<span class="c-rep">{rep.questions}</span> · '
              f'<span class="c-prospect">{prospect.questions}</span>', "rep · prospect"),
    ]
    replies = summary.question_replies or list(summary.replies)
    if replies:
        label = "after rep questions" if summary.question_replies else "after rep turns"
        cards.append(_card("Prospect response", f"{median([r.latency_s for r in replies]):.1f} s",
                           f"median {label} (n={len(replies)})"))
    marks = summary.marks
    rated = " · ".join(f"{n} {m}" for m, n in sorted(marks.items())) or ("not rated" if summary.cues else "")
    cards.append(_card("Cues fired", str(len(summary.cues)), _h(rated)))
    return f'<section class="cards">{"".join(cards)}</section>'


def _said(u: TranscriptLine, who: str) -> str:
    return (f'<blockquote class="said {u.speaker}"><span class="who">{_h(who)}</span>'
            f'{_h(_quote(u, 400))}</blockquote>')


def _cue_card(e: CueEntry) -> str:
    colour = mark_colour(e.marks)
    badge = (f'<span class="badge">{_h(", ".join(e.marks))}</span>' if e.marks
             else '<span class="badge none">no feedback</span>')
    parts = [f'<article class="cue" id="cue-{e.number}" style="--mark:{colour}">',
             f'<div class="cue-head"><span class="num">{e.number}</span><span class="time">{clock(e.cue.t)}</span>'
             f'<h3>{_h(e.cue.title or e.cue.cue)}</h3><span class="id">{_h(e.cue.cue)}</span>{badge}</div>']
    if e.cue.why:
        fired = _cue_fired(e)
        parts.append(f'<p class="why">{_h(e.cue.why)}'
                     + (f' <span class="fired">({_h(fired)})</span>' if fired else "") + "</p>")
    if e.trigger:
        parts.append(_said(e.trigger, f"{NAMES.get(e.trigger.speaker, e.trigger.speaker)} said, {clock(e.trigger.start)}"))
    if e.cue.script:
        items = "".join(f"<li>{_h(line)}</li>" for line in e.cue.script)
        parts.append(f'<div class="script"><span class="who">Suggested</span><ul>{items}</ul></div>')
    if e.rep_next:
        parts.append(_said(e.rep_next, f"Rep then said, {clock(e.rep_next.start)}"))
    parts.append("</article>")
    return "\n".join(parts)


def _legend() -> str:
    items = [
        f'<span><i style="background:{COLOURS["rep"]}"></i>Rep speaking</span>',
        f'<span><i style="background:{COLOURS["prospect"]}"></i>Prospect speaking</span>',
        '<span><i style="background:none;border:2px solid #d97706"></i>Monologue past the rules\' warning</span>',
        '<span><i class="dot" style="background:#16a34a"></i>Cue marked helpful</span>',
        '<span><i class="dot" style="background:#dc2626"></i>Cue marked wrong</span>',
        '<span><i class="dot" style="background:#6b7280"></i>Dismissed / snoozed</span>',
        '<span><i class="dot" style="background:#7c3aed"></i>No feedback</span>',
    ]
    return f'<div class="legend">{"".join(items)}</div>'


def to_html(summary: CallSummary) -> str:
    title = _title(summary)
    body = [f'<header><div class="kicker">livecue · call report</div><h1>{_h(title)}</h1>'
            f'<p class="meta">{_h(" · ".join(_meta(summary)))}</p></header>']
    for notice in summary.notices:
        body.append(f'<p class="notice"><strong>Note:</strong> {_h(notice)}</p>')
    body.append(_cards(summary))
    body.append('<h2>Highlights</h2><ul class="highlights">'
                + "".join(f"<li>{_h(h).replace('`', '')}</li>" for h in highlights(summary)) + "</ul>")
    rows = "".join(f"<tr><td>{_h(a)}</td><td>{_h(b)}</td><td>{_h(c)}</td></tr>" for a, b, c in _rows(summary))
    latency = _latency_line(summary)
    body.append('<h2>Talk</h2><table class="sides"><thead><tr><th></th><th class="c-rep">Rep</th>'
                f'<th class="c-prospect">Prospect</th></tr></thead><tbody>{rows}</tbody></table>'
                + (f'<p class="latency"><strong>Prospect response latency:</strong> {_h(latency)}.</p>' if latency else ""))
    body.append(f'<h2>Timeline</h2><figure>{_legend()}{timeline_svg(summary)}'
                '<figcaption>Bars: when each side was speaking. Numbered markers: cues (click for the card). '
                'Below: the rep\'s share of talk over the last '
                f'{summary.share_window_s:.0f} s; the dashed amber line is the {_pct(summary.rep_share_high)} '
                'call-out level.</figcaption></figure>')
    body.append(f'<h2>Cues ({len(summary.cues)})</h2>')
    body.append("\n".join(_cue_card(e) for e in summary.cues) or "<p>No cues fired.</p>")
    lines = []
    for kind, item in _merged(summary):
        if kind == "cue":
            lines.append(f'<div class="cueline">▲ <a href="#cue-{item.number}">Cue {item.number} at '
                         f'{clock(item.cue.t)}: {_h(item.cue.title or item.cue.cue)}</a></div>')
        else:
            name = NAMES.get(item.speaker, item.speaker)
            lines.append(f'<div class="line {_h(item.speaker)}"><span class="t">{clock(item.start)}</span>'
                         f'<span class="who c-{_h(item.speaker)}">{_h(name)}</span><span>{_h(item.text)}</span></div>')
    body.append('<h2>Transcript</h2><section class="transcript">' + "\n".join(lines) + "</section>"
                if lines else "<h2>Transcript</h2><p>Nothing was transcribed.</p>")
    body.append(f'<footer>Made by livecue {__version__} from {_h(summary.path.name)}. '
                'Audio is not stored; this page loads nothing from the network.</footer>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta name=\"generator\" content=\"livecue {__version__}\">"
            f"<title>Call report: {_h(title)}</title><style>{CSS}</style></head>\n"
            f"<body><main>\n" + "\n".join(body) + "\n</main></body></html>\n")
