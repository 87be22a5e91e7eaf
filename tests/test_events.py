import json

from livecue.events import Committed, Cue, SessionStarted, Word, event_from_json


def test_committed_json_has_the_documented_shape():
    e = Committed(2.5, "prospect", "not interested", (Word("not", 1.0, 1.4), Word("interested", 1.4, 2.5)), True)
    out = json.loads(json.dumps(e.to_json()))
    assert out["type"] == "committed"
    assert out["speaker"] == "prospect"
    assert out["text"] == "not interested"
    assert out["words"] == [{"word": "not", "start": 1.0, "end": 1.4}, {"word": "interested", "start": 1.4, "end": 2.5}]


def test_every_event_round_trips_through_json():
    events = [
        SessionStarted(0.0, "call.wav", "tiny.en", ("rep", "prospect"), "replay", 30.0),
        Committed(3.0, "rep", "hi there", (Word("hi", 2.0, 2.4), Word("there", 2.5, 3.0))),
        Cue(4.0, "reset", "Reset", "4 short answers", ("Pause.", "Ask about goals."), 2),
    ]
    for e in events:
        back = event_from_json(json.loads(json.dumps(e.to_json())))
        assert back == e


def test_cue_json_matches_the_issue_contract():
    out = Cue(12.5, "second_effort", "Second effort", "first brush-off", ("a", "b")).to_json()
    assert {k: out[k] for k in ("type", "cue", "t", "title", "why", "script")} == {
        "type": "cue", "cue": "second_effort", "t": 12.5, "title": "Second effort",
        "why": "first brush-off", "script": ["a", "b"]}
