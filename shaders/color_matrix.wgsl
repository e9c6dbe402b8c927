// 4×5 colour matrix on straight alpha: for each output channel c (row c),
//   out[c] = m[c][0]·r + m[c][1]·g + m[c][2]·b + m[c][3]·a + m[c][4]
// clamped to 0..1. The offset column arrives in 0..255 units (as the twin stores it) and is
// divided by 255 here. Grayscale, opacity and the contrast stretch are all this kernel; the
// stretch's matrix comes from a histogram computed on the CPU.
// Twin: `exec::cpu::kernels::color_matrix::ColorMatrix::apply_px`.

struct Params {
    // Rows r, g, b, a: the four input coefficients.
    rows: array<vec4<f32>, 4>,
    // The offset column (r, g, b, a) in 0..255 units.
    offset: vec4<f32>,
    width: u32,
    height: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let i = id.y * params.width + id.x;
    let p = src[i];
    var v = vec4<f32>(0.0, 0.0, 0.0, p.a);
    if (p.a > 0.0) {
        v = vec4<f32>(min(p.rgb / p.a, vec3<f32>(1.0)), p.a);
    }
    let off = params.offset / 255.0;
    let o = clamp(
        vec4<f32>(
            dot(params.rows[0], v) + off.x,
            dot(params.rows[1], v) + off.y,
            dot(params.rows[2], v) + off.z,
            dot(params.rows[3], v) + off.w,
        ),
        vec4<f32>(0.0),
        vec4<f32>(1.0),
    );
    dst[i] = vec4<f32>(o.rgb * o.a, o.a);
}
