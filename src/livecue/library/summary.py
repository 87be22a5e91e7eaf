"""The library view: one row per call, and the team's figures across calls.

Rows are made from session logs with ``session.summary.summarise`` -- the
measures of the per-call report -- so a call's talk share or longest
monologue reads the same in both.  Only the row is kept per log, so a
thousand logs cost one log's memory at a time.  Outputs: ``summary.csv``
(for spreadsheets), ``summary.md``, and ``summary.html`` (self-contained:
inline CSS and SVG charts, links to each call's report).
"""

from __future__ import annotations

import csv
import io
import os
import statistics
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from ..audio_facts import CALL_SIDES
from .. import __version__
from ..errors import LivecueError
from ..events import Signals
from ..private_files import utf8
from ..session.log import read_session
from ..session.summary import ReportSettings, clock, summarise
from ..session.timeline import COLOURS

# The library needs no talk-share curve: two points instead of 240 keep a log's summary cheap.
ROW_SETTINGS = ReportSettings(share_points=2)
NO_REP = "(no rep)"


@dataclass(frozen=True)
class CallRow:
    """What the library shows of one call (or why it has nothing to show)."""

    source: str
    rep: str = ""
    date: str = ""
    tags: tuple[str, ...] = ()
    duration_s: float = 0.0
    rep_share: float | None = None
    prospect_share: float | None = None
    longest_monologue_s: float | None = None  # the rep's longest turn
    response_latency_s: float | None = None  # the prospect's median reply after a rep turn
    questions: int | None = None  # asked by the rep
    cues: dict = field(default_factory=dict)  # play (cue rule) -> times fired
    status: str = "ok"  # ok | cut off | failed: reason
    log: Path | None = None
    report: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.status.startswith("failed")

    @property
    def title(self) -> str:
        return self.source.split(" + ")[0].rsplit("/", 1)[-1] or (self.log.stem if self.log else "?")


def row_from_log(path: Path, *, report: Path | None = None, fallback: CallRow | None = None) -> CallRow:
    """A call's row from its session log; an unreadable log is a failed row, not an error."""
    try:
        # Signals are most of a log's bytes and the row needs none; Lag records stay: the measures'
        # tracker learns from them that an utterance's final decode came (session/measures.py)
        data = read_session(path, skip=(Signals,))
    except LivecueError as exc:
        base = fallback or CallRow(source=str(path))
        return CallRow(source=base.source, rep=base.rep, date=base.date, tags=base.tags,
                       status=f"failed: {exc}", log=path)
    s = summarise(data, ROW_SETTINGS)
    rec = data.settings
    talk = s.talk_s
    rep_side = s.sides["rep"]
    latencies = [r.latency_s for r in s.replies]
    cues: dict[str, int] = {}
    for entry in s.cues:
        cues[entry.cue.cue] = cues.get(entry.cue.cue, 0) + 1
    two_sided = any(sp.speaker in CALL_SIDES for sp in s.spans) or talk > 0
    return CallRow(
        source=(fallback.source if fallback else "") or s.source or str(path),  # a copy's log names the first
        rep=(fallback.rep if fallback else "") or (rec.call_rep if rec else ""),
        date=(fallback.date if fallback else "") or (rec.call_date if rec else "") or s.started_at[:10],
        tags=(fallback.tags if fallback else ()) or (tuple(rec.tags) if rec else ()),
        duration_s=s.duration,
        rep_share=rep_side.share if talk > 0 else None,
        prospect_share=s.sides["prospect"].share if talk > 0 else None,
        longest_monologue_s=rep_side.longest_turn.duration if rep_side.longest_turn else (0.0 if two_sided else None),
        response_latency_s=statistics.median(latencies) if latencies else None,
        questions=rep_side.questions,
        cues=cues,
        status="ok" if data.ended is not None else "cut off",
        log=path,
        report=report,
    )


def _row_job(job: tuple) -> CallRow:
    path, report, fallback = job
    return row_from_log(path, report=report, fallback=fallback)


def rows_from_logs(jobs: list[tuple[Path, Path | None, CallRow | None]]) -> list[CallRow]:
    """``row_from_log`` for each (log, report, fallback), in order, one log in memory at a time.

    Sequential on purpose: a process pool was slower on the shared 2-core machine
    (docs/benchmarks.md, issue 14), where a row costs a few milliseconds.
    """
    return [_row_job(j) for j in jobs]


def failed_row(source: str, reason: str, *, rep: str = "", date: str = "", tags: tuple[str, ...] = ()) -> CallRow:
    return CallRow(source=source, rep=rep, date=date, tags=tags, status=f"failed: {reason}")


# --- figures across calls ------------------------------------------------------------


def plays(rows: list[CallRow]) -> list[str]:
    return sorted({p for r in rows for p in r.cues})


def _rel(path: Path | None, out_dir: Path) -> str:
    if path is None:
        return ""
    try:
        return os.path.relpath(path, out_dir)
    except ValueError:  # another drive
        return str(path)


def _num(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def _hours(rows: list[CallRow]) -> float:
    return sum(r.duration_s for r in rows) / 3600


def rates_by_rep(rows: list[CallRow]) -> dict[str, dict[str, float]]:
    """play -> rep -> cues per hour of that rep's calls."""
    ok = [r for r in rows if r.ok]
    reps = sorted({r.rep or NO_REP for r in ok})
    hours = {rep: _hours([r for r in ok if (r.rep or NO_REP) == rep]) for rep in reps}
    out: dict[str, dict[str, float]] = {}
    for play in plays(ok):
        out[play] = {}
        for rep in reps:
            n = sum(r.cues.get(play, 0) for r in ok if (r.rep or NO_REP) == rep)
            out[play][rep] = n / hours[rep] if hours[rep] > 0 else 0.0
    return out


# --- CSV / Markdown -----------------------------------------------------------------


def to_csv(rows: list[CallRow], out_dir: Path) -> str:
    names = plays(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["path", "rep", "date", "tags", "duration_s", "rep_talk_share", "prospect_talk_share",
                "longest_monologue_s", "prospect_response_latency_s", "rep_questions", "cues_total",
                *[f"cue:{p}" for p in names], "status", "log", "report"])
    for r in rows:
        w.writerow([_cell(r.source), _cell(r.rep), _cell(r.date), _cell(";".join(r.tags)),
                    _num(r.duration_s if r.ok else None),
                    _num(r.rep_share, 3), _num(r.prospect_share, 3), _num(r.longest_monologue_s),
                    _num(r.response_latency_s, 2), "" if r.questions is None else r.questions,
                    sum(r.cues.values()) if r.ok else "", *[r.cues.get(p, 0) if r.ok else "" for p in names],
                    _cell(r.status), _cell(_rel(r.log, out_dir)), _cell(_rel(r.report, out_dir))])
    return buf.getvalue()


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run: one that starts like a formula ("=HYPERLINK(...)", "+1",
    "@SUM", a file named "-x.wav") gets a leading apostrophe, as OWASP's CSV injection advice has it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _headline(rows: list[CallRow]) -> str:
    failed = sum(not r.ok for r in rows)
    ok = [r for r in rows if r.ok]
    return (f"{_calls(len(rows))}, {clock(sum(r.duration_s for r in ok))} of audio, "
            f"{sum(sum(r.cues.values()) for r in ok)} cues; {failed} failed")


def _calls(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(rows: list[CallRow], out_dir: Path) -> str:
    ok = [r for r in rows if r.ok]
    lines = ["# Call library summary", "", _headline(rows) + ".", ""]
    rates = rates_by_rep(rows)
    if rates:
        reps = sorted({r.rep or NO_REP for r in ok})
        lines += ["## Cues per call-hour, by rep", "", "| play | " + " | ".join(_md(r) for r in reps) + " |",
                  "|---|" + "---:|" * len(reps)]
        lines += [f"| {_md(p)} | " + " | ".join(f"{rates[p][r]:.1f}" for r in reps) + " |" for p in rates]
        lines.append("")
    lines += ["## Across calls (median, range)", ""]
    for label, values, unit in _measures(ok):
        if values:
            lines.append(f"- {label}: {statistics.median(values):.2f}{unit} "
                         f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})")
    lines.append("")
    if ok:
        lines += ["## Calls that fired each play", ""]
        for play in plays(ok):
            fired = [r for r in ok if r.cues.get(play)]
            links = ", ".join(f"[{_md(r.title)}]({_rel(r.report or r.log, out_dir)}) x{r.cues[play]}" for r in fired)
            lines.append(f"- **{_md(play)}** ({_calls(len(fired))}): {links}")
        lines.append("")
    lines += ["## Calls", "", "| call | rep | date | length | rep share | longest monologue | cues | status |",
              "|---|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        share = f"{r.rep_share * 100:.0f}%" if r.rep_share is not None else ""
        mono = f"{r.longest_monologue_s:.0f} s" if r.longest_monologue_s is not None else ""
        lines.append(f"| {_md(r.title)} | {_md(r.rep)} | {r.date} | {clock(r.duration_s) if r.ok else ''} | "
                     f"{share} | {mono} | {sum(r.cues.values()) if r.ok else ''} | {_md(r.status)} |")
    lines.append("")
    return "\n".join(lines)


def _measures(ok: list[CallRow]) -> list[tuple[str, list[float], str]]:
    return [
        ("Rep talk share", [r.rep_share for r in ok if r.rep_share is not None], ""),
        ("Longest rep monologue", [r.longest_monologue_s for r in ok if r.longest_monologue_s is not None], " s"),
        ("Prospect response latency", [r.response_latency_s for r in ok if r.response_latency_s is not None], " s"),
        ("Questions asked by the rep", [float(r.questions) for r in ok if r.questions is not None], ""),
    ]


# --- HTML with inline SVG ----------------------------------------------------------------

PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777")

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2937;background:#f8fafc;margin:0}
main{max-width:980px;margin:0 auto;padding:24px}
h1{margin:.2em 0}h2{margin-top:1.8em;border-bottom:1px solid #e5e7eb;padding-bottom:.2em}
.kicker{color:#6b7280;text-transform:uppercase;font-size:12px;letter-spacing:.08em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px}
figcaption{font-size:13px;color:#4b5563}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.failed{color:#b91c1c}.legend span{display:inline-block;margin-right:12px;font-size:13px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
footer{margin-top:32px;color:#6b7280;font-size:12px}
"""


def _h(x: object) -> str:
    return escape(str(x))


def rate_chart_svg(rates: dict[str, dict[str, float]], reps: list[str]) -> str:
    """Grouped horizontal bars: for each play, one bar per rep (cues per call-hour)."""
    if not rates:
        return "<p>No cues fired.</p>"
    bar_h, gap, label_w, width = 12, 10, 170, 640
    top = max((v for per in rates.values() for v in per.values()), default=0.0) or 1.0
    colour = {rep: PALETTE[i % len(PALETTE)] for i, rep in enumerate(reps)}
    y, parts = 8, []
    for play, per in rates.items():
        parts.append(f'<text x="0" y="{y + bar_h}" font-size="12">{_h(play)}</text>')
        for rep in reps:
            w = (width - label_w - 60) * per.get(rep, 0.0) / top
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour[rep]}">'
                         f'<title>{_h(rep)}: {per.get(rep, 0.0):.1f} per call-hour</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" font-size="10">{per.get(rep, 0.0):.1f}</text>')
            y += bar_h
        y += gap
    legend = "".join(f'<span><i style="background:{colour[r]}"></i>{_h(r)}</span>' for r in reps)
    return (f'<div class="legend">{legend}</div><svg xmlns="http://www.w3.org/2000/svg" width="100%" '
            f'viewBox="0 0 {width} {y}" role="img" aria-label="cues per call-hour by play and rep">'
            + "".join(parts) + "</svg>")


def histogram_svg(values: list[float], *, lo: float | None = None, hi: float | None = None, bins: int = 10,
                  unit: str = "", colour: str = COLOURS["rep"]) -> str:
    """A histogram as inline SVG (counts per bin, axis labels at the ends)."""
    if not values:
        return '<p class="sub">No data.</p>'
    lo = min(values) if lo is None else lo
    hi = max(values) if hi is None else hi
    if hi <= lo:
        hi = lo + 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins)))] += 1
    width, height, base = 300, 120, 100
    top = max(counts)
    bw = width / bins
    bars = "".join(
        f'<rect x="{i * bw + 1:.1f}" y="{base - (base - 10) * c / top:.1f}" width="{bw - 2:.1f}" '
        f'height="{(base - 10) * c / top:.1f}" fill="{colour}"><title>{lo + i * (hi - lo) / bins:.2f}–'
        f'{lo + (i + 1) * (hi - lo) / bins:.2f}{unit}: {c} calls</title></rect>'
        for i, c in enumerate(counts) if c)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" role="img">'
            f'{bars}<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#9ca3af"/>'
            f'<text x="0" y="{height - 4}" font-size="11">{lo:.2f}{unit}</text>'
            f'<text x="{width}" y="{height - 4}" font-size="11" text-anchor="end">{hi:.2f}{unit}</text>'
            f'<text x="{width}" y="12" font-size="11" text-anchor="end">max {top} calls/bin</text></svg>')


def to_html(rows: list[CallRow], out_dir: Path) -> str:
    ok = [r for r in rows if r.ok]
    reps = sorted({r.rep or NO_REP for r in ok})
    body = ['<header><div class="kicker">livecue · call library</div><h1>Call library summary</h1>'
            f'<p>{_h(_headline(rows))}.</p></header>']
    failed = [r for r in rows if not r.ok]
    if failed:
        body.append(f'<p class="failed"><strong>{len(failed)} call(s) failed</strong> (listed below).</p>')
    body.append('<h2>Cues per call-hour, by rep</h2><figure>' + rate_chart_svg(rates_by_rep(rows), reps)
                + '<figcaption>Times each play fired per hour of that rep\'s call audio.</figcaption></figure>')
    figs = []
    ranges = {"Rep talk share": (0.0, 1.0)}
    for i, (label, values, unit) in enumerate(_measures(ok)):
        lo, hi = ranges.get(label, (None, None))
        med = f"median {statistics.median(values):.2f}{unit}, n={len(values)}" if values else "no data"
        figs.append(f'<figure><strong>{_h(label)}</strong>{histogram_svg(values, lo=lo, hi=hi, unit=unit, colour=PALETTE[i])}'
                    f'<figcaption>{_h(med)}</figcaption></figure>')
    body.append('<h2>Distributions across calls</h2><div class="grid">' + "".join(figs) + "</div>")
    body.append("<h2>Calls that fired each play</h2>")
    if ok and plays(ok):
        items = []
        for play in plays(ok):
            fired = [r for r in ok if r.cues.get(play)]
            links = ", ".join(f'<a href="{_h(_rel(r.report or r.log, out_dir))}">{_h(r.title)}</a> ×{r.cues[play]}'
                              for r in fired)
            items.append(f"<li><strong>{_h(play)}</strong> ({_calls(len(fired))}): {links}</li>")
        body.append("<ul>" + "".join(items) + "</ul>")
    else:
        body.append("<p>No cues fired.</p>")
    names = plays(ok)
    head = "".join(f"<th>{_h(p)}</th>" for p in names)
    trs = []
    for r in rows:
        link = _rel(r.report or r.log, out_dir)
        title = f'<a href="{_h(link)}">{_h(r.title)}</a>' if link else _h(r.title)
        cells = "".join(f'<td class="n">{r.cues.get(p, 0)}</td>' for p in names) if r.ok else f'<td colspan="{len(names)}"></td>' if names else ""
        trs.append(f'<tr><td>{title}</td><td>{_h(r.rep)}</td><td>{_h(r.date)}</td>'
                   f'<td class="n">{clock(r.duration_s) if r.ok else ""}</td>'
                   f'<td class="n">{f"{r.rep_share * 100:.0f}%" if r.rep_share is not None else ""}</td>'
                   f'<td class="n">{_num(r.longest_monologue_s)}</td>{cells}'
                   f'<td class="{"" if r.ok else "failed"}">{_h(r.status)}</td></tr>')
    body.append(f'<h2>Calls ({len(rows)})</h2><table><thead><tr><th>call</th><th>rep</th><th>date</th><th>length</th>'
                f'<th>rep share</th><th>longest monologue (s)</th>{head}<th>status</th></tr></thead>'
                f'<tbody>{"".join(trs)}</tbody></table>')
    body.append(f"<footer>Made by livecue {__version__}. Audio is not stored; this page loads nothing "
                "from the network.</footer>")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Call library summary</title><style>{CSS}</style></head>\n<body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0600) through a temporary name, so no half file ever counts."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(tmp, flags, 0o600)  # a new file, never through a link left at that name
        except FileExistsError:  # left by a killed run of this process id: not ours to trust
            os.unlink(tmp)
            fd = os.open(tmp, flags, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise LivecueError(f"cannot write {path}: {exc.strerror or exc}") from None


# how each summary file livecue writes begins: one that begins otherwise is someone else's, and is kept
_SUMMARY_START = {"summary.csv": b"path,rep,date,tags,", "summary.md": b"# Call library summary",
                  "summary.html": b"<!doctype html>"}


def _not_ours(path: Path) -> bool:
    from ..private_files import head

    if not os.path.lexists(path):
        return False
    if os.path.islink(path):
        return False  # write_atomic replaces the link itself, never writing through it
    return not head(path, 64).lstrip().lower().startswith(_SUMMARY_START[path.name].lower())


def write_summary(rows: list[CallRow], out_dir: Path) -> list[Path]:
    """summary.csv, summary.md and summary.html in ``out_dir``; returns their paths.  A file of that name
    livecue did not write (a coach's own notes) is kept: nothing is written, and the error says so."""
    for name in _SUMMARY_START:
        if _not_ours(out_dir / name):
            raise LivecueError(f"{out_dir / name} exists and is not a livecue summary; not overwriting it "
                               f"(remove it or choose another --out)")
    out = []
    for name, render in (("summary.csv", to_csv), ("summary.md", to_markdown), ("summary.html", to_html)):
        path = out_dir / name
        write_atomic(path, utf8(render(rows, out_dir)))
        out.append(path)
    return out
