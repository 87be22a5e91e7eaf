"""livecue: a local, real-time call coach."""

import os as _os

__version__ = "0.1.0"

# onnxruntime (Silero VAD, the sentence encoder) sends usage telemetry from its Linux wheels since 1.29
# unless this is set before it starts: livecue promises no network calls.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
