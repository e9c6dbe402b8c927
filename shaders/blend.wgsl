// Blend: the layer modes other than source-over (`lm-…`). The frame (binding 1) is copied to
// a new frame (binding 2) with the pixels under the layer (binding 3, its top-left corner at
// x, y, possibly negative) replaced by the mode's rule, on premultiplied colour:
//   mode 0 multiply  L·(1 − B.a) + B·(1 − L.a) + L·B, alpha L.a + B.a·(1 − L.a)
//   mode 1 cutout    B·(1 − L.a)
//   mode 2 cutter    B·L.a (the dispatcher then crops to the layer's rectangle)
//   mode 3 displace  B sampled bilinearly at p + (X·(2·L.r − L.a), Y·(2·L.g − L.a)), edges clamped
// Twin: `exec::cpu::kernels::blend` (same formulas, same sample rule).

struct Params {
    src_width: u32,
    src_height: u32,
    layer_width: u32,
    layer_height: u32,
    x: i32,
    y: i32,
    mode: u32,
    _pad0: u32,
    amount_x: f32,
    amount_y: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> layer: array<vec4<f32>>;

// texel() and sample(): bilinear, zero outside; displace clamps its coordinates to the frame
// first, so the edge repeats (the CPU twin: `sample_bilinear` at clamped coordinates).
// #include lib/sample_zero.wgsl

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.src_width || id.y >= params.src_height) {
        return;
    }
    let i = id.y * params.src_width + id.x;
    let b = src[i];
    // The dispatcher clamps x, y to ±2^30, so these differences cannot wrap.
    let lx = i32(id.x) - params.x;
    let ly = i32(id.y) - params.y;
    if (lx < 0 || ly < 0 || lx >= i32(params.layer_width) || ly >= i32(params.layer_height)) {
        dst[i] = b;
        return;
    }
    let l = layer[u32(ly) * params.layer_width + u32(lx)];
    switch params.mode {
        case 0u: {
            let rgb = l.rgb * (1.0 - b.a) + b.rgb * (1.0 - l.a) + l.rgb * b.rgb;
            dst[i] = vec4<f32>(rgb, l.a + b.a * (1.0 - l.a));
        }
        case 1u: {
            dst[i] = b * (1.0 - l.a);
        }
        case 2u: {
            dst[i] = b * l.a;
        }
        default: {
            let sx = f32(id.x) + params.amount_x * (2.0 * l.r - l.a);
            let sy = f32(id.y) + params.amount_y * (2.0 * l.g - l.a);
            let maxx = f32(params.src_width - 1u);
            let maxy = f32(params.src_height - 1u);
            dst[i] = sample(clamp(sx, 0.0, maxx), clamp(sy, 0.0, maxy));
        }
    }
}
