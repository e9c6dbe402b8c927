// Flatten over an opaque colour: `out = p + bg · (1 − p.a)` (premultiplied), alpha 1.
// Twin: `exec::cpu::kernels::composite::flatten`.

struct Params {
    width: u32,
    height: u32,
    _pad0: u32,
    _pad1: u32,
    // Background, straight 0..1; its alpha is ignored.
    bg: vec4<f32>,
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
    dst[i] = vec4<f32>(p.rgb + params.bg.rgb * (1.0 - p.a), 1.0);
}
