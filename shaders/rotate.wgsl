// Rotate clockwise. `quarter` 1..3: an exact quarter turn (pixels moved, never resampled).
// `quarter` 0: an arbitrary angle; each output pixel centre is mapped back into the source
// by the inverse rotation about the two centres and sampled bilinearly (premultiplied,
// texels outside the source transparent), then composited over `bg`. The output size is the
// rotated bounding box, computed on the CPU with `kernels::rotate::rotated_size`.
// Twin: `exec::cpu::kernels::rotate` (`rotate_quarter`, `rotate_px`).

struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    // cos θ, sin θ of the clockwise angle; centres of source and output in pixels.
    cos_t: f32,
    sin_t: f32,
    src_cx: f32,
    src_cy: f32,
    dst_cx: f32,
    dst_cy: f32,
    quarter: u32,
    _pad0: u32,
    // Premultiplied background, 0..1.
    bg: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

fn texel(x: i32, y: i32) -> vec4<f32> {
    if (x < 0 || y < 0 || x >= i32(params.src_width) || y >= i32(params.src_height)) {
        return vec4<f32>(0.0);
    }
    return src[u32(y) * params.src_width + u32(x)];
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.dst_width || id.y >= params.dst_height) {
        return;
    }
    let w = params.src_width;
    let h = params.src_height;
    let o = id.y * params.dst_width + id.x;
    if (params.quarter == 1u) {
        dst[o] = src[(h - 1u - id.x) * w + id.y];
        return;
    }
    if (params.quarter == 2u) {
        dst[o] = src[(h - 1u - id.y) * w + (w - 1u - id.x)];
        return;
    }
    if (params.quarter == 3u) {
        dst[o] = src[id.x * w + (w - 1u - id.y)];
        return;
    }
    let dx = f32(id.x) + 0.5 - params.dst_cx;
    let dy = f32(id.y) + 0.5 - params.dst_cy;
    let sx = dx * params.cos_t + dy * params.sin_t + params.src_cx - 0.5;
    let sy = -dx * params.sin_t + dy * params.cos_t + params.src_cy - 0.5;
    let fx0 = floor(sx);
    let fy0 = floor(sy);
    let fx = sx - fx0;
    let fy = sy - fy0;
    // Far-off coordinates are outside the frame anyway; clamp before converting so the
    // i32 conversion is always in range.
    let x0 = i32(clamp(fx0, -2.0, f32(w) + 1.0));
    let y0 = i32(clamp(fy0, -2.0, f32(h) + 1.0));
    let acc = texel(x0, y0) * ((1.0 - fx) * (1.0 - fy))
        + texel(x0 + 1, y0) * (fx * (1.0 - fy))
        + texel(x0, y0 + 1) * ((1.0 - fx) * fy)
        + texel(x0 + 1, y0 + 1) * (fx * fy);
    dst[o] = acc + params.bg * (1.0 - acc.a);
}
