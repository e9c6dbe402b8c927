#!/usr/bin/env bash
# Regenerate the libvips reference images that tests/references.rs compares xformd with.
#
# The references come from Debian's libvips (`vips` 8.14, package libvips-tools), not from
# xformd, so the pixel tests check our resize and blur against an independent
# implementation. Inputs are the repo's bundled photos (media/photos); outputs are PNG so
# that no encoder loss enters the comparison. Run from the repo root; commit the results.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/vips
src=media/photos
mkdir -p "$out"
command -v vips >/dev/null || { echo "needs vips (apt-get install libvips-tools)" >&2; exit 1; }

# Plain downscales with vips' default Lanczos3 thumbnailer (JPEG shrink-on-load included,
# as in xformd): width-bound, height-bound, and a PNG source (no shrink-on-load).
vips thumbnail "$src/LadyBird.jpg" "$out/ladybird-w300.png" 300
vips thumbnail "$src/Wine_by_Jakkub_Mede.jpg" "$out/wine-h400.png" 100000 --height 400
vips thumbnail "$src/astronaut.png" "$out/astronaut-w200.png" 200
# Gaussian blurs at full size. ImageKit's bl-N is σ = N/2 in xformd; min-ampl 0.01 keeps
# the kernel out to about 3σ like ours (vips' default 0.2 cuts the tail much earlier).
vips gaussblur "$src/coffee.png" "$out/coffee-bl6.png" 3 --min-ampl 0.01
vips gaussblur "$src/flower.webp" "$out/flower-bl16.png" 8 --min-ampl 0.01
echo "vips $(vips --version | cut -d- -f2): wrote $(ls "$out" | wc -l) references to $out"
