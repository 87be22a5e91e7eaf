"""The core imports no heavy dependency: replay and eval run without PortAudio or Textual."""

import subprocess
import sys

from conftest import ROOT, SAMPLE_CALL, run_cli

CORE = ["livecue.events", "livecue.audio_facts", "livecue.sources", "livecue.clock", "livecue.config",
        "livecue.pipeline", "livecue.sinks",
        "livecue.audio.files", "livecue.vad.gate", "livecue.asr.agreement", "livecue.asr.streaming",
        "livecue.commands.replay", "livecue.commands.common", "livecue.cli",
        "livecue.commands.batch", "livecue.commands.summary", "livecue.library.runner",
        "livecue.library.local_pool", "livecue.library.work", "livecue.library.summary"]
HEAVY = ["textual", "sounddevice", "onnxruntime", "faster_whisper", "ctranslate2", "ray"]


def test_core_modules_import_no_heavy_dependency():
    code = ("import sys\n"
            f"for m in {CORE!r}: __import__(m)\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "src")}, check=True)
    assert out.stdout.strip() == "[]"


def blocked_imports_env(tmp_path, *packages: str) -> dict:
    """An environment whose Python cannot import ``packages`` (a sitecustomize hook)."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {packages!r}:\n"
        "            raise ImportError('blocked for the test: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n")
    return {"PYTHONPATH": f"{tmp_path}:{ROOT / 'src'}"}


def test_replay_works_where_sounddevice_and_textual_cannot_be_imported(tmp_path):
    result = run_cli("replay", str(SAMPLE_CALL), "--fast", "--plain", "--no-cues",
                     env=blocked_imports_env(tmp_path, "sounddevice", "textual"))
    assert result.returncode == 0, result.stderr
    assert "PROSPECT:" in result.stdout


def test_without_textual_the_default_output_falls_back_to_plain(tmp_path):
    result = run_cli("replay", str(SAMPLE_CALL), "--fast", "--no-cues", "--no-log",
                     env=blocked_imports_env(tmp_path, "textual"))
    assert result.returncode == 0, result.stderr
    assert "overlay is unavailable" in result.stderr and "Traceback" not in result.stderr
    assert "PROSPECT:" in result.stdout
