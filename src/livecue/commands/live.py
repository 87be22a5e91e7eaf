"""``livecue live``: coach a call as it happens, from two inputs or one multichannel input.

The rep's microphone and the other party's audio are captured as separate
sides (see docs/capture.md for getting the other side as an input) and run
through the same pipeline as ``livecue replay``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import LivecueError
from . import common


def add_arguments(p: argparse.ArgumentParser) -> None:
    # ``--device`` names the audio input here; the model's device option is --compute-device
    p.conflict_handler = "resolve"
    common.add_session_arguments(p)
    model = next((g for g in p._action_groups if g.title == "model"), p)
    model.add_argument("--compute-device", dest="device", choices=["cpu", "cuda", "auto"], default=None,
                       help="inference device for the model (default cpu)")
    g = p.add_argument_group("audio input (see `livecue devices` and docs/capture.md)")
    g.add_argument("--rep-device", metavar="DEV", help="the rep's microphone: index or part of the name")
    g.add_argument("--prospect-device", metavar="DEV",
                   help="the other party's audio (a monitor/loopback input): index or part of the name")
    g.add_argument("--device", dest="input_device", metavar="DEV",
                   help="one multichannel input carrying both sides (with --rep-channel/--prospect-channel)")
    g.add_argument("--rep-channel", type=int, metavar="N",
                   help="the rep's channel, counting from 0 (default 0)")
    g.add_argument("--prospect-channel", type=int, metavar="N",
                   help="the prospect's channel, counting from 0 (default 1 with --device, else 0)")
    g.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    g.add_argument("--record", type=Path, metavar="FILE",
                   help="also write a stereo WAV (rep left, prospect right) that livecue replay can replay")


def run(args: argparse.Namespace) -> int:
    from ..audio.devices import DeviceSource, import_sounddevice, list_input_devices, plan_capture
    from ..clock import WallClock

    if args.duration is not None and not args.duration > 0:
        raise LivecueError("--duration must be a positive number of seconds")
    if args.record is not None and args.record.suffix.lower() not in (".wav", ".wave"):
        raise LivecueError(f"--record writes a WAV file: name it .wav (got {args.record})")
    settings = common.settings_from_args(args)  # a bad config fails before any device opens
    sd = import_sounddevice()
    plans = plan_capture(list_input_devices(sd), rep_device=args.rep_device,
                         prospect_device=args.prospect_device, device=args.input_device,
                         rep_channel=args.rep_channel, prospect_channel=args.prospect_channel)
    clock = WallClock()
    source = DeviceSource(plans, duration_s=args.duration, record_path=args.record, settings=settings.capture,
                          sd=sd)
    try:
        factory = common.pipeline_factory_for(args, source, clock, mode="live", fast=False, settings=settings)
    except BaseException:
        source.close()
        raise
    return common.run_session(args, factory)
