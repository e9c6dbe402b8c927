// Pad: a `dst_width` × `dst_height` canvas of `fill`, with the source composited on it
// (source-over, so transparent parts of the source show the fill) with its top-left corner
// at (`x`, `y`), which may be negative; parts outside the canvas are clipped. Twin:
// `exec::cpu::kernels::composite::pad` (fill, then `overlay` at opacity 1).

struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    x: i32,
    y: i32,
    _pad0: u32,
    _pad1: u32,
    // Premultiplied fill, 0..1.
    fill: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.dst_width || id.y >= params.dst_height) {
        return;
    }
    var out = params.fill;
    // Source coordinates in i32: the dispatcher clamps x, y to ±2^30 so this cannot wrap.
    let sx = i32(id.x) - params.x;
    let sy = i32(id.y) - params.y;
    if (sx >= 0 && sy >= 0 && sx < i32(params.src_width) && sy < i32(params.src_height)) {
        let s = src[u32(sy) * params.src_width + u32(sx)];
        out = s + out * (1.0 - s.a);
    }
    dst[id.y * params.dst_width + id.x] = out;
}
