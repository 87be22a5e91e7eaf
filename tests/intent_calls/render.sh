#!/bin/sh
# Render the audio of these labelled calls from their scenarios (the JSON
# labels are committed; the WAVs are not).  Needs sox and espeak-ng, and
# ../shared/tools/make_call.py beside the project.  Each call's cue can fire
# only through an intent trigger: they measure an intent cue's paced latency
# (docs/benchmarks.md, "Issue 11, third pass").
set -e
here=$(cd "$(dirname "$0")" && pwd)
tool=${MAKE_CALL:-$here/../../../shared/tools/make_call.py}
python=${PYTHON:-python3}
for scenario in "$here"/scenarios/*.toml; do
    "$python" "$tool" "$scenario" "$here"
done
