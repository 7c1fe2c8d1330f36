#!/usr/bin/env bash
# Issue-3 agent benchmarks: step overhead (AgentExecutor, CrewRunner; in-memory and SQLite
# run stores) and memory per idle deployed agent. Builds only the bench product.
#
#   scripts/bench-agents.sh [--no-build] [--profile] [sparkplug-bench agents options...]
#
# --profile also records `perf record -g` of a smaller SQLite-only step run and prints the
# top self-time symbols (demangled) to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
profile=0
args=()
for a in "$@"; do
    case "$a" in
        --no-build) build=0 ;;
        --profile) profile=1 ;;
        *) args+=("$a") ;;
    esac
done
if [[ $build == 1 ]]; then swift build -c release --product sparkplug-bench; fi
bin=.build/release/sparkplug-bench
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
"$bin" agents "${args[@]}"
if [[ $profile == 1 ]]; then
    data=$(mktemp /tmp/bench-agents-perf.XXXXXX)
    perf record -q -F 2000 -g -o "$data" -- "$bin" agents --runs 400 --warmup-runs 20 --steps-per-run 10 \
        --crews 0 --skip-memory >/dev/null
    echo
    echo "perf: top self time (children excluded), SQLite + in-memory step runs"
    perf report -i "$data" --no-children --stdio --sort symbol --percent-limit 1 2>/dev/null \
        | grep -E '^ +[0-9]' | swift demangle --simplified | sed -E 's/ +- +- *$//; s/ +$//' | cut -c1-160 | head -40
    echo
    echo "perf: top inclusive time"
    perf report -i "$data" --children --stdio --sort symbol --percent-limit 4 -g none 2>/dev/null \
        | grep -E '^ +[0-9]' | swift demangle --simplified | sed -E 's/ +- +- *$//; s/ +$//' | cut -c1-160 | head -60
    rm -f "$data"
fi
