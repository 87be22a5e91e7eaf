"""Examples and exit codes shown under ``livecue COMMAND --help`` (and in docs/cli.md).

A command module may set its own epilog in ``add_arguments``; these are the
defaults the parser gives every command first.
"""

from __future__ import annotations

EXIT_CODES = """exit codes: 0 done, 1 a check failed (rules check/test, doctor, eval --fail-under) or an
internal error, 2 bad option, input file or settings, 3 model problem, 4 audio device problem,
130 interrupted (Ctrl-C)"""

ENVIRONMENT = """environment: LIVECUE_CONFIG (settings file when --config is not given),
LIVECUE_MODELS (models directory), LIVECUE_THEME=dark|light (overlay colours), LIVECUE_DEBUG=1 (tracebacks),
XDG_CONFIG_HOME / XDG_DATA_HOME (Linux: where config.toml, profile.toml, cue_rules/ and sessions go)"""

MAIN = f"""examples:
  livecue replay samples/sample_call.flac --profile samples/profile.toml
  livecue live --rep-input "USB headset" --prospect-input BlackHole
  livecue COMMAND --help          options and examples of one command

{ENVIRONMENT}

{EXIT_CODES}
"""

EXAMPLES = {
    "replay": """examples:
  livecue replay call.wav                              overlay, paced like the live call
  livecue replay call.wav --fast --plain               transcript and cues as fast as possible
  livecue replay --rep rep.wav --prospect them.wav --speed 2
  cat call.wav | livecue replay - --fast --json --no-log | jq -c 'select(.type=="cue")'
  livecue replay call.flac --model base.en --device cuda
""",
    "devices": """examples:
  livecue devices          the inputs, with the index --rep-input/--prospect-input/--input take
  livecue devices --json
""",
    "doctor": """examples:
  livecue doctor                 PortAudio, inputs, model load and speed, with advice
  livecue doctor --no-model      audio checks only
  livecue doctor --model base.en --threads 4

exit codes: 0 every check passed, 1 a check failed, 2 bad option or settings
""",
    "tune": """examples:
  livecue tune calls/ --set reset.min_streak=2,3,4
  livecue tune calls/ --set reset.min_streak=2,3 --set reset.clipped.max_words=3,4,5 --top 5
  livecue tune calls/ --set second_effort.cooldown_s=30,60 --write
      (--write without --rules copies the changed rule files into the user rules directory,
       where they shadow the shipped ones; with --rules DIR it edits DIR's files)
  livecue tune --feedback ~/.local/share/livecue/sessions/*.jsonl --set reset.min_streak=2,3
""",
    "rules": """examples:
  livecue rules check              every problem in the rule files, as FILE:LINE: message
  livecue rules test -v            run every rule's must-fire / must-not-fire examples
  livecue rules check my_rules/
  livecue rules rejudge ~/.local/share/livecue/sessions/*.jsonl
                                   the cards today's rules fire on logged calls: = kept, - gone, + new

exit codes: 0 no problems / every example passes (rejudge: it ran), 1 problems or failing examples
""",
    "report": """examples:
  livecue report                                   Markdown report of the newest session on stdout
  livecue report SESSION.jsonl --html report.html --srt call.srt
  livecue report SESSION.jsonl --txt -             transcript on stdout
""",
    "sessions": """examples:
  livecue sessions                 past sessions, the newest last
  livecue sessions --dir logs/
""",
}
