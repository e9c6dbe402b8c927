// Premultiplied vec4<f32> -> RGBA8 straight alpha (one u32 per pixel), rounded to nearest.
// Rows are written with `out_stride` u32s so the buffer can be copied to a staging buffer
// whose rows are padded to 256 bytes.

struct Params {
    width: u32,
    height: u32,
    out_stride: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let p = clamp(src[id.y * params.width + id.x], vec4<f32>(0.0), vec4<f32>(1.0));
    var rgb = vec3<f32>(0.0);
    if (p.a > 0.0) {
        rgb = min(p.rgb / p.a, vec3<f32>(1.0));
    }
    dst[id.y * params.out_stride + id.x] = pack4x8unorm(vec4<f32>(rgb, p.a));
}
