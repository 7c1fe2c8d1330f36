#!/usr/bin/env bash
# Builds SparkPlug (release), installs and starts the local model server (llama.cpp +
# SmolLM2-135M, in the background, left running; `sparkplug model stop` stops it), and opens
# the dashboard on its embedded defaults.
# Extra arguments go to sparkplug: scripts/run.sh monitor --once --json
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh run
if ! log=$(swift build -c release --product sparkplug 2>&1); then
  echo "$log" >&2
  echo "run: the release build failed (output above)" >&2
  exit 1
fi
bin=.build/release/sparkplug
# Idempotent: seconds when installed; the first install compiles llama.cpp (7–12 minutes on 2 cores).
"$bin" model install
if ! "$bin" model status >/dev/null 2>&1; then
  "$bin" model serve --detach || echo "run: the local model server did not start; the dashboard opens without it" >&2
fi
exec "$bin" "$@"
