// Rounded corners: each corner a quarter ellipse (rx, ry); coverage from the first-order
// signed distance `f / |∇f|` of the pixel centre to the curve, `clamp(0.5 − d, 0, 1)`.
// Outside pixels fade to `fill` (premultiplied mix) or, without a fill, to transparent
// (alpha × coverage, colour kept: premultiplied, the whole vector × coverage).
// Twin: `exec::cpu::kernels::round_corners` (`coverage`, `round_corners`).

struct Params {
    width: f32,
    height: f32,
    // 1 when `fill` is used, 0 for transparent corners.
    has_fill: u32,
    _pad0: u32,
    // (rx, ry) of top-left, top-right | bottom-right, bottom-left.
    tl_tr: vec4<f32>,
    br_bl: vec4<f32>,
    // Premultiplied fill, 0..1.
    fill: vec4<f32>,
    // Pixel size (u32) of the frame.
    size: vec2<u32>,
    _pad1: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

fn coverage(x: u32, y: u32) -> f32 {
    let px = f32(x) + 0.5;
    let py = f32(y) + 0.5;
    let w = params.width;
    let h = params.height;
    let left = px < w / 2.0;
    let top = py < h / 2.0;
    var r: vec2<f32>;
    if (top && left) {
        r = params.tl_tr.xy;
    } else if (top) {
        r = params.tl_tr.zw;
    } else if (!left) {
        r = params.br_bl.xy;
    } else {
        r = params.br_bl.zw;
    }
    if (r.x <= 0.0 || r.y <= 0.0) {
        return 1.0;
    }
    var dx = px - (w - r.x);
    if (left) {
        dx = r.x - px;
    }
    var dy = py - (h - r.y);
    if (top) {
        dy = r.y - py;
    }
    if (dx <= 0.0 || dy <= 0.0) {
        return 1.0;
    }
    let ex = dx / r.x;
    let ey = dy / r.y;
    let f = ex * ex + ey * ey - 1.0;
    let gx = dx / (r.x * r.x);
    let gy = dy / (r.y * r.y);
    let grad = 2.0 * sqrt(gx * gx + gy * gy);
    return clamp(0.5 - f / grad, 0.0, 1.0);
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.size.x || id.y >= params.size.y) {
        return;
    }
    let i = id.y * params.size.x + id.x;
    let s = src[i];
    let cov = coverage(id.x, id.y);
    if (cov >= 1.0) {
        dst[i] = s;
        return;
    }
    if (params.has_fill != 0u) {
        dst[i] = s * cov + params.fill * (1.0 - cov);
    } else {
        dst[i] = s * cov;
    }
}
