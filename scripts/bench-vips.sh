#!/usr/bin/env bash
# CPU pipeline vs libvips, side by side in one run: one 20 MP JPEG → width 1000, JPEG q80,
# baseline, metadata stripped, one process per run (exec + decode + resize + encode + exit).
#
#   scripts/bench-vips.sh [RUNS] [FILE]     (defaults: 5, the shared 20 MP Kleiber photo)
#
# Needs `vipsthumbnail` (Debian libvips-tools: `make bench-deps`) and a release build
# (`cargo build --release`). xformd runs `render --backend cpu` with the GPU and the result
# cache switched off, so every run does the whole job and never opens a Vulkan device.
# Prints the median wall time and median peak RSS (from /usr/bin/time -v) of each, and the
# ratios xformd / vips.
set -euo pipefail

RUNS=${1:-5}
FILE=${2:-"$(dirname "$0")/../../shared/media/photos/Kleiber_by_Lukas_Baubkus.jpg"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
XFORMD=${XFORMD:-"$ROOT/target/release/xformd"}
WIDTH=1000
Q=80

for tool in vipsthumbnail /usr/bin/time "$XFORMD"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[[ -f $FILE ]] || { echo "missing input: $FILE" >&2; exit 2; }

WORK=$(mktemp -d /tmp/xformd-bench-vips.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/media"
cp "$FILE" "$WORK/media/in.jpg"
# Read the input once so neither tool pays for a cold page cache.
cat "$WORK/media/in.jpg" >/dev/null

# measure NAME CMD… : append "wall_s rss_kib" of one run to $WORK/NAME.txt
measure() {
  local name=$1; shift
  local t0 t1
  # Wall time from the clock in ns (time -v prints only hundredths); RSS from time -v.
  t0=$(date +%s%N)
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/err.txt" || {
    echo "$name failed:" >&2; cat "$WORK/err.txt" >&2; exit 1; }
  t1=$(date +%s%N)
  awk -F': ' -v ns=$((t1 - t0)) '
    /Maximum resident set size/ { rss = $2 }
    END { printf "%.4f %d\n", ns / 1e9, rss }' "$WORK/time.txt" >>"$WORK/$name.txt"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

export XFORMD__BACKEND__GPU=false XFORMD__CACHE__ENABLED=false
# One untimed run each: loads shared libraries and checks that both tools work.
vipsthumbnail "$WORK/media/in.jpg" --size "${WIDTH}x" -o "$WORK/vips.jpg[Q=$Q,strip]"
"$XFORMD" render --media "$WORK/media" --backend cpu -o "$WORK/xformd.jpg" "/tr:w-$WIDTH,q-$Q,f-jpg/in.jpg"

for ((i = 0; i < RUNS; i++)); do
  # Alternate so drift in machine load hits both alike.
  measure vips vipsthumbnail "$WORK/media/in.jpg" --size "${WIDTH}x" -o "$WORK/vips.jpg[Q=$Q,strip]"
  measure xformd "$XFORMD" render --media "$WORK/media" --backend cpu -o "$WORK/xformd.jpg" \
    "/tr:w-$WIDTH,q-$Q,f-jpg/in.jpg"
done

vw=$(cut -d' ' -f1 "$WORK/vips.txt" | median); vr=$(cut -d' ' -f2 "$WORK/vips.txt" | median)
xw=$(cut -d' ' -f1 "$WORK/xformd.txt" | median); xr=$(cut -d' ' -f2 "$WORK/xformd.txt" | median)
vsize=$(stat -c %s "$WORK/vips.jpg"); xsize=$(stat -c %s "$WORK/xformd.jpg")
vdim=$(vipsheader "$WORK/vips.jpg" 2>/dev/null | awk '{print $2}' || true)
xdim=$(vipsheader "$WORK/xformd.jpg" 2>/dev/null | awk '{print $2}' || true)

echo "input: $(basename "$FILE") ($(stat -c %s "$FILE") bytes), $RUNS runs each, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "vips:   $(vipsthumbnail --vips-version 2>/dev/null | head -1)"
echo
echo "| tool | median wall (s) | median peak RSS (MiB) | output | bytes |"
echo "|---|---:|---:|---|---:|"
awk -v w="$vw" -v r="$vr" -v d="$vdim" -v b="$vsize" 'BEGIN { printf "| vipsthumbnail | %.3f | %.1f | %s | %d |\n", w, r / 1024, d, b }'
awk -v w="$xw" -v r="$xr" -v d="$xdim" -v b="$xsize" 'BEGIN { printf "| xformd render --backend cpu | %.3f | %.1f | %s | %d |\n", w, r / 1024, d, b }'
echo
awk -v xw="$xw" -v vw="$vw" -v xr="$xr" -v vr="$vr" 'BEGIN {
  printf "wall ratio xformd/vips: %.2f (issue #14 goal <= 0.80)\npeak RSS ratio xformd/vips: %.2f (issue #14 goal <= 1.50)\n", xw / vw, xr / vr }'
echo
echo "raw (wall_s rss_kib): vips: $(tr '\n' ';' <"$WORK/vips.txt") xformd: $(tr '\n' ';' <"$WORK/xformd.txt")"
