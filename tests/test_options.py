"""argparse stays at the edge: commands read the namespace once into typed options."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from livecue.cli import build_parser
from livecue.commands.common import session_options
from livecue.options import CueOptions, ModelOptions, SessionOptions
from livecue.session.run_record import run_record

SRC = Path(__file__).resolve().parents[1] / "src" / "livecue"
# entry points that own a parser of their own: the ``livecue`` command and the overlay demo's ``main``
EDGES = {"cli.py", "ui/demo.py"}


def test_no_module_below_the_commands_sees_the_namespace():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("commands/") or rel in EDGES:
            continue
        text = path.read_text()
        for pattern in (r"^\s*import argparse", r"getattr\(args\b", r"\bargs\.[a-z_]+", r"\bNamespace\("):
            for m in re.finditer(pattern, text, re.M):
                offenders.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0).strip()}")
    assert offenders == []


def parse(*argv: str) -> SessionOptions:
    args = build_parser("replay").parse_args(["replay", *argv])
    return session_options(args, ["replay", *argv])


def test_session_options_are_typed_and_frozen():
    opts = parse("call.wav", "--plain", "--no-cues", "--rules", "r", "--vocab", "Acme, Northwind ,",
                 "--threads", "2", "--log", "out.jsonl", "--compact")
    assert opts == SessionOptions(
        command="replay", source="call.wav", output="plain", compact=True, log=Path("out.jsonl"),
        model=ModelOptions(threads=2, vocab=("Acme", "Northwind")),
        cues=CueOptions(rules=Path("r"), enabled=False),
        argv=("replay", "call.wav", "--plain", "--no-cues", "--rules", "r", "--vocab", "Acme, Northwind ,",
              "--threads", "2", "--log", "out.jsonl", "--compact"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.output = "json"  # type: ignore[misc]
    assert parse("call.wav").overlay and parse("call.wav", "--json").output == "json"
    assert not parse("call.wav", "--no-log").write_log
    with pytest.raises(ValueError, match="output must be one of"):
        SessionOptions(output="html")


def test_two_sides_are_named_in_the_source_and_the_run_record():
    opts = parse("--rep", "a.wav", "--prospect", "b.wav", "--profile", "me.toml")
    record = run_record(opts, datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert record.source == "rep a.wav + prospect b.wav" and record.mode == "replay"
    assert record.profile == "me.toml" and record.rules == "" and record.cues is True
    assert record.started_at == "2026-01-02T03:04:05+00:00" and record.argv[0] == "replay"


def test_a_log_path_with_a_trailing_slash_is_a_directory_even_before_it_exists(tmp_path):
    """--log logs/ wrote a file named "logs"; the help says "file or directory"."""
    from livecue.errors import LivecueError
    from livecue.session.log import SessionLog
    from livecue.session.run_record import SessionSettings

    opts = parse("call.wav", "--log", str(tmp_path / "logs" / "week1") + "/")
    assert (tmp_path / "logs" / "week1").is_dir() and (tmp_path / "logs" / "week1").stat().st_mode & 0o777 == 0o700
    log = SessionLog(SessionSettings(source="call.wav"), datetime(2026, 1, 2, 3, 4, 5), path=opts.log,
                     announce=lambda s: None)
    log.close()
    assert log.path.parent == tmp_path / "logs" / "week1" and log.path.suffix == ".jsonl"
    (tmp_path / "taken").write_text("x")
    with pytest.raises(LivecueError, match="cannot create the log directory"):
        parse("call.wav", "--log", str(tmp_path / "taken") + "/")
    assert parse("call.wav", "--log", str(tmp_path / "plain")).log == tmp_path / "plain"
    assert not (tmp_path / "plain").exists()  # without the slash: a file, made when the session starts
