//! URL rewriter throughput: Cloudinary paths per second through
//! `url::cloudinary::translate`, over a realistic mix of delivery paths (plain resizes,
//! `f_auto,q_auto`, versions, signatures, overlays, named transformations, video trims,
//! a `fetch` URL). Wired into the single bench harness by `benches/main.rs`.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use xformd::url::cloudinary::{translate, Options};

/// Typical paths as CDN logs show them (after the URL endpoint).
const PATHS: [&str; 20] = [
    "/image/upload/w_300,h_300,c_fill,g_auto/v1612345678/products/shoe-42.jpg",
    "/image/upload/f_auto,q_auto/v1/folder/hero.jpg",
    "/image/upload/c_scale,w_640/sample.jpg",
    "/image/upload/w_150,h_150,c_crop,g_face,z_2.0/avatars/u123.png",
    "/image/upload/c_fill,w_800,h_600,f_auto,q_auto:good,dpr_2.0/v1599999999/blog/2024/cover.jpg",
    "/image/upload/s--Ab12Cd34--/w_200/v1/private/sample.jpg",
    "/image/upload/c_pad,w_300,h_200,b_white/catalog/item_0001.jpg",
    "/image/upload/t_thumbnail/v1700000000/media/photo.webp",
    "/image/upload/w_400/l_logo.png/fl_layer_apply,g_north_east,x_10,y_10/banner.jpg",
    "/image/upload/l_text:Roboto_40_bold:Sale,co_rgb:FF0000/fl_layer_apply,g_south/promo.jpg",
    "/video/upload/so_2.5,du_10,q_auto/v3/clips/intro.mp4",
    "/image/upload/e_blur:300,q_60/bg.jpg",
    "/image/upload/ar_16:9,c_fill,w_1200/f_jpg/landing.png",
    "/image/upload/w_200,h_200,c_fill/r_max/profile.jpg",
    "/image/upload/v1612345678/folder/image.jpg",
    "/image/fetch/w_100/https://example.com/a.jpg",
    "/image/upload/c_limit,w_1000,fl_progressive/q_auto:eco/article.jpg?width=1000",
    "/image/upload/e_sharpen:100,bo_2px_solid_black/gallery/img.jpg",
    "/h_300,w_300,c_crop,g_north/a_50/folder/image.jpg",
    "/image/upload/if_w_gt_800/w_800/if_end/e_grayscale/sample.jpg",
];

/// Registers the rewriter benchmarks.
pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("url_parse");
    group.throughput(Throughput::Elements(PATHS.len() as u64));
    for (name, opts) in
        [("cloudinary_mix", Options { keep_types: false }), ("cloudinary_mix_keep_types", Options { keep_types: true })]
    {
        group.bench_function(name, |b| {
            b.iter(|| {
                for path in PATHS {
                    black_box(translate(black_box(path), &opts));
                }
            })
        });
    }
    group.finish();
}
