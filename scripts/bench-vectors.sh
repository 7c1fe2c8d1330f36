#!/usr/bin/env bash
# Issue-4 vector index benchmark: SparkPlug's HNSWIndex against chromadb (in-process), on one
# seeded dataset (100,000 × 384-d clustered vectors, 1,000 queries; scripts/make_vector_dataset.py).
#
#   scripts/bench-vectors.sh [--no-build] [--count N] [--queries N] [sparkplug-bench vectors options...]
#
# Creates .venv-bench (python3 -m venv; chromadb==1.5.9, numpy) when missing, writes the
# dataset as raw little-endian float32 files to a temporary directory, runs
# `sparkplug-bench vectors` and scripts/bench_chromadb.py on it, and prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
count=100000
queries=1000
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-build) build=0 ;;
        --count) count=$2; shift ;;
        --queries) queries=$2; shift ;;
        *) args+=("$1") ;;
    esac
    shift
done
venv=.venv-bench
if ! "$venv/bin/python" -c 'import chromadb, numpy; assert chromadb.__version__ == "1.5.9"' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q chromadb==1.5.9 numpy
fi
if [[ $build == 1 ]]; then swift build -c release --product sparkplug-bench; fi
dir=$(mktemp -d /tmp/bench-vectors.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
"$venv/bin/python" scripts/make_vector_dataset.py "$dir" --count "$count" --queries "$queries" --dims 384
.build/release/sparkplug-bench vectors --data "$dir" --dims 384 --json "$dir/swift.json" "${args[@]}"
"$venv/bin/python" scripts/bench_chromadb.py "$dir" --dims 384 --json "$dir/chroma.json"
"$venv/bin/python" - "$dir/swift.json" "$dir/chroma.json" <<'PY'
import json, sys
s, c = (json.load(open(p)) for p in sys.argv[1:3])
ins = s["hnsw_insert"]
print()
print(f"{s['count']} x {s['dims']}-d, {s['queries']} queries, top-{s['k']}, cosine")
print(f"{'':34}{'SparkPlug HNSWIndex':>22}{'chromadb ' + c['version']:>18}")
print(f"{'insert, searchable (vectors/s)':34}{ins['searchable_per_s']:>22,.0f}{c['insert_per_s']:>18,.0f}")
print(f"{'fully indexed (s / vectors/s)':34}{ins['fully_indexed_s']:>13.1f} / {ins['linked_per_s']:>6,.0f}{c['searchable_s']:>9.1f} / {s['count'] / c['searchable_s']:>6,.0f}")
for q in s["hnsw_query"]:
    label = f"query p50 / p99 ms, recall (ef {q['ef']})"
    print(f"{label:34}{q['p50_ms']:>8.3f} / {q['p99_ms']:.3f}, {q['recall']:.4f}")
print(f"{'query p50 / p99 ms, recall (ef 100)':34}{'':22}{c['p50_ms']:>6.3f} / {c['p99_ms']:.3f}, {c['recall']:.4f}")
e = s["exact"]
print(f"{'exact (ExactIndex) p50 / p99 ms':34}{e['p50_ms']:>8.3f} / {e['p99_ms']:.3f}, 1 (insert {e['insert_per_s']:,.0f}/s)")
print(f"{'insert speed-up vs chromadb':34}{ins['searchable_per_s'] / c['insert_per_s']:>21.1f}x")
PY
