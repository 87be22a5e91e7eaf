"""``SECTION.KEY=VALUE`` overrides used by the benchmark scripts' --set."""

import pytest

from livecue.config import Settings
from livecue.errors import LivecueError
from livecue.setting_overrides import apply_overrides


def test_overrides_cast_to_the_settings_own_types():
    s = apply_overrides(Settings(), ["asr.min_decode_s=0.6", "asr.fast_final_only=false", "vad.min_speech_ms=120",
                                     "asr.vocab=Acme, Northwind"])
    assert s.asr.min_decode_s == 0.6 and s.asr.fast_final_only is False
    assert s.vad.min_speech_ms == 120 and s.asr.vocab == ("Acme", "Northwind")
    assert Settings().asr.min_decode_s != 0.6  # the defaults are untouched


@pytest.mark.parametrize("spec, says", [
    ("asr.min_decod_s=0.4", "did you mean 'min_decode_s'"),
    ("asrr.beam_size=5", "did you mean 'asr'"),
    ("asr.beam_size=five", "not an int"),
    ("asr.beam_size=50", "between 1 and 20"),
    ("asr.fast_final_only=maybe", "not a bool"),
    ("beam_size=5", "SECTION.KEY=VALUE"),
])
def test_bad_overrides_are_one_line_errors(spec, says):
    with pytest.raises(LivecueError) as err:
        apply_overrides(Settings(), [spec])
    assert says in str(err.value) and "\n" not in str(err.value)
