"""The ``livecue`` command: parses arguments and dispatches to subcommands.

Each subcommand lives in ``livecue.commands.NAME`` with ``add_arguments(p)``
and ``run(args) -> int``; they are imported only when chosen, so ``livecue
replay`` never imports sounddevice or Textual unless it needs them.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import io
import os
import signal
import sys

from . import __version__, progress
from .errors import LivecueError
from .terminal_text import printable
from .termination import Terminated, raise_on_termination

SUBCOMMANDS: dict[str, str] = {
    "replay": "replay a recorded call through the coach (file or two mono files)",
    "live": "coach a live call from the microphone and the other side's audio",
    "devices": "list audio input devices",
    "doctor": "check audio, model and speed on this machine",
    "eval": "score the cue rules on labelled calls (precision, recall, latency)",
    "tune": "sweep rule parameters on labelled calls",
    "rules": "check or test the cue rule files, or judge logged sessions again",
    "report": "write a report or transcript from a session log",
    "sessions": "list past session logs",
    "profile": "write a starter rep profile, or print where it lives",
    "completion": "print a shell completion script (bash or zsh)",
    "batch": "coach a call library in parallel (or on a Ray cluster) and summarise it",
    "summary": "library summary (HTML, Markdown, CSV) from session logs",
}


def _module(name: str):
    return importlib.import_module(f"livecue.commands.{name}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    from .commands.examples import EXAMPLES, MAIN

    parser = argparse.ArgumentParser(prog="livecue", description="Local, real-time call coach.", epilog=MAIN,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"livecue {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES.get(name),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if only is None or only == name:
            try:
                _module(name).add_arguments(p)
            except ModuleNotFoundError as exc:  # a subcommand not built yet
                if exc.name != f"livecue.commands.{name}":
                    raise
                p.set_defaults(_missing=name)
    return parser


def _once_on_stderr():
    """One line, the first time a fit must be computed: the wait that follows can take minutes."""
    told = []

    def notice(what: str) -> None:
        if not told:
            told.append(what)
            print("livecue: fitting the intent classifiers to their examples and rows, once after each edit "
                  "(minutes for the shipped utterance file; cached after)", file=sys.stderr, flush=True)

    return notice


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    if getattr(args, "_missing", None):
        print(f"livecue: '{args.command}' is not available in this build", file=sys.stderr)
        return 2
    progress.tell_with(_once_on_stderr())
    if isinstance(sys.stdout, io.TextIOWrapper):  # text UTF-8 cannot hold (a lone surrogate: a file name that
        sys.stdout.reconfigure(errors="replace")  # is not UTF-8, a "\\ud800" read from a log) prints as "?"
    terminated: list[int] = []
    try:
        with raise_on_termination() as terminated:
            return int(_module(args.command).run(args) or 0)
    except LivecueError as exc:
        print(f"livecue: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        # Ray's calls turn any exception raised in them by a signal into a plain KeyboardInterrupt
        signum = exc.signum if isinstance(exc, Terminated) else (terminated[0] if terminated else 0)
        if signum:
            print(f"livecue: stopped by {signal.Signals(signum).name}", file=sys.stderr)
            return 128 + signum
        print("livecue: stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed by e.g. `| head`: not an error worth a traceback
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except OSError as exc:
        if exc.filename and exc.errno in _PATH_ERRORS:  # a path from the user or the environment livecue
            name = printable(os.fsdecode(exc.filename))  # cannot use (an unreadable config dir, a name too long)
            print(f"livecue: cannot use {name[:200]}: {exc.strerror}", file=sys.stderr)
            return 2
        if exc.errno not in _OUTPUT_ERRORS or exc.filename:
            return _internal_error(exc)
        # stdout behind a full disk or a broken device: files livecue writes name themselves in their errors
        from .sinks import silence

        silence(sys.stdout)  # what is left in its buffer goes to /dev/null, not to a second failure at exit
        try:
            print(f"livecue: cannot write the output: {exc.strerror}", file=sys.stderr)
        except (OSError, ValueError):
            pass
        return 1
    except Exception as exc:  # last resort: one line, traceback on request
        return _internal_error(exc)


_PATH_ERRORS = {errno.EACCES, errno.EPERM, errno.ENAMETOOLONG, errno.ENOTDIR, errno.ELOOP, errno.ENOENT}
_OUTPUT_ERRORS = {errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _internal_error(exc: Exception) -> int:
    if os.environ.get("LIVECUE_DEBUG"):
        raise exc
    print(f"livecue: internal error: {type(exc).__name__}: {exc} (set LIVECUE_DEBUG=1 for details)", file=sys.stderr)
    return 1


def _flush_stdout(code: int) -> int:
    """Flush stdout before the interpreter does: a write it cannot finish (a full disk behind ``> out.txt``)
    is one line and exit status 1 here, not Python's "Exception ignored" and 120 at exit."""
    from .sinks import silence

    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:  # `| head` left: as in main
        silence(sys.stdout)
    except (OSError, ValueError) as exc:
        silence(sys.stdout)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"livecue: cannot write the output: {reason}", file=sys.stderr)
        return code or 1
    return code


def entry() -> None:
    """The ``livecue`` command: ``main``, then exit with its status.

    A second Ctrl-C ends a session without waiting for the decode in
    flight.  Exiting through the interpreter's teardown while a pipeline
    thread is inside CTranslate2 or onnxruntime crashes the process
    (segfault, abort), so then the process ends at once, its output flushed
    (the session log is written unbuffered and already closed).
    """
    code = 1
    try:
        try:
            code = main()
        except KeyboardInterrupt:  # Ctrl-C while the arguments were parsed (the subcommands' imports)
            print("livecue: stopped", file=sys.stderr)
            code = 130
        code = _flush_stdout(code)
    finally:  # also when main raises (LIVECUE_DEBUG, a third Ctrl-C): the teardown must not run under a decode
        pipeline = sys.modules.get("livecue.pipeline")  # not imported: no pipeline thread ever ran
        if pipeline is not None and pipeline.workers_busy():
            for stream in (sys.stdout, sys.stderr):
                try:
                    if stream is not None:
                        stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
