#!/usr/bin/env bash
# Mixed load through the real front end on loopback (issue #12): CONNS concurrent connections
# for SECS seconds over scripts/load-mix.lua's request mix, cache off (every request renders),
# GPU off. Prints latency p50/p99, statuses, and the RSS of `xformd serve` idle before, at its
# peak, and 10 s after the load.
#
#   scripts/load-mix.sh [SECS] [CONNS]      (defaults: 60, 200)
#   XFORMD=path/to/xformd scripts/load-mix.sh   another build (e.g. another allocator)
#
# Needs a release build and wrk (Debian package `wrk`).
set -euo pipefail
SECS=${1:-60}
CONNS=${2:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
XFORMD=${XFORMD:-"$ROOT/target/release/xformd"}
[[ -x $XFORMD ]] || { echo "missing $XFORMD (cargo build --release)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "missing wrk (apt-get install wrk)" >&2; exit 2; }

PID=
trap '[[ -n $PID ]] && kill "$PID" 2>/dev/null || true' EXIT
export XFORMD__BACKEND__GPU=false XFORMD__CACHE__ENABLED=false XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
port=$((20000 + RANDOM % 20000))
"$XFORMD" serve --http "127.0.0.1:$port" --grpc 127.0.0.1:0 --media "$ROOT/media" >/tmp/xformd-load-mix.log 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$PID/status"; }
mib() { echo "$(( $1 / 1024 ))"; }
idle=$(kib VmRSS)
wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 30s -s "$ROOT/scripts/load-mix.lua" "http://127.0.0.1:$port" \
  | grep -E '^(requests|statuses|latency|Requests/sec)'
peak=$(kib VmHWM)
sleep 10
after=$(kib VmRSS)
echo "rss idle $(mib "$idle") MiB, peak $(mib "$peak") MiB, 10 s after $(mib "$after") MiB"
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=
