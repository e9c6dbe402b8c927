// Shadow mask for `e-shadow`: black whose alpha is `opacity` × the source's alpha at
// (x − dx, y − dy), 0 outside the source (premultiplied black is (0, 0, 0, a)). The dispatcher
// then blurs it with `blur_h` + `blur_v` and draws the frame over it with `composite`.
// Twin: `exec::cpu::kernels::shadow::shadow_mask`.

struct Params {
    width: u32,
    height: u32,
    // Shadow offset in pixels (clamped to ±2^30 by the dispatcher, so sums cannot wrap).
    dx: i32,
    dy: i32,
    opacity: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let sx = i32(id.x) - params.dx;
    let sy = i32(id.y) - params.dy;
    var a = 0.0;
    if (sx >= 0 && sy >= 0 && sx < i32(params.width) && sy < i32(params.height)) {
        a = src[u32(sy) * params.width + u32(sx)].a * params.opacity;
    }
    dst[id.y * params.width + id.x] = vec4<f32>(0.0, 0.0, 0.0, a);
}
