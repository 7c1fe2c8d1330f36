#!/usr/bin/env bash
# Issue 5, NATS bus: our NATSBus against the nats-py client, side by side in one run, on the same
# nats-server (loopback, JetStream on, started here and stopped by PID). Both measure the same
# two things for 128-byte messages: end-to-end messages/s from a publisher connection to one
# subscriber on another (publishers flush with a PING/PONG every 16,384 messages), and
# sequential request/reply latency p50/p99 (the first tenth of the requests warms up).
# Last, a raw two-socket request/reply loop in plain Python (no client library) gives the floor
# that the server and the kernel set on this machine.
#
#   scripts/bench-bus-nats.sh            # MESSAGES=1000000 REQUESTS=20000 by default
#   SCRATCH=.build-rel scripts/bench-bus-nats.sh   # build (and run) from another scratch path
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${MESSAGES:-1000000}
REQUESTS=${REQUESTS:-20000}
SIZE=${SIZE:-128}

venv="${XDG_CACHE_HOME:-$HOME/.cache}/sparkplug-bench/nats-py-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import nats' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q nats-py
fi

SCRATCH=${SCRATCH:-.build}
[ -n "${SKIP_BUILD:-}" ] || swift build -c release --scratch-path "$SCRATCH" --product sparkplug-bench >/dev/null
bench="$SCRATCH/release/sparkplug-bench"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
nats-server -a 127.0.0.1 -p "$port" -js -sd "$dir" -l "$dir/nats.log" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
deadline=$((SECONDS + 20))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then echo "nats-server did not start" >&2; exit 1; fi
  sleep 0.1
done
url="nats://127.0.0.1:$port"
echo "nats-server $(nats-server --version | awk '{print $2}') at $url; $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"

"$bench" bus-nats --bus "$url" --messages "$MESSAGES" --requests "$REQUESTS" --size "$SIZE"

"$venv/bin/python" - "$url" "$MESSAGES" "$REQUESTS" "$SIZE" <<'PY'
import asyncio, sys, time
import nats

async def main(url, n, requests, size):
    pub = await nats.connect(url)
    sub = await nats.connect(url)
    payload = b"x" * size
    done = asyncio.Event()
    count = 0

    async def on_message(msg):
        nonlocal count
        count += 1
        if count == n:
            done.set()

    await sub.subscribe("bench.py.e2e", cb=on_message, pending_msgs_limit=n + 1, pending_bytes_limit=(size + 64) * (n + 1))
    await sub.flush()
    start = time.perf_counter()
    for i in range(n):
        await pub.publish("bench.py.e2e", payload)
        if i % 16384 == 16383:
            await pub.flush()
    await pub.flush()
    await asyncio.wait_for(done.wait(), timeout=300)
    seconds = time.perf_counter() - start

    async def respond(msg):
        await msg.respond(msg.data)

    await sub.subscribe("bench.py.rr", cb=respond)
    await sub.flush()
    latencies = []
    warmup = requests // 10
    for i in range(requests + warmup):
        t0 = time.perf_counter()
        await pub.request("bench.py.rr", payload, timeout=5)
        if i >= warmup:
            latencies.append((time.perf_counter() - t0) * 1e6)
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"nats-py {nats.aio.client.__version__}   {url}  {size}-byte messages")
    print(f"  end-to-end, 1 subscriber: {n / seconds:.0f} msg/s ({n} messages in {seconds:.3f} s)")
    print(f"  request/reply: p50 {p50:.1f} µs  p99 {p99:.1f} µs  ({len(latencies)} requests)")
    await pub.close()
    await sub.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
PY

# The floor under both clients: one thread, two plain sockets, blocking reads, no client
# library. What is left of a round trip here is the server and the kernel on this machine.
python3 - "$port" "$REQUESTS" "$SIZE" <<'PY'
import socket, sys, time

port, requests, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def connect():
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.recv(4096)  # INFO
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n')
    until(s, b"PONG")
    return s

def until(s, marker):
    data = b""
    while marker not in data:
        data += s.recv(65536)

def read_msg(s):
    data = b""
    while not (data.endswith(b"\r\n") and data.count(b"\r\n") >= 2):
        data += s.recv(65536)

requester, responder = connect(), connect()
responder.sendall(b"SUB floor.rr 1\r\nPING\r\n"); until(responder, b"PONG")
requester.sendall(b"SUB _INBOX.floor 1\r\nPING\r\n"); until(requester, b"PONG")
payload = b"x" * size
request = b"PUB floor.rr _INBOX.floor %d\r\n" % size + payload + b"\r\n"
reply = b"PUB _INBOX.floor %d\r\n" % size + payload + b"\r\n"
latencies = []
warmup = requests // 10
for i in range(requests + warmup):
    t0 = time.perf_counter()
    requester.sendall(request)
    read_msg(responder)
    responder.sendall(reply)
    read_msg(requester)
    if i >= warmup:
        latencies.append((time.perf_counter() - t0) * 1e6)
latencies.sort()
print(f"raw sockets (floor)   one thread, blocking reads, {size}-byte messages")
print(f"  request/reply: p50 {latencies[len(latencies) // 2]:.1f} µs  p99 {latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:.1f} µs  ({len(latencies)} requests)")
PY
