// Unsharp mask: combines the source `s` and its Gaussian blur `b` (made by blur_h + blur_v
// with the same weights) with ImageMagick's rule, per colour channel on straight values:
//   d = s − b;  out = s if |2·d| < threshold, else s + amount · d
// Alpha is the source's. Twin: `exec::cpu::kernels::sharpen::unsharp_mask` (`usm_px`); the
// twin binds the blurred frame before the destination, here the destination stays at 2 as
// shaders/README.md requires and the blurred frame is the table at 3.

struct Params {
    width: u32,
    height: u32,
    amount: f32,
    // threshold × 255, as in the twin's `UsmParams`.
    threshold_255: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> blurred: array<vec4<f32>>;

fn straight(p: vec4<f32>) -> vec3<f32> {
    if (p.a <= 0.0) {
        return vec3<f32>(0.0);
    }
    return min(p.rgb / p.a, vec3<f32>(1.0));
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let i = id.y * params.width + id.x;
    let sp = src[i];
    let s = straight(sp);
    let d = s - straight(blurred[i]);
    let sharp = clamp(s + params.amount * d, vec3<f32>(0.0), vec3<f32>(1.0));
    let keep = abs(2.0 * d) * 255.0 < vec3<f32>(params.threshold_255);
    let out = select(sharp, s, keep);
    dst[i] = vec4<f32>(out * sp.a, sp.a);
}
