#!/usr/bin/env bash
# Compares SparkPlug's dashboard with btop (and htop, for reference) side by side, in one
# run, each in its own private tmux server of the same geometry, all at 1 s refresh.
#
#   scripts/bench-dashboard.sh [--seconds N] [--warmup N] [--size WxH] [--no-build] [--no-htop]
#
# For every program it measures, over the same window (default 60 s, after a 5 s
# warm-up), from /proc/PID of the program itself (started with `exec`, so the pane's pid
# is the program, not a shell):
#   CPU %     (utime + stime) delta / CLK_TCK / window * 100   — percent of one core
#   CPU % (ns) the same from the threads' schedstat run time (ns resolution; ratios use it)
#   bytes/s   /proc/PID/io wchar delta / window               — what it writes to its terminal
#   writes/s  /proc/PID/io syscw delta / window               — write system calls
#   tmux CPU% the private tmux server's CPU, i.e. the cost of parsing those bytes
# and prints a table with SparkPlug's ratio to btop.
#
# SparkPlug runs at --size (default 160x50) and also at 200x60; btop and htop at --size.
# Every program gets TERM=screen-256color, COLORTERM=truecolor and a UTF-8 locale, so
# SparkPlug and btop both emit 24-bit colour. btop 1.2 has no interval flag: it reads
# update_ms from $XDG_CONFIG_HOME/btop/btop.conf, written here into a temporary
# directory; htop takes its delay in tenths of a second (-d 10).
set -euo pipefail

seconds=60
warmup=5
size=160x50
build=1
htop=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-htop) htop=0; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-dashboard: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$seconds$warmup" in *[!0-9]*) echo "bench-dashboard: --seconds and --warmup take whole seconds" >&2; exit 2 ;; esac
[ "$seconds" -gt 0 ] || { echo "bench-dashboard: --seconds must be positive" >&2; exit 2; }
width="${size%x*}"
height="${size#*x}"
case "$width$height" in ''|*[!0-9]*) echo "bench-dashboard: --size takes WxH, such as 160x50" >&2; exit 2 ;; esac

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# What the benchmark needs: tmux and btop (scripts/setup.sh bench), htop for reference.
scripts/setup.sh bench
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
if [ "$htop" = 1 ] && ! command -v htop >/dev/null 2>&1; then
  echo "bench-dashboard: installing htop (apt)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq htop >/dev/null; }; then
    echo "bench-dashboard: htop could not be installed; measuring without it" >&2
    htop=0
  fi
fi

if [ "$build" = 1 ]; then
  swift build -c release
fi
sparkplug="$(swift build -c release --show-bin-path)/sparkplug"
[ -x "$sparkplug" ] || { echo "bench-dashboard: $sparkplug not built (run without --no-build)" >&2; exit 1; }

tmp="$(mktemp -d /tmp/sparkplug-bench.XXXXXX)"
servers=()   # tmux socket names
server_pids=()
cleanup() {
  local i
  for i in "${!servers[@]}"; do
    tmux -L "${servers[$i]}" kill-server 2>/dev/null || true
    kill "${server_pids[$i]}" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# btop: 1 s refresh from a config file in a private XDG_CONFIG_HOME.
mkdir -p "$tmp/btop-config/btop" "$tmp/htop-config" "$tmp/sparkplug-config" "$tmp/work"
cat > "$tmp/btop-config/btop/btop.conf" <<'EOF'
#? Config file for btop, written by scripts/bench-dashboard.sh
update_ms = 1000
truecolor = True
EOF

names=()   # row labels
geoms=()
pids=()    # the measured program's pid
tsocks=()

# start LABEL W H XDG_CONFIG_HOME PROGRAM ARGS...
start() {
  local label="$1" w="$2" h="$3" xdg="$4"
  shift 4
  local sock="spbench-$$-${#servers[@]}"
  local cmd="exec env TERM=screen-256color COLORTERM=truecolor LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_CONFIG_HOME=$(printf %q "$xdg")"
  local a
  for a in "$@"; do cmd+=" $(printf %q "$a")"; done
  local pid
  pid="$(cd "$tmp/work" && tmux -L "$sock" -f /dev/null new-session -d -x "$w" -y "$h" -P -F '#{pane_pid}' "$cmd")"
  servers+=("$sock")
  server_pids+=("$(tmux -L "$sock" display-message -p '#{pid}')")
  names+=("$label")
  geoms+=("${w}x${h}")
  pids+=("$pid")
  tsocks+=("$sock")
}

start sparkplug "$width" "$height" "$tmp/sparkplug-config" "$sparkplug" dashboard --interval 1
if [ "$width" != 200 ] || [ "$height" != 60 ]; then
  start sparkplug 200 60 "$tmp/sparkplug-config" "$sparkplug" dashboard --interval 1
fi
start btop "$width" "$height" "$tmp/btop-config" btop --utf-force
if [ "$htop" = 1 ]; then
  start htop "$width" "$height" "$tmp/htop-config" htop -d 10
fi

hz="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }   # utime + stime
# Nanoseconds on CPU of every thread alive now (/proc/PID/task/*/schedstat), finer than ticks.
run_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
io_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/io"; }
now_ns() { date +%s%N; }
# Context switches (voluntary + involuntary) of every thread alive now: each is a wake-up.
ctxt() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { printf "%d", s }'; }

sleep "$warmup"
for i in "${!pids[@]}"; do
  pid="${pids[$i]}"
  [ -d "/proc/$pid" ] || { echo "bench-dashboard: ${names[$i]} (${geoms[$i]}) exited during warm-up:" >&2; tmux -L "${tsocks[$i]}" capture-pane -p >&2 || true; exit 1; }
  comm="$(cat "/proc/$pid/comm")"
  echo "measuring ${names[$i]} ${geoms[$i]}: pid $pid ($comm), tmux server pid ${server_pids[$i]}"
done

declare -a c0 w0 s0 t0 n0 th0 x0
for i in "${!pids[@]}"; do
  n0[$i]="$(run_ns "${pids[$i]}")"
  x0[$i]="$(ctxt "${pids[$i]}")"
  th0[$i]="$(threads "${pids[$i]}")"
  c0[$i]="$(cpu_ticks "${pids[$i]}")"
  w0[$i]="$(io_field "${pids[$i]}" wchar)"
  s0[$i]="$(io_field "${pids[$i]}" syscw)"
  t0[$i]="$(cpu_ticks "${server_pids[$i]}")"
done
start_ns="$(now_ns)"
echo "window: ${seconds} s after ${warmup} s warm-up"
sleep "$seconds"
end_ns="$(now_ns)"
declare -a c1 w1 s1 t1 rss n1 x1
for i in "${!pids[@]}"; do
  pid="${pids[$i]}"
  [ -d "/proc/$pid" ] || { echo "bench-dashboard: ${names[$i]} (${geoms[$i]}) exited during the window" >&2; exit 1; }
  n1[$i]="$(run_ns "$pid")"
  x1[$i]="$(ctxt "$pid")"
  th="$(threads "$pid")"
  [ "$th" = "${th0[$i]}" ] || echo "note: ${names[$i]} ${geoms[$i]} went from ${th0[$i]} to $th threads; its schedstat CPU may miss exited threads" >&2
  c1[$i]="$(cpu_ticks "$pid")"
  w1[$i]="$(io_field "$pid" wchar)"
  s1[$i]="$(io_field "$pid" syscw)"
  t1[$i]="$(cpu_ticks "${server_pids[$i]}")"
  rss[$i]="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
done

# Sanity checks on what is on screen: SparkPlug drew its header, btop runs at 1000 ms.
for i in "${!pids[@]}"; do
  screen="$(tmux -L "${tsocks[$i]}" capture-pane -p)"
  case "${names[$i]}" in
    sparkplug) grep -q "SparkPlug" <<<"$screen" || echo "warning: SparkPlug ${geoms[$i]} screen has no header" >&2 ;;
    btop) grep -q "1000ms" <<<"$screen" || echo "warning: btop does not show 1000ms; its config was not read" >&2 ;;
  esac
done

window="$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
echo
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); window ${window} s; CLK_TCK ${hz}"
echo

btop_cpu=""
btop_bps=""
rows=()
for i in "${!pids[@]}"; do
  row="$(awk -v n="${names[$i]}" -v g="${geoms[$i]}" -v c="$((c1[$i] - c0[$i]))" -v w="$((w1[$i] - w0[$i]))" \
              -v s="$((s1[$i] - s0[$i]))" -v t="$((t1[$i] - t0[$i]))" -v r="${rss[$i]}" -v hz="$hz" -v win="$window" -v ns="$((n1[$i] - n0[$i]))" \
              -v x="$((x1[$i] - x0[$i]))" \
    'BEGIN { printf "%s|%s|%.3f|%.0f|%.1f|%.3f|%.1f|%.3f|%.1f", n, g, c / hz / win * 100, w / win, s / win, t / hz / win * 100, r / 1024, ns / 1e9 / win * 100, x / win }')"
  rows+=("$row")
  if [ "${names[$i]}" = btop ]; then
    btop_cpu="$(cut -d'|' -f8 <<<"$row")"
    btop_bps="$(cut -d'|' -f4 <<<"$row")"
  fi
done

fmt='%-10s %-8s %10s %12s %10s %9s %10s %8s %9s %12s %14s\n'
printf "$fmt" program geometry "CPU %" "CPU % (ns)" "bytes/s" "writes/s" "tmux CPU%" "RSS MiB" "ctxsw/s" "CPU vs btop" "bytes vs btop"
printf "$fmt" ---------- -------- ---------- ------------ ---------- --------- ---------- -------- --------- ------------ --------------
for row in "${rows[@]}"; do
  IFS='|' read -r n g cpu bps wps tcpu rssm nscpu xps <<<"$row"
  rc="" rb=""
  if [ "$n" = sparkplug ] && [ -n "$btop_cpu" ]; then
    rc="$(awk -v a="$nscpu" -v b="$btop_cpu" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }')"
    rb="$(awk -v a="$bps" -v b="$btop_bps" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }')"
  fi
  printf "$fmt" "$n" "$g" "$cpu" "$nscpu" "$bps" "$wps" "$tcpu" "$rssm" "$xps" "$rc" "$rb"
done
echo
echo "ctxsw/s: voluntary + involuntary context switches a second, summed over the program's threads."
echo "CPU % is (utime+stime)/CLK_TCK over the window; CPU % (ns) sums /proc/PID/task/*/schedstat run time (ratios use it)."
echo "targets: SparkPlug under 0.20x btop's CPU % and under 0.20x its bytes/s (ratios against btop at ${size})."
