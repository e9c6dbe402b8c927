// Vertical pass of the separable resize: each output pixel is a weighted sum of a run of
// source pixels along y. Weights are precomputed on the CPU (Lanczos3 / cubic / bilinear,
// widened for down-scaling so large reductions do not alias) and shared with the CPU twin
// in src/exec/cpu/kernels/resize.rs.

struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    // Weights stored per output coordinate along y.
    taps: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;
// (first source index, number of taps) per output coordinate.
@group(0) @binding(3) var<storage, read> bounds: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> weights: array<f32>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.dst_width || id.y >= params.dst_height) {
        return;
    }
    let o = id.y;
    let b = bounds[o];
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < b.y; k = k + 1u) {
        let w = weights[o * params.taps + k];
        acc = acc + w * src[(b.x + k) * params.src_width + id.x];
    }
    dst[id.y * params.dst_width + id.x] = acc;
}
