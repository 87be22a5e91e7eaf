"""What ``live`` and ``replay`` share: options, settings, stages, sinks, output.

Integration points (one function each, so the pieces plug in without
touching each other):
- ``session_options`` / ``model_options`` / ``cue_options``: the namespace read once into the
  typed records of ``livecue.options``; nothing below the commands sees the namespace;
- ``build_stages``: the cue stage (signals + detector) after the transcriber;
- ``build_sinks``: stdout (plain/json) and the session log;
- ``run_session``: the overlay by default, or the plain/json loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

from ..config import AsrSettings, Settings, discover_config, load_settings
from ..errors import LivecueError
from ..options import CueOptions, ModelOptions, SessionOptions
from ..private_files import private_dirs
from ..sinks import JsonSink, PlainSink, Sink


COMPUTE_DEVICES = AsrSettings.CHOICES["device"]



class DeprecatedAlias(argparse.Action):
    """An old spelling that still works, with a one-line note on stderr naming the new one."""

    def __init__(self, option_strings, dest, new: str, **kwargs) -> None:
        kwargs["help"] = argparse.SUPPRESS
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"livecue: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_model_arguments(p: argparse.ArgumentParser, *, legacy_input_device: bool = False) -> None:
    """The model options, the same in every command: ``--device`` is always the compute device.

    ``legacy_input_device``: ``live`` once took ``--device`` for the audio input, so
    there it accepts any value and ``live`` moves a non-compute value to ``--input``.
    """
    g = p.add_argument_group("model")
    g.add_argument("--model", default=None,
                   help="model directory, a name under models/, or a size name such as base.en "
                        "(downloaded only on request); default: the bundled tiny.en")
    g.add_argument("--device", choices=None if legacy_input_device else COMPUTE_DEVICES, default=None,
                   metavar="{cpu,cuda,auto}", help="compute device for the model (default cpu)")
    g.add_argument("--compute-device", dest="device", choices=COMPUTE_DEVICES, action=DeprecatedAlias,
                   new="--device")
    g.add_argument("--compute-type", default=None, help="CTranslate2 compute type (default int8 on CPU, float16 on CUDA)")
    g.add_argument("--threads", type=int, default=None, help="CPU threads for the model (default: all cores)")
    g.add_argument("--config", type=Path, default=None,
                   help="settings file (TOML); default: $LIVECUE_CONFIG, else config.toml in the user config "
                        "directory if present")


def add_session_arguments(p: argparse.ArgumentParser, *, legacy_input_device: bool = False) -> None:
    add_model_arguments(p, legacy_input_device=legacy_input_device)
    out = p.add_argument_group("output")
    mode = out.add_mutually_exclusive_group()
    mode.add_argument("--plain", action="store_true", help="readable transcript and cues on stdout")
    mode.add_argument("--json", action="store_true", help="one JSON event per line on stdout")
    out.add_argument("--compact", action="store_true", help="overlay: compact layout for a small terminal")
    out.add_argument("--bell", action="store_true", help="overlay: ring the terminal bell on a new card")
    cues = p.add_argument_group("cues")
    cues.add_argument("--rules", type=Path, default=None,
                      help="cue rules directory (default: the shipped rules, shadowed by the user rules directory)")
    cues.add_argument("--profile", type=Path, default=None, help="rep profile TOML (hot buttons, benefit)")
    cues.add_argument("--no-cues", action="store_true", help="transcribe only")
    p.add_argument("--vocab", default=None, help='comma-separated names to bias towards, e.g. "Acme, Northwind"')
    log = p.add_mutually_exclusive_group()
    log.add_argument("--log", metavar="FILE", default=None,
                     help="session log file or directory (default: a new file in livecue's user data directory)")
    log.add_argument("--no-log", action="store_true", help="write no session log")


def _log_directory(path: Path) -> None:
    try:
        private_dirs(path)
    except OSError as exc:
        raise LivecueError(f"cannot create the log directory {path}: {exc.strerror or exc}") from None


def check_threads(threads: int | None) -> None:
    """``--threads`` in the settings file's range (``[asr] threads``), checked before a model sees it:
    CTranslate2 crashes on a count the machine cannot start, and wraps one past 2**31."""
    low, high = AsrSettings.RANGES["threads"]
    if threads is not None and not low <= threads <= high:
        raise LivecueError(f"--threads must be between {low:g} (all cores) and {high:g}")


def model_options(args: argparse.Namespace) -> ModelOptions:
    """The model flags of any command that has them (``add_model_arguments``)."""
    threads = getattr(args, "threads", None)
    check_threads(threads)
    vocab = getattr(args, "vocab", None) or ""
    return ModelOptions(model=getattr(args, "model", None) or None, device=getattr(args, "device", None) or None,
                        compute_type=getattr(args, "compute_type", None) or None, threads=threads,
                        config=getattr(args, "config", None),
                        vocab=tuple(v.strip() for v in vocab.split(",") if v.strip()))


def cue_options(args: argparse.Namespace) -> CueOptions:
    """``--rules``, ``--profile`` and ``--no-cues``."""
    return CueOptions(rules=getattr(args, "rules", None), profile=getattr(args, "profile", None),
                      enabled=not getattr(args, "no_cues", False))


def source_label(args: argparse.Namespace) -> str:
    """What is being coached, as the command line named it (the started record has the rest)."""
    if getattr(args, "file", None):
        return str(args.file)
    for rep, prospect in (("rep", "prospect"), ("rep_device", "prospect_device")):
        sides = [f"{side.split('_')[0]} {getattr(args, side)}" for side in (rep, prospect) if getattr(args, side, None)]
        if sides:
            return " + ".join(sides)
    device = getattr(args, "input_device", None)
    return f"device {device}" if device else ""


def session_options(args: argparse.Namespace, argv: list[str] | tuple[str, ...] | None = None) -> SessionOptions:
    """A ``replay`` or ``live`` session's options (``add_session_arguments``), read once from the namespace."""
    log = getattr(args, "log", None)
    if log and log.endswith(("/", os.sep)) and not getattr(args, "no_log", False):
        _log_directory(Path(log))  # "--log logs/": a directory, as the help says, even before it exists
    return SessionOptions(
        command=getattr(args, "command", None) or "",
        source=source_label(args),
        model=model_options(args),
        cues=cue_options(args),
        output="json" if getattr(args, "json", False) else "plain" if getattr(args, "plain", False) else "overlay",
        compact=bool(getattr(args, "compact", False)),
        bell=bool(getattr(args, "bell", False)),
        log=Path(log) if log else None,
        write_log=not getattr(args, "no_log", False),
        argv=tuple(str(a) for a in (sys.argv[1:] if argv is None else argv)),
    )


def settings_for(model: ModelOptions) -> Settings:
    """The settings file (``--config``, ``$LIVECUE_CONFIG``, the user's) with the model flags on top."""
    settings = load_settings(discover_config(model.config))
    asr = settings.asr
    if model.model:
        asr = replace(asr, model=model.model)
    if model.device:
        asr = replace(asr, device=model.device)
    if model.compute_type:
        asr = replace(asr, compute_type=model.compute_type)
    if model.threads is not None:
        asr = replace(asr, threads=model.threads)
    if model.vocab:
        asr = replace(asr, vocab=model.vocab)
    return replace(settings, asr=asr)


def settings_from_args(args: argparse.Namespace) -> Settings:
    return settings_for(model_options(args))


def build_stages(cues: CueOptions, clock, settings: Settings | None = None) -> list:
    """Stages after the transcriber: the cue engine (signals + detector)."""
    if not cues.enabled:
        return []
    from ..cues.stage import build_cue_stage

    return [build_cue_stage(cues.rules, cues.profile, clock, settings=settings)]


def abandon_logs(sinks: list) -> None:
    from ..session.log import SessionLog

    for sink in sinks:
        if isinstance(sink, SessionLog):
            sink.abandon()


def build_sinks(options: SessionOptions, stream=None) -> list[Sink]:
    sinks: list[Sink] = []
    if options.output == "json":
        sinks.append(JsonSink(stream))
    elif options.output == "plain":
        sinks.append(PlainSink(stream))
    if options.write_log:
        from datetime import datetime

        from ..session.log import open_session_log

        sinks.append(open_session_log(options, datetime.now().astimezone()))
    return sinks


def run_session(options: SessionOptions, pipeline_factory, stop: threading.Event | None = None, *,
                progress_s: float | None = None) -> int:
    """Run a session to its end with the chosen output.

    ``pipeline_factory(sinks)`` builds the Pipeline; the overlay adds its own sink.
    ``progress_s``: the call's length, for a transient progress bar on stderr with
    --plain/--json when stderr is a terminal.
    """
    stop = stop or threading.Event()
    run_overlay = None
    if options.overlay:
        try:
            from ..ui.app import pick_theme, run_overlay
        except ImportError as exc:  # Textual missing or broken: the transcript still matters
            print(f"livecue: the overlay is unavailable ({exc}); printing the plain transcript "
                  f"(pip install textual)", file=sys.stderr)
    screen = (sys.stdout.isatty() and sys.stdin.isatty() and sys.__stderr__ is not None
              and sys.__stderr__.isatty())
    if run_overlay is not None and screen:
        pick_theme()  # a bad LIVECUE_THEME is refused before a session log is opened
    progress = _call_progress(options, progress_s)
    stream = progress.stdout() if progress is not None and sys.stdout.isatty() else None
    sinks = ([progress] if progress is not None else []) + build_sinks(options, stream)
    try:
        return _run_with_sinks(options, pipeline_factory, stop, sinks, progress, run_overlay, screen)
    except BaseException:
        abandon_logs(sinks)  # stopped or failed while the session was built: no settings-only log left
        raise


def _run_with_sinks(options: SessionOptions, pipeline_factory, stop: threading.Event, sinks: list, progress,
                    run_overlay, screen: bool) -> int:
    """``run_session`` once its sinks (and session log) exist."""
    from ..termination import stop_on_signals

    if options.overlay:
        if run_overlay is None:
            sinks.append(PlainSink())
        else:
            # the full-screen overlay reads Ctrl-C as a key; SIGTERM/SIGHUP set the stop event,
            # which the overlay watches.  Without a terminal it prints the plain transcript and
            # stops gracefully, as below.
            names = ("SIGTERM", "SIGHUP") if screen else ("SIGTERM", "SIGHUP", "SIGINT")
            with stop_on_signals(stop, names, repeat_interrupts=False) as received:
                code = run_overlay(options, pipeline_factory, sinks, stop, received)
            return _stopped_by(received) or code
    try:
        pipeline = pipeline_factory(sinks)
    except BaseException:
        if progress is not None:
            progress.close()
        raise
    try:
        with stop_on_signals(stop) as received:
            try:
                pipeline.run(stop)  # closes the session itself: finishes the utterance, writes `ended`
            except KeyboardInterrupt:  # the same signal twice: closed without the final decode
                return _stopped_by(received) or 130
    finally:
        if progress is not None:
            progress.close()  # idempotent: the pipeline closed it already unless it failed
    return _stopped_by(received)


def _stopped_by(received: list[str]) -> int:
    from ..termination import exit_status

    if received:
        print(f"livecue: stopped by {received[0]}; the session was closed", file=sys.stderr)
    return exit_status(received)


def _call_progress(options: SessionOptions, duration_s: float | None):
    if not duration_s or options.overlay:
        return None
    from .progress import CallProgress, stderr_is_terminal

    if not stderr_is_terminal():
        return None
    try:
        return CallProgress(duration_s)
    except ImportError:  # rich comes with Textual; without it there is simply no bar
        return None


def pipeline_factory_for(cues: CueOptions, source, clock, *, settings: Settings, mode: str = "replay",
                         fast: bool = False, engine=None):
    """A ``sinks -> Pipeline`` factory for ``run_session``; loads the model once."""
    from ..asr.whisper import load_engine
    from ..pipeline import Pipeline, build_transcriber

    engine = engine or load_engine(settings.asr)

    def factory(sinks: list[Sink]):
        transcriber = build_transcriber(engine, source.speakers, settings, clock, fast)
        return Pipeline(source, transcriber, build_stages(cues, clock, settings), sinks, clock,
                        model_label=engine.label, mode=mode)

    return factory
