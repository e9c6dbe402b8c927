#!/usr/bin/env bash
# Peak daemon memory under load: N concurrent requests for a 20 MP JPEG through the real
# front end, for several `limits.max_concurrent_jobs` settings. The peak should follow the
# concurrency limit (jobs in flight), not the number of requests waiting in the queue.
#
#   scripts/load-rss.sh [REQUESTS] [FILE]   (defaults: 50, the shared 20 MP Kleiber photo)
#
# Needs a release build (`cargo build --release`) and curl. Prints one Markdown row per
# (workload, limit): peak RSS (VmHWM of the `xformd serve` process), RSS at idle before the
# load, statuses, wall time. The cache is off so every request renders; the GPU is off so
# the figure is the CPU path's.
set -euo pipefail

N=${1:-50}
FILE=${2:-"$(dirname "$0")/../../shared/media/photos/Kleiber_by_Lukas_Baubkus.jpg"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
XFORMD=${XFORMD:-"$ROOT/target/release/xformd"}
LIMITS=${LIMITS:-"1 2 4 8"}
[[ -x $XFORMD ]] || { echo "missing $XFORMD (cargo build --release)" >&2; exit 2; }
[[ -f $FILE ]] || { echo "missing input: $FILE" >&2; exit 2; }

WORK=$(mktemp -d /tmp/xformd-load-rss.XXXXXX)
PID=
trap '[[ -n $PID ]] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/media"
cp "$FILE" "$WORK/media/big.jpg"
export XFORMD__BACKEND__GPU=false XFORMD__CACHE__ENABLED=false XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$PID/status"; }

echo "| workload | max_concurrent_jobs | requests | idle RSS MiB | peak RSS MiB | 200s | other statuses | wall s |"
echo "|---|---|---|---|---|---|---|---|"
# w-1000: the usual thumbnail (JPEG shrink-on-load decodes at 1/4). rt-90: the whole
# 20 MP frame decoded, rotated and encoded, the worst case for memory.
for workload in "w-1000" "rt-90"; do
  for jobs in $LIMITS; do
    port=$((20000 + RANDOM % 20000))
    XFORMD__LIMITS__MAX_CONCURRENT_JOBS=$jobs XFORMD__LIMITS__MAX_QUEUED_JOBS=$((N + 8)) \
      "$XFORMD" serve --http "127.0.0.1:$port" --grpc 127.0.0.1:0 --media "$WORK/media" >"$WORK/log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    idle=$(kib VmRSS)
    t0=$(date +%s%N)
    # Distinct qualities (31…) so no layer of the stack can answer one request from another.
    seq 31 $((30 + N)) | xargs -P "$N" -I{} \
      curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$port/tr:$workload,q-{}/big.jpg" \
      >"$WORK/codes" || true
    t1=$(date +%s%N)
    peak=$(kib VmHWM)
    ok=$(grep -c '^200$' "$WORK/codes" || true)
    other=$( (grep -v '^200$' "$WORK/codes" || true) | sort | uniq -c | awk '{ printf "%s×%s ", $1, $2 }')
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    printf "| %s | %d | %d | %.0f | %.0f | %d | %s | %.1f |\n" "$workload" "$jobs" "$N" \
      "$(echo "$idle / 1024" | bc -l)" "$(echo "$peak / 1024" | bc -l)" "$ok" "${other:--}" \
      "$(echo "($t1 - $t0) / 1000000000" | bc -l)"
  done
done
