#!/usr/bin/env bash
# Build the fuzz targets (fuzz/) with libFuzzer and AddressSanitizer — the flags cargo-fuzz
# passes, so cargo-fuzz itself is not needed — and run each for FUZZ_SECS seconds (default 60)
# over its corpus, two at a time. Crash inputs kept in fuzz/regressions/<target>/ run first
# (regression tests); a new crash fails this script and leaves its input in
# fuzz/artifacts/<target>/. A summary line per target goes to fuzz/out/summary.txt.
#   FUZZ_SECS=600 scripts/fuzz.sh            longer runs
#   FUZZ_TARGETS="plan decode" scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECS:-60}
TARGETS=${FUZZ_TARGETS:-"url_cloudinary url_imagekit plan decode signature"}
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
SHARED=${XFORMD_SHARED:-../shared}

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 1
fi

export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Zsanitizer=address \
-Cdebug-assertions -Coverflow-checks"
# Its own target folder whatever CARGO_TARGET_DIR says: other flags, another toolchain, and
# the binaries are looked for there below.
(cd fuzz && CARGO_TARGET_DIR="$PWD/target" cargo +nightly build --locked --release --target "$TRIPLE" --bins)
unset RUSTFLAGS

# Seeds: the spec's worked examples (Cloudinary paths and the ImageKit strings they become),
# the URL corpus, and the small images of the test fixtures and the bundled media.
seed() {
  local t=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  [ -n "$(ls -A "$dir")" ] && return 0
  local n=0
  case $t in
    url_cloudinary)
      tail -n +2 "$SHARED/spec/examples.tsv" | cut -f1 | sort -u | while IFS= read -r l; do
        n=$((n + 1)); printf '%s' "$l" > "$dir/ex$n"; done ;;
    url_imagekit|signature)
      tail -n +2 "$SHARED/spec/examples.tsv" | cut -f3,4 | sort -u | while IFS=$'\t' read -r tr p; do
        n=$((n + 1)); printf '/tr:%s%s' "$tr" "$p" > "$dir/ex$n"
        printf '/image/upload/s--abcdefgh--/w_100%s' "$p" > "$dir/cl$n"
        printf '%s?tr=%s&ik-t=9999999999&ik-s=00' "$p" "$tr" > "$dir/q$n"; done ;;
    plan)
      tail -n +2 "$SHARED/spec/examples.tsv" | cut -f3 | sort -u | while IFS= read -r tr; do
        n=$((n + 1)); { printf '\x00\x0a\x00\x08'; printf '%s' "$tr"; } > "$dir/ex$n"; done ;;
    decode)
      for f in media/edge/*.jpg media/edge/*.jpeg "$SHARED"/media/edge/*.jpg; do
        [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" "$dir/"; done
      # Small images of every format (FFmpeg's test pattern), animated GIF and WebP included.
      if command -v ffmpeg >/dev/null; then
        for out in still.png still.webp still.gif still.jpg anim.gif anim.webp gray.png; do
          local frames=1 fmt=rgb24
          case $out in anim.*) frames=3 ;; gray.*) fmt=gray ;; esac
          ffmpeg -v error -y -f lavfi -i testsrc=size=24x16:rate=5 -frames:v $frames -pix_fmt $fmt \
            -loop 0 "$dir/$out" 2>/dev/null || ffmpeg -v error -y -f lavfi -i testsrc=size=24x16 \
            -frames:v $frames "$dir/$out" || true
        done
      fi
      printf '\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf' > "$dir/avif-header" ;;
  esac
}

run() {
  local t=$1 bin=fuzz/target/$TRIPLE/release/$1 dict=()
  case $t in
    url_cloudinary) dict=(-dict=fuzz/url_cloudinary.dict) ;;
    decode) dict=(-max_len=65536) ;;
    url_imagekit|plan|signature) dict=(-dict=fuzz/url_imagekit.dict) ;;
  esac
  mkdir -p "fuzz/artifacts/$t" fuzz/out
  if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls -A "fuzz/regressions/$t")" ]; then
    "$bin" "${dict[@]}" -timeout=10 -rss_limit_mb=2048 fuzz/regressions/"$t"/* > "fuzz/out/$t.regressions.log" 2>&1 ||
      { echo "$t: CRASH on a kept regression input (fuzz/out/$t.regressions.log)"; return 1; }
  fi
  local log=fuzz/out/$t.log
  if "$bin" "fuzz/corpus/$t" "${dict[@]}" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 > "$log" 2>&1; then
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "$t: ${execs:-?} executions in ${SECS} s, 0 crashes, corpus $(ls "fuzz/corpus/$t" | wc -l) inputs"
  else
    echo "$t: CRASH, see $log and fuzz/artifacts/$t/"
    tail -30 "$log"
    return 1
  fi
}

for t in $TARGETS; do seed "$t"; done
export -f run
export TRIPLE SECS
status=0
mkdir -p fuzz/out
printf '%s\n' $TARGETS | xargs -P 2 -I{} bash -c 'run {}' > fuzz/out/summary.txt || status=1
cat fuzz/out/summary.txt
total=$(printf '%s\n' $TARGETS | wc -l)
crashed=$(grep -c CRASH fuzz/out/summary.txt || true)
echo "fuzz: $((total - crashed)) passed, $crashed failed"
exit $status
