#!/usr/bin/env bash
# Installs what SparkPlug needs on a fresh Debian machine, idempotently.
#   scripts/setup.sh run     what running SparkPlug needs
#   scripts/setup.sh test    what the test suite needs as well (tmux for end-to-end tests)
#   scripts/setup.sh bench   what the benchmarks need as well (btop, the peer we measure against)
set -euo pipefail
what="${1:-run}"

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }

if ! have swift; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  else
    echo "setup: no Swift toolchain found (need Swift 6.1 or newer on PATH)" >&2
    exit 1
  fi
fi

case "$what" in
  run) ;;
  test)
    have tmux || need_apt+=(tmux)
    have redis-server || need_apt+=(redis-server)
    have nats-server || need_apt+=(nats-server)
    have openssl || need_apt+=(openssl)
    ;;
  bench)
    have tmux || need_apt+=(tmux); have btop || need_apt+=(btop)
    have redis-server || need_apt+=(redis-server)
    have redis-benchmark || need_apt+=(redis-tools)
    have nats-server || need_apt+=(nats-server)
    ;;
  *) echo "usage: scripts/setup.sh run|test|bench" >&2; exit 2 ;;
esac

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (apt)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
