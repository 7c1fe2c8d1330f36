#!/usr/bin/env bash
# Builds SparkPlug (release) and opens the dashboard on its embedded defaults.
# Extra arguments go to sparkplug: scripts/run.sh monitor --once --json
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh run
swift build -c release --product sparkplug 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' >&2 || true
exec .build/release/sparkplug "$@"
