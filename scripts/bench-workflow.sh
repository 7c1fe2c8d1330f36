#!/usr/bin/env bash
# Issue 6, graph workflows: our StateGraph against LangGraph, side by side in one run, on the same
# three graphs with trivial nodes (see Sources/SparkBench/WorkflowBench.swift):
#   3-node chain invoked INVOCATIONS times; a CHAIN-node chain; a FANOUT-way Send fan-out into an
#   append (list) reducer. Each without a checkpointer and with one: ours in-memory and SQLite (a
#   temporary file, a checkpoint committed after every step); LangGraph's InMemorySaver and, when
#   `langgraph-checkpoint-sqlite` installs, SqliteSaver. Both print µs per super-step.
#
#   scripts/bench-workflow.sh                 # INVOCATIONS=2000 CHAIN=100 CHAIN_RUNS=100 FANOUT=50 FANOUT_RUNS=200
#   scripts/bench-workflow.sh --no-build      # use the existing release binary
#   SCRATCH=.build-rel scripts/bench-workflow.sh
set -euo pipefail
cd "$(dirname "$0")/.."
INVOCATIONS=${INVOCATIONS:-2000}
CHAIN=${CHAIN:-100}
CHAIN_RUNS=${CHAIN_RUNS:-100}
FANOUT=${FANOUT:-50}
FANOUT_RUNS=${FANOUT_RUNS:-200}
SCRATCH=${SCRATCH:-.build}
build=1
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    *) echo "unknown argument $a" >&2; exit 2 ;;
  esac
done

venv="${XDG_CACHE_HOME:-$HOME/.cache}/sparkplug-bench/langgraph-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import langgraph' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q langgraph
fi
if ! "$venv/bin/python" -c 'import langgraph.checkpoint.sqlite' 2>/dev/null; then
  "$venv/bin/pip" install -q langgraph-checkpoint-sqlite || echo "langgraph-checkpoint-sqlite did not install; SqliteSaver skipped" >&2
fi

if [[ $build == 1 ]]; then swift build -c release --scratch-path "$SCRATCH" --product sparkplug-bench >/dev/null; fi
bench="$SCRATCH/release/sparkplug-bench"

echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "== SparkPlug =="
"$bench" workflow --invocations "$INVOCATIONS" --chain "$CHAIN" --chain-runs "$CHAIN_RUNS" --fanout "$FANOUT" --fanout-runs "$FANOUT_RUNS"
echo
echo "== LangGraph $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("langgraph"))') (Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())')) =="
"$venv/bin/python" - "$INVOCATIONS" "$CHAIN" "$CHAIN_RUNS" "$FANOUT" "$FANOUT_RUNS" <<'PY'
import operator, os, sqlite3, statistics, sys, tempfile, time
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from langgraph.checkpoint.memory import InMemorySaver

try:
    from langgraph.checkpoint.sqlite import SqliteSaver
except ImportError:
    SqliteSaver = None

invocations, chain, chain_runs, fanout, fanout_runs = map(int, sys.argv[1:6])


class Count(TypedDict):
    count: Annotated[float, operator.add]


def chain_graph(n):
    g = StateGraph(Count)
    prev = START
    for i in range(n):
        name = f"n{i}"
        g.add_node(name, lambda s: {"count": 1})
        g.add_edge(prev, name)
        prev = name
    g.add_edge(prev, END)
    return g


class Fan(TypedDict):
    results: Annotated[list, operator.add]
    done: bool


def fan_graph(width):
    g = StateGraph(Fan)
    g.add_node("fan", lambda s: {})
    g.add_node("work", lambda item: {"results": [item]})
    g.add_node("join", lambda s: {"done": True})
    g.add_edge(START, "fan")
    g.add_conditional_edges("fan", lambda s: [Send("work", float(i)) for i in range(width)], ["work"])
    g.add_edge("work", "join")
    g.add_edge("join", END)
    return g


def measure(name, builder, inputs, runs, steps, saver_name):
    tmp = None
    conn = None
    if saver_name == "InMemorySaver":
        saver = InMemorySaver()
    elif saver_name == "SqliteSaver":
        tmp = tempfile.mkdtemp()
        conn = sqlite3.connect(os.path.join(tmp, "lg.sqlite"), check_same_thread=False)
        saver = SqliteSaver(conn)
    else:
        saver = None
    graph = builder.compile(checkpointer=saver)
    def config(tag, i):
        c = {"recursion_limit": steps + 5}
        if saver is not None:
            c["configurable"] = {"thread_id": f"{tag}-{i}"}
        return c
    for i in range(max(1, runs // 10)):
        graph.invoke(inputs, config(f"warm", i))
    times = []
    start = time.perf_counter()
    for i in range(runs):
        t0 = time.perf_counter()
        graph.invoke(inputs, config("t", i))
        times.append((time.perf_counter() - t0) * 1e6)
    total = (time.perf_counter() - start) * 1e6
    if conn is not None:
        conn.close()
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(round(q * (len(times) - 1))))]
    return [name, saver_name, str(runs), str(steps), f"{total / (runs * steps):.2f}", f"{p(0.5):.1f}", f"{p(0.99):.1f}", f"{statistics.mean(times):.1f}"]


savers = ["none", "InMemorySaver"] + (["SqliteSaver"] if SqliteSaver else [])
rows = []
for s in savers:
    rows.append(measure(f"3-node x{invocations}", chain_graph(3), {"count": 0}, invocations, 3, s))
    rows.append(measure(f"chain {chain}", chain_graph(chain), {"count": 0}, chain_runs, chain, s))
    rows.append(measure(f"fan-out {fanout}", fan_graph(fanout), {"results": []}, fanout_runs, 3, s))
headers = ["graph", "checkpointer", "runs", "steps/run", "µs/step", "µs/run p50", "p99", "mean"]
widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
line = lambda r: "  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(r))
print(line(headers))
print("  ".join("-" * w for w in widths))
for r in rows:
    print(line(r))
PY
