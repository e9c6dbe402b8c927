// Gaussian blur, vertical pass: `Σ_k w[k] · in[clamp(i + k − r)]` along y with taps in
// ascending k and edges clamped (the border pixel repeats), on premultiplied pixels.
// Weights are `exec::cpu::kernels::blur::gaussian_weights`, uploaded unchanged.
// Twin: `exec::cpu::kernels::blur::gaussian_blur_with_radius`.

struct Params {
    width: u32,
    height: u32,
    radius: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;
// 2 × radius + 1 normalised weights.
@group(0) @binding(3) var<storage, read> weights: array<f32>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let r = i32(params.radius);
    var acc = vec4<f32>(0.0);
    for (var k = 0; k <= 2 * r; k = k + 1) {
        acc = acc + weights[k] * src[u32(clamp(i32(id.y) + k - r, 0, i32(params.height) - 1)) * params.width + id.x];
    }
    dst[id.y * params.width + id.x] = acc;
}
