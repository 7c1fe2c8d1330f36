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
server_pids=()
stop_servers() {
  for pid in "$serve_pid" "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$serve_pid" "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$test_home"
}
trap stop_servers EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { # NAME PORT PID LOG: waits until the port answers, or says why not
  local deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; do
    if ! kill -0 "$3" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "test: $1 did not answer on 127.0.0.1:$2 within 30 s:" >&2
      tail -n 20 "$4" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

# Redis and NATS (JetStream on) for the bus tests, on loopback, each with its own data dir.
redis_port=$(free_port)
mkdir -p "$test_home/redis"
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$test_home/redis" --save "" --appendonly no \
  --daemonize no --logfile "$test_home/redis/redis.log" &
server_pids+=($!)
wait_port redis-server "$redis_port" "$!" "$test_home/redis/redis.log"
nats_port=$(free_port)
mkdir -p "$test_home/nats"
nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$test_home/nats" -l "$test_home/nats/nats.log" &
server_pids+=($!)
wait_port nats-server "$nats_port" "$!" "$test_home/nats/nats.log"
export SPARKPLUG_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
export SPARKPLUG_TEST_NATS_URL="nats://127.0.0.1:$nats_port"
echo "test: redis-server at $SPARKPLUG_TEST_REDIS_URL, nats-server at $SPARKPLUG_TEST_NATS_URL"

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
