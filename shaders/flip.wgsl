// Flip: a copy with mirrored indices, `dst[x, y] = src[w−1−x, y]` (horizontal) and/or
// `src[x, h−1−y]` (vertical). Twin: `exec::cpu::kernels::flip::flip`.

struct Params {
    width: u32,
    height: u32,
    horizontal: u32,
    vertical: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    var sx = id.x;
    var sy = id.y;
    if (params.horizontal != 0u) {
        sx = params.width - 1u - id.x;
    }
    if (params.vertical != 0u) {
        sy = params.height - 1u - id.y;
    }
    dst[id.y * params.width + id.x] = src[sy * params.width + sx];
}
