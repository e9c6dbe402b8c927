// Crop: copy the `dst_width` × `dst_height` window whose top-left corner is (`x`, `y`) in the
// source. The window lies inside the source (the dispatcher checks, as the CPU twin
// `exec::cpu::kernels::composite::crop` does).

struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    x: u32,
    y: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.dst_width || id.y >= params.dst_height) {
        return;
    }
    dst[id.y * params.dst_width + id.x] = src[(id.y + params.y) * params.src_width + id.x + params.x];
}
