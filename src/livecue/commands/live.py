"""``livecue live``: coach a call as it happens, from two inputs or one multichannel input.

The rep's microphone and the other party's audio are captured as separate
sides (see docs/capture.md, shipped as livecue/_docs/capture.md, for getting the other side as an input) and run
through the same pipeline as ``livecue replay``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from ..docs import see
from ..errors import LivecueError
from ..options import SessionOptions
from . import common


EPILOG = """examples:
  livecue devices                                        list the inputs first
  livecue live --rep-input "USB headset" --prospect-input BlackHole
  livecue live --input "Scarlett" --rep-channel 0 --prospect-channel 1 --record call.wav
  livecue live --rep-input 2 --prospect-input 5 --plain --device cuda

The other side of a call as an input (loopback, monitor, BlackHole):
  {capture}
exit codes: 0 ended, 2 bad option or settings, 3 model problem, 4 audio device problem, 130 interrupted
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG.format(capture=see("capture.md"))
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    common.add_session_arguments(p, legacy_input_device=True)
    g = p.add_argument_group("audio input (see `livecue devices` and capture.md, below)")
    g.add_argument("--rep-input", dest="rep_device", metavar="DEV",
                   help="the rep's microphone: index or part of the name")
    g.add_argument("--prospect-input", dest="prospect_device", metavar="DEV",
                   help="the other party's audio (a monitor/loopback input): index or part of the name")
    g.add_argument("--input", dest="input_device", metavar="DEV",
                   help="one multichannel input carrying both sides (with --rep-channel/--prospect-channel)")
    g.add_argument("--rep-device", dest="rep_device", action=common.DeprecatedAlias, new="--rep-input")
    g.add_argument("--prospect-device", dest="prospect_device", action=common.DeprecatedAlias, new="--prospect-input")
    g.add_argument("--rep-channel", type=int, metavar="N",
                   help="the rep's channel, counting from 0 (default 0)")
    g.add_argument("--prospect-channel", type=int, metavar="N",
                   help="the prospect's channel, counting from 0 (default 1 with --input, else 0)")
    g.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    g.add_argument("--record", type=Path, metavar="FILE",
                   help="also write a stereo WAV (rep left, prospect right) that livecue replay can replay")


def legacy_device(args: argparse.Namespace) -> None:
    """``live --device DEV`` once named the audio input: keep that working, with a note."""
    if args.device is None or args.device in common.COMPUTE_DEVICES:
        return
    if args.input_device is not None:
        raise LivecueError(f"--device takes cpu, cuda or auto (got {args.device!r}); the audio input is --input")
    print(f"livecue: --device for the audio input is deprecated; use --input {args.device}", file=sys.stderr)
    args.input_device, args.device = args.device, None


@dataclass(frozen=True)
class LiveOptions:
    """``livecue live``'s flags, read once from the namespace (after ``legacy_device``)."""

    rep_device: str | None
    prospect_device: str | None
    input_device: str | None
    rep_channel: int | None
    prospect_channel: int | None
    duration_s: float | None
    record: Path | None
    session: SessionOptions

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "LiveOptions":
        return cls(rep_device=args.rep_device, prospect_device=args.prospect_device, input_device=args.input_device,
                   rep_channel=args.rep_channel, prospect_channel=args.prospect_channel, duration_s=args.duration,
                   record=args.record, session=common.session_options(args))


def run(args: argparse.Namespace) -> int:
    from ..audio.devices import DeviceSource, import_sounddevice, list_input_devices, plan_capture
    from ..clock import WallClock

    legacy_device(args)
    if args.duration is not None and not args.duration > 0:
        raise LivecueError("--duration must be a positive number of seconds")
    if args.record is not None and args.record.suffix.lower() not in (".wav", ".wave"):
        raise LivecueError(f"--record writes a WAV file: name it .wav (got {args.record})")
    opts = LiveOptions.from_args(args)
    settings = common.settings_for(opts.session.model)  # a bad config fails before any device opens
    sd = import_sounddevice()
    plans = plan_capture(list_input_devices(sd), rep_device=opts.rep_device,
                         prospect_device=opts.prospect_device, device=opts.input_device,
                         rep_channel=opts.rep_channel, prospect_channel=opts.prospect_channel)
    clock = WallClock()
    source = DeviceSource(plans, duration_s=opts.duration_s, record_path=opts.record, settings=settings.capture,
                          sd=sd)
    try:
        factory = common.pipeline_factory_for(opts.session.cues, source, clock, mode="live", fast=False,
                                              settings=settings)
    except BaseException:
        source.close()
        raise
    return common.run_session(opts.session, factory)
