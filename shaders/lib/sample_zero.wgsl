// Shared by the warps (`arc`, `perspective`) and `blend` (displace): bilinear sampling of the kernel's `src` with
// texel centres at whole numbers and zero (transparent) outside, the rule of the CPU twins'
// `kernels::sample_bilinear`. Included with `// #include lib/sample_zero.wgsl` (build.rs
// pastes it in); the including shader declares `params.src_width`, `params.src_height`, `src`.

fn texel(x: i32, y: i32) -> vec4<f32> {
    if (x < 0 || y < 0 || x >= i32(params.src_width) || y >= i32(params.src_height)) {
        return vec4<f32>(0.0);
    }
    return src[u32(y) * params.src_width + u32(x)];
}

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
