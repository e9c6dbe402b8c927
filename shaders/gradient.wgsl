// Linear gradient over the frame (`e-gradient`): t = clamp(position along the CSS gradient
// line / stop, 0, 1), gradient = from + (to − from)·t on premultiplied colours, drawn over
// the pixel source-over. The line (start, unit direction) is computed on the CPU by
// `plan::warp::GradientLine`. Twin: `exec::cpu::kernels::gradient` (`gradient_px`).

struct Params {
    width: u32,
    height: u32,
    // Pixels along the line where `to` is reached (> 0).
    stop: f32,
    _pad0: u32,
    start_x: f32,
    start_y: f32,
    dir_x: f32,
    dir_y: f32,
    // Premultiplied, 0..1.
    from_color: vec4<f32>,
    to_color: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let px = f32(id.x) + 0.5;
    let py = f32(id.y) + 0.5;
    let d = (px - params.start_x) * params.dir_x + (py - params.start_y) * params.dir_y;
    let t = clamp(d / params.stop, 0.0, 1.0);
    let g = params.from_color + (params.to_color - params.from_color) * t;
    let i = id.y * params.width + id.x;
    dst[i] = g + src[i] * (1.0 - g.a);
}
