// Border: output pixel (x, y) is the source pixel at (x − width, y − width) when that lies
// inside the source, otherwise `color`. A copy, not a composite: transparent source pixels
// stay transparent. Twin: `exec::cpu::kernels::border::border`.

struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    width: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    // Premultiplied colour, 0..1.
    color: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.dst_width || id.y >= params.dst_height) {
        return;
    }
    var out = params.color;
    let b = params.width;
    if (id.x >= b && id.y >= b && id.x - b < params.src_width && id.y - b < params.src_height) {
        out = src[(id.y - b) * params.src_width + (id.x - b)];
    }
    dst[id.y * params.dst_width + id.x] = out;
}
