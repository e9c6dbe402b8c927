// Composite: the layer (binding 1) over the frame (binding 2, updated in place) with its
// top-left corner at (x, y), which may be negative, and a global opacity. Premultiplied
// source-over `out = L·o + D·(1 − L.a·o)`; invocations cover the layer, and pixels that fall
// outside the frame are clipped. Twin: `exec::cpu::kernels::composite::overlay` (`over_px`).

struct Params {
    layer_width: u32,
    layer_height: u32,
    dst_width: u32,
    dst_height: u32,
    x: i32,
    y: i32,
    opacity: f32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.layer_width || id.y >= params.layer_height) {
        return;
    }
    // The dispatcher clamps x, y to ±2^30, so these sums cannot wrap.
    let dx = i32(id.x) + params.x;
    let dy = i32(id.y) + params.y;
    if (dx < 0 || dy < 0 || dx >= i32(params.dst_width) || dy >= i32(params.dst_height)) {
        return;
    }
    let l = src[id.y * params.layer_width + id.x] * params.opacity;
    let i = u32(dy) * params.dst_width + u32(dx);
    dst[i] = l + dst[i] * (1.0 - l.a);
}
