"""Without a terminal the overlay cannot draw: print the plain transcript instead, and finish the session."""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable


def run_plain(pipeline_factory: Callable[[list], Any], sinks: list, stop: threading.Event) -> int:
    """Run the session with a plain transcript on stdout; returns the exit status."""
    from ..sinks import PlainSink

    print("livecue: not a terminal; printing the plain transcript (choose with --plain or --json)",
          file=sys.stderr)
    sinks.append(PlainSink())
    pipeline = pipeline_factory(sinks)
    try:
        pipeline.run(stop)
    except KeyboardInterrupt:
        stop.set()
        pipeline.finish("stopped")
        return 130
    return 0
