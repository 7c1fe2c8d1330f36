#!/usr/bin/env bash
# The Redis bus against its peers, in one run, on one private redis-server on loopback:
#   - sparkplug-bench bus-redis (release build): publish throughput (128-byte messages),
#     publish->subscriber p50/p99, request/reply p50/p99;
#   - redis-benchmark: PUBLISH of a 128-byte message, -P 1, with 50 clients and with 1;
#   - redis-py (pip `redis` in a venv under ~/.cache): publish->subscriber p50/p99, one at a time.
# Usage: scripts/bench-bus-redis.sh [ROUNDS]   (default 5000 latency rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5000}
config=${CONFIG:-release}  # CONFIG=debug only to try the script; figures come from release
[ -n "${SKIP_BUILD:-}" ] || swift build -c "$config" --product sparkplug-bench >/dev/null
venv="${XDG_CACHE_HOME:-$HOME/.cache}/sparkplug-bench-redis-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import redis' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q redis
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no --daemonize no \
  --logfile "$dir/redis.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/') on 127.0.0.1:$port; $(nproc) CPUs"
echo

echo "== sparkplug-bench bus-redis"
.build/"$config"/sparkplug-bench bus-redis --bus "redis://127.0.0.1:$port" --rounds "$rounds"
echo

payload=$(printf 'a%.0s' $(seq 128))
echo "== redis-benchmark PUBLISH (128-byte message, -P 1)"
printf '50 clients: '; redis-benchmark -p "$port" -q -n 200000 -P 1 -c 50 publish bench.rb "$payload" | tr '\r' '\n' | tail -n 1
printf '1 client:   '; redis-benchmark -p "$port" -q -n 100000 -P 1 -c 1 publish bench.rb "$payload" | tr '\r' '\n' | tail -n 1
echo

echo "== redis-py $("$venv/bin/python" -c 'import redis; print(redis.__version__)') publish->subscriber"
"$venv/bin/python" - "$port" "$rounds" <<'PY'
import sys, time, redis
port, rounds = int(sys.argv[1]), int(sys.argv[2])
pub = redis.Redis(host="127.0.0.1", port=port)
sub = redis.Redis(host="127.0.0.1", port=port).pubsub(ignore_subscribe_messages=True)
sub.subscribe("bench.py")
while sub.get_message(timeout=1.0) is None and not sub.subscribed:
    pass
payload = b"a" * 128
samples = []
for r in range(rounds + 200):
    t0 = time.perf_counter()
    pub.publish("bench.py", payload)
    while True:
        m = sub.get_message(timeout=5.0)
        if m is not None and m["type"] == "message":
            break
    if r >= 200:
        samples.append((time.perf_counter() - t0) * 1e6)
samples.sort()
p = lambda q: samples[min(len(samples) - 1, int((len(samples) - 1) * q + 0.5))]
print(f"publish->subscriber:    p50 {p(0.5):7.1f} µs  p99 {p(0.99):7.1f} µs ({len(samples)} rounds)")
n = 20000
t0 = time.perf_counter()
for _ in range(n):
    pub.publish("bench.py.tp", payload)
print(f"publish, 1 in flight:   {n / (time.perf_counter() - t0):10.0f} msg/s ({n} messages)")
PY
