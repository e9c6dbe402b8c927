#!/usr/bin/env bash
# CPU vs GPU on one machine with `xformd bench`: every op (resize, blur, sharpen), the chain
# (resize, sharpen, rounded corners, a text layer) and batched variants, on a real photo
# scaled to 20 MP and 4K; a JSON + Markdown report with the adapter, its driver, per-op
# times, GPU speed-ups and the GPU output's PSNR against the CPU backend's.
#
#   scripts/device-bench.sh [--bin PATH] [--image PHOTO] [--out DIR] [--runs N] [--smoke]
#
# --bin     a built xformd (default: target/release/xformd, built here when missing)
# --image   the photo (default: ../shared/media's 20 MP photo, else media/photos/LadyBird.jpg)
# --smoke   a 64x48 synthetic image, one run: checks the script and the GPU path end to end in
#           seconds (make test runs it on lavapipe through tests/device_bench.rs)
#
# Needs nothing from the network. Stops after 8 minutes (timeout) whatever it measured.
# Exit codes: 0 ok, 2 usage, 3 the binary cannot load its libraries (the Vulkan loader).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="" image="" out="out/device-bench" runs=5 smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --image) image="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "device-bench: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ -z "$bin" ]; then
  bin="${CARGO_TARGET_DIR:-target}/release/xformd"
  if [ ! -x "$bin" ]; then
    echo "device-bench: building $bin (cargo build --release --locked)" >&2
    cargo build --release --locked >&2
  fi
fi
[ -x "$bin" ] || { echo "device-bench: $bin is not an executable" >&2; exit 2; }

# A binary carried to another machine may miss shared libraries there: say which, rather
# than failing inside the benchmark. xformd itself links no FFmpeg (the video helper
# xformd-ffmpeg does, and the bench does not use it); its helper is checked when present,
# and reported, not fatal, since the benchmark runs without it.
missing=$(ldd "$bin" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ' || true)
if [ -n "$missing" ]; then
  echo "device-bench: $bin cannot load: $missing" >&2
  echo "device-bench: install libvulkan1 (and the libraries named above)" >&2
  exit 3
fi
helper="$(dirname "$bin")/xformd-ffmpeg"
if [ -x "$helper" ]; then
  ffmissing=$(ldd "$helper" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ' || true)
  [ -z "$ffmissing" ] || echo "device-bench: note: the video helper $helper cannot load: $ffmissing (FFmpeg 5.1: libavcodec59 libavformat59 libavfilter8 libswscale6 libswresample4); the benchmark does not need it" >&2
fi

mkdir -p "$out"
# Mesa's Vulkan WSI wants a runtime dir even headless.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xformd-xdg}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

args=(bench --backend cpu,gpu --ops resize,blur,sharpen,chain,variants --out "$out")
if [ "$smoke" = 1 ]; then
  args+=(--sizes 64x48 --runs 1)
else
  if [ -z "$image" ]; then
    image=../shared/media/photos/Kleiber_by_Lukas_Baubkus.jpg
    [ -f "$image" ] || image=media/photos/LadyBird.jpg
  fi
  args+=(--sizes 20mp,4k --runs "$runs" --image "$image")
fi

gpu_info="none visible to nvidia-smi"
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu_info=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 || true)
fi
echo "device-bench: $bin ${args[*]}" >&2
start=$(date +%s)
status=0
timeout 480 "$bin" "${args[@]}" || status=$?
secs=$(( $(date +%s) - start ))
if [ "$status" = 124 ]; then
  echo "device-bench: stopped after 8 minutes; the report holds nothing" >&2
  exit 124
fi
[ "$status" = 0 ] || exit "$status"

# The report: the machine first, then xformd's own table (bench.md) and data (bench.json).
{
  echo "# Device bench"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(uname -n); CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "- nvidia-smi: $gpu_info"
  echo "- wall time: ${secs} s"
  echo
  sed '1,2d' "$out/bench.md"
} > "$out/report.md"
python3 - "$out/bench.json" "$gpu_info" "$secs" > "$out/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
report["nvidia_smi"] = sys.argv[2]
report["wall_s"] = int(sys.argv[3])
print(json.dumps(report, indent=1))
PY
echo "device-bench: wrote $out/report.md and $out/report.json (${secs} s)" >&2
