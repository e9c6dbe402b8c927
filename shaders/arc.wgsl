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

fn texel(x: i32, y: i32) -> vec4<f32> {
    if (x < 0 || y < 0 || x >= i32(params.src_width) || y >= i32(params.src_height)) {
        return vec4<f32>(0.0);
    }
    return src[u32(y) * params.src_width + u32(x)];
}

// `kernels::sample_bilinear`: texel centres at whole numbers.
fn sample(sx: f32, sy: f32) -> vec4<f32> {
    let fx0 = floor(sx);
    let fy0 = floor(sy);
    if (!(fx0 >= -2.0 && fy0 >= -2.0) || fx0 > f32(params.src_width) + 1.0 || fy0 > f32(params.src_height) + 1.0) {
        return vec4<f32>(0.0);
    }
    let fx = sx - fx0;
    let fy = sy - fy0;
    let x0 = i32(fx0);
    let y0 = i32(fy0);
    return texel(x0, y0) * ((1.0 - fx) * (1.0 - fy))
        + texel(x0 + 1, y0) * (fx * (1.0 - fy))
        + texel(x0, y0 + 1) * ((1.0 - fx) * fy)
        + texel(x0 + 1, y0 + 1) * (fx * fy);
}

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
