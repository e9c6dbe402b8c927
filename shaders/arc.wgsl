// Arc distortion (`e-distort-a`, ImageMagick's `-distort Arc`): each output pixel centre
// becomes an angle φ from the arc's axis and a radius ρ about the circle centre; the source
// column is u = (φ/angle + ½)·width, the row v = (top_radius − ρ)·sign (sign 1 = frown,
// centre below; −1 = smile, centre above). Sampled bilinearly as in `perspective.wgsl`.
// Geometry from `plan::warp::ArcGeometry`. Twin: `exec::cpu::kernels::arc` (`arc_px`).

struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    centre_x: f32,
    centre_y: f32,
    angle: f32,
    width: f32,
    top_radius: f32,
    sign: f32,
    _pad0: u32,
    _pad1: u32,
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
    let dx = px - params.centre_x;
    let dy = (params.centre_y - py) * params.sign;
    let phi = atan2(dx, dy);
    let rho = sqrt(dx * dx + dy * dy);
    let u = (phi / params.angle + 0.5) * params.width;
    let v = (params.top_radius - rho) * params.sign;
    dst[id.y * params.dst_width + id.x] = sample(u - 0.5, v - 0.5);
}
