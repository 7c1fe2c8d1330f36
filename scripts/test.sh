#!/usr/bin/env bash
# Runs every test: unit, snapshot, integration (the local model server included) and
# end-to-end (the real binary in tmux).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
# The end-to-end tests drive the debug binary, so build it before the test bundle runs.
swift build --product sparkplug
bin=.build/debug/sparkplug

# The local model (llama.cpp + SmolLM2-135M): installed once (idempotent, fast when it is there),
# then served on a free loopback port for the live-model tests. The server gets its own data
# dir (so a server the user runs is left alone) that borrows the installed venv.
"$bin" model install
data_dir="${SPARKPLUG_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/sparkplug}"
test_home=$(mktemp -d)
mkdir -p "$test_home/model"
ln -s "$data_dir/model/venv" "$test_home/model/venv"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SPARKPLUG_HOME="$test_home" "$bin" model serve --port "$port" >"$test_home/serve.out" 2>&1 &
serve_pid=$!
stop_model() {
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  rm -rf "$test_home"
}
trap stop_model EXIT

deadline=$((SECONDS + 90))
until SPARKPLUG_HOME="$test_home" "$bin" model status >/dev/null 2>&1; do
  if ! kill -0 "$serve_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "test: the local model server did not answer /health on 127.0.0.1:$port within 90 s:" >&2
    cat "$test_home/serve.out" >&2
    tail -n 20 "$test_home/model/server.log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.5
done
export SPARKPLUG_TEST_MODEL_URL="http://127.0.0.1:$port"
echo "test: local model server at $SPARKPLUG_TEST_MODEL_URL (pid $serve_pid)"

# Not exec: the trap must stop the server. It prints nothing, so swift test's summary stays last.
status=0
swift test "$@" || status=$?
exit "$status"
