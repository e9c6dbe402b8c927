#!/usr/bin/env bash
# `xformd batch` throughput over 1, 2 and 3 daemons on loopback, each pinned to one CPU
# (`taskset`), 200 sources × 6 variants; the one-decode saving (one streaming call per
# source against one call per variant, i.e. six single renders); and a run where one of two
# daemons is killed (SIGKILL) in the middle: variants lost (must be 0) and time added.
#
#   scripts/bench-batch.sh [OUT_DIR]     (default docs/bench; writes batch-$SOURCES.md / .svg)
#
# Needs a release build (`cargo build --release`; XFORMD=path overrides) and taskset.
# SOURCES=scaled (default): made from the shared photos (../shared/media/photos) by
# `xformd batch` itself, 7 JPEG photos at 29 widths (800–1640 px), of which the manifest takes
# 200. SOURCES=full: the 7 photos at full size (1.0–20 MP) under 200 names, round robin. The
# GPU and the render cache are off: every variant is a CPU render. VERIFY=all compares every
# output of the 2-daemon run with `xformd render` (1200 renders) instead of 12.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-"$ROOT/docs/bench"}
XFORMD=${XFORMD:-"$ROOT/target/release/xformd"}
PHOTOS=${PHOTOS:-"$ROOT/../shared/media/photos"}
CPUS=$(nproc)
[[ -x $XFORMD ]] || { echo "missing $XFORMD (cargo build --release)" >&2; exit 2; }
[[ -d $PHOTOS ]] || { echo "missing $PHOTOS" >&2; exit 2; }
command -v taskset >/dev/null || { echo "needs taskset (util-linux)" >&2; exit 2; }
mkdir -p "$OUT"

WORK=$(mktemp -d /tmp/xformd-bench-batch.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
export XFORMD__BACKEND__GPU=false XFORMD__CACHE__ENABLED=false XFORMD__BACKEND__CPU_THREADS=1
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

# --- sources -------------------------------------------------------------------------------
SOURCES=${SOURCES:-scaled}
mkdir -p "$WORK/photos"
for f in ColorfulCups_2560x1600 Grey_2560x1600_grayscale LadyBird Wine_by_Jakkub_Mede \
         seeding_by_Clements_Engelhardt sunset_by_Aitzol_Berasategi Kleiber_by_Lukas_Baubkus; do
  cp "$PHOTOS/$f.jpg" "$WORK/photos/"
done
if [[ $SOURCES == full ]]; then
  SOURCE_DIR="$WORK/photos"
else
  widths=$(seq 800 30 1640 | paste -sd' ')
  gen_variants=()
  for w in $widths; do gen_variants+=(--variant "w-$w,q-90"); done
  "$XFORMD" batch photos --media "$WORK" "${gen_variants[@]}" --out "$WORK/gen" >/dev/null 2>&1
  SOURCE_DIR="$WORK/gen"
fi
mkdir -p "$WORK/media/src"
mapfile -t POOL < <(find "$SOURCE_DIR" -name '*.jpg' | sort)
for i in $(seq 0 199); do
  cp "${POOL[$((i % ${#POOL[@]}))]}" "$WORK/media/src/$(printf 's%03d' "$i").jpg"
done
VARIANTS=("w-1200" "w-800,f-webp" "w-400,h-400,c-at_max" "w-200,h-200" "w-120,f-webp" "w-64,h-64")
{
  echo "source,variant"
  for s in $(cd "$WORK/media" && find src -name '*.jpg' | sort); do
    for v in "${VARIANTS[@]}"; do echo "$s,\"$v\""; done
  done
} >"$WORK/m.csv"
TOTAL=$(( $(wc -l <"$WORK/m.csv") - 1 ))

# --- daemons -------------------------------------------------------------------------------
# start_daemons N: N daemons, daemon k pinned to CPU k mod CPUS; sets DAEMON_ARGS and PIDS.
start_daemons() {
  DAEMON_ARGS=(); PIDS=()
  for k in $(seq 0 $(($1 - 1))); do
    local log="$WORK/daemon$k.log"
    # The log file is created by the child: until then, reading it fails (quietly, below).
    taskset -c $((k % CPUS)) "$XFORMD" daemon --grpc 127.0.0.1:0 --media "$WORK/media" >"$log" 2>&1 &
    PIDS+=($!)
    local addr=
    for _ in $(seq 200); do
      addr=$(sed -n 's/.*gRPC on \([0-9.:]*\), media.*/\1/p' "$log" 2>/dev/null)
      [[ -n $addr ]] && break
      sleep 0.05
    done
    [[ -n $addr ]] || { echo "daemon $k did not start" >&2; cat "$log" >&2; exit 1; }
    DAEMON_ARGS+=(--daemon "http://$addr")
  done
}
stop_daemons() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }

# run_batch NAME [ARGS…]: one batch run; prints "secs rate done failed retries decodes".
run_batch() {
  local name=$1; shift
  rm -rf "$WORK/out-$name"
  "$XFORMD" batch "$WORK/m.csv" "${DAEMON_ARGS[@]}" --out "$WORK/out-$name" --json "$@" \
    >"$WORK/$name.jsonl" 2>"$WORK/$name.err" || true
  grep -q '"event":"summary"' "$WORK/$name.jsonl" || { echo "$name: no summary" >&2; cat "$WORK/$name.err" >&2; exit 1; }
  tail -1 "$WORK/$name.jsonl" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["secs"], s["variants_per_sec"], s["done"], s["failed"], s["retries"], s["decodes"])'
}
files() { find "$WORK/out-$1" -type f ! -name '.*' | wc -l; }

# best N REPEAT NAME [ARGS…]: REPEAT runs on N fresh daemons; prints the fastest run's
# "secs rate done failed retries decodes" (the VM is shared: the best run is the least
# disturbed one) and checks every run wrote every output.
best() {
  local n=$1 repeat=$2 name=$3; shift 3
  local best_line= best_rate=0
  for _ in $(seq "$repeat"); do
    start_daemons "$n"
    local line; line=$(run_batch "$name" "$@")
    stop_daemons
    read -r _ rate _ failed _ _ <<<"$line"
    [[ $(files "$name") -eq $TOTAL && $failed -eq 0 ]] || { echo "$name: $line" >&2; cat "$WORK/$name.err" >&2; exit 1; }
    if python3 -c "import sys; sys.exit(0 if $rate > $best_rate else 1)"; then best_rate=$rate; best_line=$line; fi
  done
  echo "$best_line"
}

REPEAT=${REPEAT:-3}
declare -A RATE SECS DECODES
echo "## 200 sources × 6 variants = $TOTAL variants, $(nproc) CPUs ($(lscpu | sed -n 's/Model name: *//p')), best of $REPEAT" >&2
for n in 1 2 3; do
  read -r secs rate _ _ _ decodes < <(best "$n" "$REPEAT" "d$n" --concurrency $((4 * n)))
  RATE[$n]=$rate; SECS[$n]=$secs; DECODES[$n]=$decodes
  echo "daemons=$n: $rate variants/s ($secs s, $decodes decodes)" >&2
done

# One call per variant (six single renders per source, each fetching and decoding) on 2 daemons.
read -r split_secs split_rate _ _ _ split_decodes < <(best 2 "$REPEAT" split --concurrency 8 --split-variants)
echo "split: $split_rate variants/s ($split_secs s, $split_decodes decodes)" >&2

# A daemon killed in the middle of a 2-daemon run.
start_daemons 2
rm -rf "$WORK/out-kill"
t0=$(date +%s.%N)
"$XFORMD" batch "$WORK/m.csv" "${DAEMON_ARGS[@]}" --out "$WORK/out-kill" --json --concurrency 8 \
  >"$WORK/kill.jsonl" 2>"$WORK/kill.err" &
BATCH=$!
half=$(python3 -c "print(${SECS[2]} / 2)")
sleep "$half"
kill -9 "${PIDS[0]}"
wait "$BATCH" || true
t1=$(date +%s.%N)
stop_daemons
read -r kill_secs _ kill_done kill_failed kill_retries _ < <(tail -1 "$WORK/kill.jsonl" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["secs"], s["variants_per_sec"], s["done"], s["failed"], s["retries"], s["decodes"])')
lost=$((TOTAL - $(files kill)))
echo "kill: $kill_done done, $kill_failed failed, $lost lost, $kill_secs s, $kill_retries retries" >&2

# Outputs equal `xformd render` byte for byte: 12 spot checks, or every one with VERIFY=all.
same=0; checked=0
if [[ ${VERIFY:-spot} == all ]]; then
  CHECK_SOURCES=$(cd "$WORK/media" && find src -name '*.jpg' | sort); CHECK_VARIANTS=("${VARIANTS[@]}")
else
  CHECK_SOURCES="src/s000.jpg src/s077.jpg src/s199.jpg"; CHECK_VARIANTS=("w-1200" "w-800,f-webp" "w-200,h-200" "w-64,h-64")
fi
for s in $CHECK_SOURCES; do
  for v in "${CHECK_VARIANTS[@]}"; do
    "$XFORMD" render --media "$WORK/media" --output "$WORK/r.out" "/tr:$v/$s" >/dev/null 2>&1
    ext=jpg; [[ $v == *f-webp* ]] && ext=webp
    cmp -s "$WORK/r.out" "$WORK/out-d2/${s%.jpg}/$v.$ext" && same=$((same + 1))
    checked=$((checked + 1))
  done
done

ratio2=$(python3 -c "print(f'{${RATE[2]} / ${RATE[1]}:.2f}')")
ratio3=$(python3 -c "print(f'{${RATE[3]} / ${RATE[1]}:.2f}')")
saving=$(python3 -c "print(f'{(${RATE[2]} / $split_rate - 1) * 100:+.0f}')")
added=$(python3 -c "print(f'{$kill_secs - ${SECS[2]}:+.1f}')")
{
  echo "Best of $REPEAT runs each (fresh daemons per run); the kill run is one run."
  echo
  echo "| run | daemons | variants/s | wall s | vs 1 daemon |"
  echo "|---|---|---|---|---|"
  echo "| one call per source (6 variants, shared decode) | 1 | ${RATE[1]} | ${SECS[1]} | 1.00× |"
  echo "| one call per source | 2 | ${RATE[2]} | ${SECS[2]} | ${ratio2}× |"
  echo "| one call per source | 3 | ${RATE[3]} | ${SECS[3]} | ${ratio3}× |"
  echo "| one call per variant (6 single renders) | 2 | $split_rate | $split_secs | — |"
  echo "| one of 2 daemons killed at $half s | 2 → 1 | — | $kill_secs | time added ${added} s |"
  echo
  echo "Shared decode: ${RATE[2]} vs $split_rate variants/s on 2 daemons (one call per source: ${saving}%; decodes ${DECODES[2]} vs $split_decodes)."
  echo "Killed daemon: $kill_done done, $kill_failed failed, **$lost lost**, $kill_retries calls retried on the other daemon."
  echo "Byte-identical to \`xformd render\`: $same of $checked checked outputs (2-daemon run)."
} | tee "$OUT/batch-$SOURCES.md"

# A small bar chart of variants/s.
python3 - "$OUT/batch-$SOURCES.svg" "$SOURCES" "${RATE[1]}" "${RATE[2]}" "${RATE[3]}" "$split_rate" <<'EOF'
import sys
path, sources, *vals = sys.argv[1:]
vals = [float(v) for v in vals]
labels = ["1 daemon", "2 daemons", "3 daemons (2 CPUs)", "2 daemons, 1 call/variant"]
top = max(vals) * 1.15
w, bar, gap, left = 560, 26, 14, 190
h = 40 + len(vals) * (bar + gap)
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="13">',
       f'<text x="10" y="20" font-weight="bold">xformd batch: variants/s, 200 {sources} JPEG sources × 6 variants, 2 CPUs</text>']
for i, (l, v) in enumerate(zip(labels, vals)):
    y = 34 + i * (bar + gap)
    bw = (w - left - 70) * v / top
    color = "#4878a8" if i < 3 else "#a8a8a8"
    out.append(f'<text x="{left - 8}" y="{y + bar * 0.7}" text-anchor="end">{l}</text>')
    out.append(f'<rect x="{left}" y="{y}" width="{bw:.1f}" height="{bar}" fill="{color}"/>')
    out.append(f'<text x="{left + bw + 6:.1f}" y="{y + bar * 0.7}">{v:.1f}</text>')
out.append("</svg>")
open(path, "w").write("\n".join(out) + "\n")
EOF
echo "wrote $OUT/batch-$SOURCES.md and $OUT/batch-$SOURCES.svg" >&2
