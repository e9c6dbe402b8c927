//! Canonical form tests: the rewriter's corpus parses, every parsed job renders to a string
//! that parses back to the same job (`parse_chain(render_chain(x)) == x`), rendering is
//! idempotent, and URLs with the same meaning render the same.

use super::*;
use crate::job::canonical::{render, render_chain};

fn chain(tr: &str) -> Result<(Vec<Step>, Output)> {
    parse_chain(tr, &ParseOptions::none())
}

/// Every transformation string the Cloudinary rewriter is specified to emit
/// (`shared/spec/examples.tsv`, column `expected_tr`) must parse.
const REWRITER_CORPUS: &[&str] = &[
    "ar-2.5-1,w-400",
    "ar-3-1,h-200",
    "ar-4-3,w-400,c-maintain_ratio",
    "b-3-darkslategray",
    "b-5-AAAA5466",
    "b-5-BB44FF",
    "bg-blurred_20_N255,cm-pad_resize,w-800,h-600",
    "bg-dominant,cm-pad_resize,w-300,h-200",
    "bl-1",
    "bl-20",
    "bl-3",
    "bl-5",
    "c-at_max,w-iw_mul_2.0",
    "c-maintain_ratio,n-thumb,n-watermark,w-320",
    "c-maintain_ratio,w-300,h-200",
    "cm-extract,w-0.5,h-0.5,x-iw_mul_0.25,y-ih_mul_0.25",
    "cm-extract,w-200,h-200,x-100,y-50",
    "cm-pad_resize,w-100,h-100,bg-FF000050",
    "cm-pad_resize,w-300,h-200",
    "cm-pad_resize,w-800,h-600,bg-blurred_5_255",
    "cm-pad_resize,w-800,h-600,bg-blurred_5_N25",
    "dpr-3.0,w-100",
    "e-contrast",
    "e-grayscale",
    "e-grayscale,w-300",
    "e-sharpen-5",
    "e-usm-0-2.5-1-0.05",
    "e-usm-0-5-1-0.05",
    "eo-10.55",
    "f-jpg",
    "h-100",
    "h-100:rt-90",
    "h-300,w-300,cm-extract,fo-top",
    "h-300,w-300,cm-extract,fo-top:rt-50",
    "h-50,w-200",
    "n-insta_crop",
    "n-my_thumb",
    "n-thumbnail",
    "oi-brand@@logo.png",
    "oi-brand@@watermark,ow-60,ofo-top_left,ox-12,oy-8",
    "oi-frame.png,ow-50,ofo-top",
    "oi-frame.png,ow-bw_mul_0.9,oh-bh_mul_0.9",
    "oi-glasses.png,ow-120,ofo-face",
    "oi-image@@upload@@brand@@logo.png",
    "oi-image@@upload@@brand@@watermark,ow-60,ofo-top_left,ox-12,oy-8",
    "oi-image@@upload@@frame.png,ow-50,ofo-top",
    "oi-image@@upload@@frame.png,ow-bw_mul_0.9,oh-bh_mul_0.9",
    "oi-image@@upload@@glasses.png,ow-120,ofo-face",
    "oi-image@@upload@@logo.png",
    "oi-image@@upload@@stamp.png",
    "oi-image@@upload@@stamp.png,ofo-bottom_left,ox-10,oy-N10",
    "oi-image@@upload@@stamp.png,ofo-right",
    "oi-image@@upload@@stamp.png,ofo-top_right,oy-12",
    "oi-image@@upload@@watermark",
    "oi-image@@upload@@watermark,ow-bw_mul_0.25,ofo-bottom_left",
    "oi-logo.png",
    "oi-stamp.png",
    "oi-stamp.png,ofo-bottom_left,ox-10,oy-N10",
    "oi-stamp.png,ofo-right",
    "oi-stamp.png,ofo-top_right,oy-12",
    "oi-watermark",
    "oi-watermark,ow-bw_mul_0.25,ofo-bottom_left",
    "ot-Hello,otf-Roboto,ots-50",
    "ot-Hello,otf-Roboto,ots-50,ott-b,otia-left",
    "ot-Hi,otf-Arial,ots-30,otc-red,ow-200,ofo-top",
    "ot-Hi,otf-Lacquer-Regular.ttf,ots-50,ott-b,otia-left",
    "ot-Hi,otf-Lacquer.ttf,ots-40",
    "ot-Open%2010%3A30,otf-Arial,ots-20,otc-white",
    "ot-Sale,otf-Arial,ots-40,ott-b_i,otia-center",
    "ot-Sale,otf-Roboto,ots-40,otc-BB44FF60",
    "pr-false",
    "pr-false,w-500",
    "pr-true,w-500",
    "q-40",
    "q-50",
    "q-60",
    "q-70",
    "q-86",
    "r-15",
    "r-20",
    "r-max",
    "rt-90",
    "rt-N67",
    "so-10.56",
    "so-2.5,du-10.55",
    "so-idu_mul_0.1",
    "so-idu_mul_0.1,eo-idu_mul_0.625",
    "t-20",
    "t-true",
    "w-007",
    "w-100",
    "w-1000",
    "w-150,h-150,cm-extract,fo-face",
    "w-150,h-150,cm-extract,fo-face,z-2.0",
    "w-200",
    "w-200,h-200,c-maintain_ratio,fo-center",
    "w-200,h-200,c-maintain_ratio:r-max",
    "w-300",
    "w-300,b-5-red",
    "w-300,h-200,cm-pad_resize,fo-bottom_right,bg-white",
    "w-300,h-300,c-at_max",
    "w-300,h-300,c-force",
    "w-300,h-300,c-maintain_ratio,fo-auto",
    "w-300,h-300,cm-pad_resize,bg-BB44FF60",
    "w-300,h-300,cm-pad_resize,bg-blue",
    "w-300,h-300,f-auto,q-70",
    "w-400:oi-image@@upload@@logo.png,ofo-top_right",
    "w-400:oi-logo.png,ofo-top_right",
    "w-640",
    "w-800,h-600,cm-pad_resize,bg-blurred",
    "w-800,h-600,cm-pad_resize,bg-blurred_5_25",
    "w-iw_mul_1.5,h-0.25",
];

#[test]
fn rewriter_corpus_parses() {
    let stored = |name: &str| match name {
        "thumb" => Some("w-100,h-100".to_owned()),
        "watermark" => Some("oi-logo.png".to_owned()),
        "insta_crop" | "my_thumb" | "thumbnail" => Some("w-320,h-320:q-70".to_owned()),
        _ => None,
    };
    let opts = ParseOptions { named: &stored };
    for tr in REWRITER_CORPUS {
        if let Err(e) = parse_chain(tr, &opts) {
            panic!("{tr}: {e}");
        }
    }
}

fn canon(tr: &str) -> String {
    let (s, o) = chain(tr).unwrap_or_else(|e| panic!("{tr}: {e}"));
    render_chain(&s, &o)
}

fn round_trip(tr: &str, opts: &ParseOptions<'_>) {
    let parsed = parse_chain(tr, opts).unwrap_or_else(|e| panic!("{tr}: {e}"));
    let text = render_chain(&parsed.0, &parsed.1);
    let again = parse_chain(&text, &ParseOptions::none()).unwrap_or_else(|e| panic!("{tr} ⇒ {text}: {e}"));
    assert_eq!(again, parsed, "{tr} ⇒ {text}");
    assert_eq!(render_chain(&again.0, &again.1), text, "idempotent: {tr}");
}

#[test]
fn corpus_round_trips() {
    let stored = |n: &str| (n != "x").then(|| "w-100,h-100:q-70".to_owned());
    let opts = ParseOptions { named: &stored };
    for tr in REWRITER_CORPUS {
        round_trip(tr, &opts);
    }
    let more = [
        "l-text,i-%E0%A4%87%20a%3Ab%2Cc,ff-fonts@@Poppins.ttf,fs-42,ia-left,pa-10_bw_div_20,ly-N100,bg-FFFFFF75,co-145FDD,l-end",
        "l-image,i-a@@b.png,w-0.5,h-bh_mul_0.2:rt-45,bg-red,lap-center,lx-N10,lyc-5,l-image,i-c.png,l-end,l-end",
        "l-image,i-ik_canvas,bg-FF0000,w-300,h-100,al-5,r-1_2_3_4,l-end",
        "l-image,i-a.png,w-100,lm-multiply,l-end,l-image,i-b.png,lm-cutter,lap-center,lxc-bw_mul_0.25,l-end",
        "l-image,i-ik_canvas,bg-FF8000,w-bw_mul_0.5,lm-displace,lx-N10,ly-bh_mul_0.1,lfo-top,l-end",
        "w-300,h-300,cm-pad_resize,bg-gradient_dominant:w-10,h-20,cm-pad_extract,bg-gradient_dominant_4",
        "w-300,h-200,cm-pad_resize,fo-bottom_right,bg-blurred_auto_N30,dpr-auto,r-max,b-ih_div_20_red,o-50",
        "cm-extract,w-200,h-200,xc-iw_div_2,yc-100,e-usm-0-2.5-1-0.05,e-sharpen,e-grayscale,t-20,fl-h_v",
        "so-idu_mul_0.1,eo-10.555,ac-aac,vc-h264,f-mp4,q-50,pr-true,lo-false,md-true,cp-true,di-@@x@@y%20z.jpg",
        "w-auto,ar-iar_div_2,c-at_max_enlarge,rt-N45.5,e-contrast,bl-7",
        "fo-face,z-1.5,w-100,h-100",
        "e-shadow-bl-15_st-40_x-10_y-N5,e-gradient-ld-top_right_from-FF000040_to-00FF0040_sp-0.9",
        "e-distort-p-N20_0_300_N5_280_200_0_210,e-gradient-sp-120_to-red,e-shadow,e-distort-a-N90.5",
        "e-gradient-ld-right_sp-ih_div_2_add_10,e-gradient-sp-cw_mul_0.25",
        "l-video,i-clips@@a%20b.mp4,lfo-top_right,lso-1.5,ldu-bdu_div_2,w-bw_mul_0.25,so-0.5,du-2,l-end",
        "l-video,ie-Y2xpcC5tcDQ,lx-N10,ly-20,lso-1,leo-3,ldu-9,h-100,l-end",
        "l-subtitles,i-subs@@en.srt,fs-24,ff-DejaVuSans,co-yellow,bg-00000060,tg-b_i,fol-2_A1CCDD50,fsh-blue_3,l-end",
        "l-subtitles,i-subs@@en.vtt,ff-fonts@@NotoSans-Regular.ttf,co-red,l-end",
    ];
    for tr in more {
        round_trip(tr, &ParseOptions::none());
    }
}

#[test]
fn equal_meanings_give_equal_strings() {
    let same = [
        ("ar-4_3,w-400", "w-400,ar-4-3"),
        ("bg-red,w-10,h-10,cm-pad_resize", "cm-pad_resize,w-10,h-10,bg-FF0000"),
        ("w-007", "w-7.0"),
        ("cm-extract,c-force,w-10,h-10", "w-10,h-10,c-force,cm-extract"),
        ("rt-N90", "rt-270"),
        ("dpr-3.0,w-100", "w-100,dpr-3"),
        ("f-jpeg", "f-jpg"),
        ("w-300:f-png", "f-png,w-300"),
        ("w-300,h-200,c-maintain_ratio,fo-center", "w-300,h-200"),
        ("oi-logo.png,ox-10,ofo-top", "l-image,i-logo.png,t-true,lx-10,l-end"),
        ("l-image,i-a%20b.png,lfo-center,l-end", "l-image,i-a b.png,l-end"),
        ("so-10.555,du-3,eo-20", "so-10.56,eo-20"),
        ("rt-360,w-5,dpr-1", "w-5"),
        ("e-grayscale,l-text,i-Hi,ia-center,l-end", "e-grayscale,l-text,ie-SGk,l-end"),
        ("e-shadow-y-2_x-2_bl-10", "e-shadow"),
        ("e-gradient-ld-bottom_sp-1_from-white", "e-gradient-ld-180"),
        ("e-gradient-ld-top_right", "e-gradient-ld-45"),
    ];
    for (a, b) in same {
        assert_eq!(canon(a), canon(b), "{a} vs {b}");
    }
    assert_eq!(canon("bg-red,w-10,h-10,cm-pad_resize"), "w-10,h-10,cm-pad_resize,bg-FF0000");
    assert_eq!(canon("oi-brand@@logo.png,ow-60,oy-N8"), "l-image,i-brand@@logo.png,ly-N8,t-true,w-60,l-end");
}

#[test]
fn whole_request_round_trips() {
    let o = ParseOptions::none();
    for url in ["/tr:w-300,h-200/photos/a%20b.jpg", "/videos/v.mp4/ik-thumbnail.jpg", "/a.jpg?tr=q-50", "/tr%3Ax/a.jpg"]
    {
        let job = parse(url, &o).unwrap();
        assert_eq!(parse(&render(&job), &o).unwrap(), job, "{url} ⇒ {}", render(&job));
    }
}
