// Perspective distortion (`e-distort-p`): each output pixel centre (x + 0.5, y + 0.5) goes
// through the inverse homography `m` (row-major, computed in f64 on the CPU by
// `plan::warp::perspective_matrix`) to a source position, sampled bilinearly (premultiplied,
// texels outside the source transparent); behind the horizon (w' ≤ 0) is transparent.
// Twin: `exec::cpu::kernels::perspective` (`perspective_px`, `kernels::sample_bilinear`).

struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    m0: f32,
    m1: f32,
    m2: f32,
    m3: f32,
    m4: f32,
    m5: f32,
    m6: f32,
    m7: f32,
    m8: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

// texel() and sample(): bilinear, zero outside (the CPU twins' `kernels::sample_bilinear`).
// #include lib/sample_zero.wgsl

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.dst_width || id.y >= params.dst_height) {
        return;
    }
    let px = f32(id.x) + 0.5;
    let py = f32(id.y) + 0.5;
    let o = id.y * params.dst_width + id.x;
    let wp = params.m6 * px + params.m7 * py + params.m8;
    if (!(wp > 0.0)) {
        dst[o] = vec4<f32>(0.0);
        return;
    }
    let u = (params.m0 * px + params.m1 * py + params.m2) / wp;
    let v = (params.m3 * px + params.m4 * py + params.m5) / wp;
    dst[o] = sample(u - 0.5, v - 0.5);
}
