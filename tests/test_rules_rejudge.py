"""``livecue rules rejudge``: a logged session judged again with today's rules."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from cue_events import utterance

from livecue.cues.rules import load_rule_dir
from livecue.events import Cue, SessionEnded, SessionStarted, Signals
from livecue.session.rejudge import rejudge

RULES = Path(__file__).resolve().parents[1] / "cue_rules"
PITCH = "The app tracks every delivery window and texts your customers when the driver is ten minutes out."


def session(prospect_reply: str, logged: list[Cue]) -> list:
    events = [SessionStarted(0.0)]
    events += utterance("rep", 0.5, 9.0, PITCH)
    events += utterance("prospect", 9.5, 12.5, prospect_reply)
    events += [Signals(12.6)] + logged + [SessionEnded(20.0)]
    return events


def test_a_card_the_rules_no_longer_fire_is_reported_gone_and_a_new_one_new():
    load = load_rule_dir(RULES)
    old_card = Cue(12.8, "reset", "Reset", "They said: \"the same as what we have\"")
    gone = rejudge(session("Okay, so that's not the same as what we have now at all.", [old_card]), load)
    assert gone.logged == (old_card,) and gone.now == ()
    assert gone.changes() == ([], [old_card], [])
    new = rejudge(session("Eh, it's fine. Nothing special, honestly.", []), load)
    kept, lost, added = new.changes()
    assert (kept, lost, [c.cue for c in added]) == ([], [], ["reset"])
    same = rejudge(session("Eh, it's fine. Nothing special, honestly.", [Cue(added[0].t + 0.4, "reset")]), load)
    assert [c.cue for c in same.changes()[0]] == ["reset"] and same.changes()[1:] == ([], [])


def test_the_command_reads_a_json_capture_and_says_what_changed(tmp_path):
    log = tmp_path / "call.jsonl"
    events = session("Okay, so that's not the same as what we have now at all.",
                     [Cue(12.8, "reset", "Reset", "They said: \"the same as what we have\"")])
    log.write_text("".join(json.dumps(e.to_json()) + "\n" for e in events))
    done = run_cli("rules", "rejudge", str(log), "--rules", str(RULES))
    assert done.returncode == 0, done.stderr
    assert f"{log}: 1 card(s) logged, 0 now" in done.stdout
    assert "  -    12.8 s  reset: They said" in done.stdout
    missing = run_cli("rules", "rejudge", str(tmp_path / "none.jsonl"))
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1
    assert "Traceback" not in missing.stderr
