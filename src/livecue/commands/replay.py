"""``livecue replay``: a recorded call through the coach, paced like a live call."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..clock import AudioClock, WallClock
from ..errors import LivecueError
from ..options import SessionOptions
from . import common


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", type=Path,
                   help="recording (stereo: channel 0 rep, 1 prospect; mono: one side); - reads it from stdin")
    p.add_argument("--rep", type=Path, help="the rep's side as its own file (with --prospect)")
    p.add_argument("--prospect", type=Path, help="the prospect's side as its own file (with --rep)")
    p.add_argument("--rep-channel", type=int, default=None, help="channel of the rep in FILE (default 0)")
    p.add_argument("--prospect-channel", type=int, default=None, help="channel of the prospect in FILE (default 1)")
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=1.0, help="pace relative to real time (default 1.0)")
    pace.add_argument("--fast", action="store_true", help="as fast as the machine can, on audio time")
    p.add_argument("--play", action="store_true",
                   help="play the call through the default output while it is coached (real time only)")
    common.add_session_arguments(p)


@dataclass(frozen=True)
class ReplayOptions:
    """``livecue replay``'s flags, read once from the namespace."""

    file: Path | None
    rep: Path | None
    prospect: Path | None
    rep_channel: int | None
    prospect_channel: int | None
    speed: float
    fast: bool
    play: bool
    session: SessionOptions

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "ReplayOptions":
        return cls(file=args.file, rep=args.rep, prospect=args.prospect, rep_channel=args.rep_channel,
                   prospect_channel=args.prospect_channel, speed=args.speed, fast=args.fast,
                   play=bool(getattr(args, "play", False)), session=common.session_options(args))


def run(args: argparse.Namespace) -> int:
    from ..audio.files import FileSource, open_call, replay_block_s

    if args.file is None and not (args.rep or args.prospect):
        raise LivecueError("replay needs a recording: livecue replay FILE (or --rep FILE --prospect FILE)")
    if not args.fast and not (0.05 <= args.speed <= 100):
        raise LivecueError("--speed must be between 0.05 and 100")
    if getattr(args, "play", False) and (args.fast or args.speed != 1.0):
        raise LivecueError("--play plays the call at real time: drop --fast / --speed")
    opts = ReplayOptions.from_args(args)
    if opts.file is not None and str(opts.file) == "-":
        # a pipe can't be re-read: decoded whole, its spool file removed at once
        call, opts = load_stdin_call(opts)
    else:
        call = open_call(opts.file, rep=opts.rep, prospect=opts.prospect,
                         rep_channel=opts.rep_channel, prospect_channel=opts.prospect_channel)
        if opts.play:
            call = call.load()  # the player needs the sides in memory
    clock = AudioClock() if opts.fast else WallClock(opts.speed)
    settings = common.settings_for(opts.session.model)
    source = FileSource(call, fast=opts.fast, block_s=replay_block_s(opts.fast, not settings.asr.fast_final_only))
    factory = common.pipeline_factory_for(opts.session.cues, source, clock, mode="replay", fast=opts.fast,
                                          settings=settings)
    player = None
    if opts.play:
        from ..audio.playback import CallPlayer  # imports sounddevice: only with --play

        player = CallPlayer(call.sides, clock)  # silent until the session starts the clock
        player.start()
    try:
        return common.run_session(opts.session, factory, progress_s=call.duration if opts.fast else None)
    finally:
        if player is not None:
            player.close()


def spool_stdin(stream=None) -> Path:
    """Copy stdin to a private (0600) temporary file: decoders want to seek, pipes cannot."""
    stream = stream or sys.stdin.buffer
    fd, name = tempfile.mkstemp(prefix="livecue-stdin-", suffix=".audio")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
    except BaseException as exc:
        os.unlink(name)
        if isinstance(exc, OSError):  # a full temporary directory, a read error: not the output's fault
            raise LivecueError(f"cannot copy the recording from stdin to {tempfile.gettempdir()}: "
                               f"{exc.strerror or exc}") from None
        raise
    return Path(name)


def load_stdin_call(opts: ReplayOptions) -> tuple:
    """``replay -``: the recording comes through a pipe (``cat call.wav | livecue replay -``).

    Returns the call and the options, whose output is plain when the overlay has no keyboard.
    """
    from ..audio.files import load_call

    if opts.rep or opts.prospect:
        raise LivecueError("give either one recording or --rep FILE --prospect FILE, not both")
    if sys.stdin is None or sys.stdin.isatty():
        raise LivecueError("replay -: reads the recording from stdin, but stdin is a terminal; "
                           "pipe a file in (cat call.wav | livecue replay -)")
    path = spool_stdin()
    try:
        call = load_call(path, rep_channel=opts.rep_channel, prospect_channel=opts.prospect_channel)
    except LivecueError as exc:
        raise LivecueError(str(exc).replace(str(path), "stdin"), exc.exit_code) from None
    finally:
        path.unlink(missing_ok=True)
    if opts.session.overlay and not _keyboard_from_terminal():
        opts = replace(opts, session=replace(opts.session, output="plain"))
    return replace(call, description="stdin"), opts


def _keyboard_from_terminal() -> bool:
    """The overlay reads keys from stdin, which the recording used up: take them from the terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        print("livecue: no terminal for the overlay's keys; printing the plain transcript", file=sys.stderr)
        return False
    os.dup2(fd, 0)
    os.close(fd)
    sys.stdin = open(0, "r", closefd=False)  # noqa: SIM115 - stays open for the session
    return True
