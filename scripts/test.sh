#!/usr/bin/env bash
# Runs every test: unit, snapshot, integration and end-to-end (the real binary in tmux).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
# The end-to-end tests drive the debug binary, so build it before the test bundle runs.
swift build --product sparkplug
exec swift test "$@"
