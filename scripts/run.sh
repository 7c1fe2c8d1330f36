#!/usr/bin/env bash
# Builds SparkPlug (release) and opens the dashboard on its embedded defaults.
# Extra arguments go to sparkplug: scripts/run.sh monitor --once --json
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh run
if ! log=$(swift build -c release --product sparkplug 2>&1); then
  echo "$log" >&2
  echo "run: the release build failed (output above)" >&2
  exit 1
fi
exec .build/release/sparkplug "$@"
