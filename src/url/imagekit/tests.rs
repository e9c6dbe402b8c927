//! Tests of the whole dialect: URL forms, source paths, the rewriter's output corpus, layers,
//! legacy overlays, named transformations, strictness, and a never-panics property.

use proptest::prelude::*;

use super::*;
use crate::error::ErrorKind;
use crate::job::{Background, Color, Crop, Dim, Focus, LayerKind, Radius, TextStyle, TimeValue, Trim};

fn chain(tr: &str) -> Result<(Vec<Step>, Output)> {
    parse_chain(tr, &ParseOptions::none())
}

fn steps(tr: &str) -> Vec<Step> {
    chain(tr).unwrap_or_else(|e| panic!("{tr}: {e}")).0
}

#[test]
fn url_forms() {
    let o = ParseOptions::none();
    let j = parse("/tr:w-300,h-200/photos/a.jpg", &o).unwrap();
    assert_eq!((j.source.as_str(), j.steps.len(), j.thumbnail), ("/photos/a.jpg", 1, false));
    assert_eq!(j.steps[0].resize.width, Some(Dim::Px(300)));
    let q = parse("/photos/a.jpg?tr=w-300,h-200&ik-s=abc&ik-t=123", &o).unwrap();
    assert_eq!(q.steps, j.steps);
    let both = parse("/tr:w-300/photos/a.jpg?tr=rt-90", &o).unwrap();
    assert_eq!(both.steps.len(), 2);
    assert!(both.steps[1].rotate.is_some());
    let none = parse("/photos/a.jpg", &o).unwrap();
    assert!(none.steps.is_empty() && none.output == Output::default());
    assert_eq!(parse("/photos/a.jpg?tr=&x=1", &o).unwrap(), none);
    let t = parse("/videos/v.mp4/ik-thumbnail.jpg", &o).unwrap();
    assert_eq!((t.source.as_str(), t.thumbnail), ("/videos/v.mp4", true));
    let t = parse("/tr:w-300/videos/v.mp4/ik-thumbnail.jpg", &o).unwrap();
    assert_eq!((t.source.as_str(), t.thumbnail, t.steps.len()), ("/videos/v.mp4", true, 1));
    let out = parse("/tr:f-png,q-50:w-10,q-60/a.jpg?tr=q-70", &o).unwrap().output;
    assert_eq!((out.format, out.quality), (Some(crate::job::Format::Png), Some(70)), "output is job-wide, last wins");
    for bad in ["/tr:w-300", "tr:w-300/a.jpg", "/tr:/a.jpg", "/tr:w-0/a.jpg", "/a/../b.jpg"] {
        assert!(parse(bad, &o).is_err(), "{bad}");
    }
}

#[test]
fn sources_are_normalised_or_refused() {
    let ok = [("/a.jpg", "/a.jpg"), ("//a//b/./c.jpg", "/a/b/c.jpg"), ("/a%20b.jpg", "/a b.jpg"), ("/x/", "/x")];
    for (raw, want) in ok {
        assert_eq!(normalize_source(raw).unwrap(), want, "{raw}");
    }
    for raw in ["a.jpg", "/", "/../a", "/a/%2e%2e/b", "/a/%2E%2E%2Fb", "/a\\b", "/a%5C..%5Cb", "/a%00b", "/%ff"] {
        let e = normalize_source(raw).unwrap_err();
        assert_eq!((e.key(), e.value()), (Some("path"), Some(raw)), "{raw}");
    }
}

#[test]
fn strict_errors_name_key_and_raw_value() {
    let table: &[(&str, &str, &str)] = &[
        ("w-abc", "w", "abc"),
        ("zz-1", "zz", "1"),
        ("w-300,blah", "blah", ""),
        ("h-", "h", ""),
        ("bl-101", "bl", "101"),
        ("q-0", "q", "0"),
        ("o-101", "o", "101"),
        ("dpr-9", "dpr", "9"),
        ("t-100", "t", "100"),
        ("bg-nope", "bg", "nope"),
        ("lx-10", "lx", "10"),
        ("w-100,bg-blurred", "bg", "blurred"),
        ("ow-60", "ow", "60"),
        ("oi-a.png,ow-abc", "ow", "abc"),
        ("ot-Hi,otc-nope", "otc", "nope"),
        ("n-missing", "n", "missing"),
        ("n-bad%20name", "n", "bad%20name"),
        ("l-image,i-a.png,f-png,l-end", "f", "png"),
        ("l-banner,l-end", "l", "banner"),
        ("l-end", "l", "end"),
        ("ac-aac,vc-vp9", "ac", "aac"),
        ("l-video,i-a.mp4,lso-x,l-end", "lso", "x"),
        ("l-video,i-a.mp4,ldu-iw_div_2,l-end", "ldu", "iw_div_2"),
        ("l-video,i-a.mp4,al-5,l-end", "al", "5"),
        ("l-video,i-a.mp4,ac-none,l-end", "ac", "none"),
        ("l-video,i-a.mp4,fs-20,l-end", "fs", "20"),
        ("l-video,lso-1,l-end", "l-video", ""),
        ("l-subtitles,i-a.ass,l-end", "i", "a.ass"),
        ("l-subtitles,i-a.srt,w-10,l-end", "w", "10"),
        ("l-subtitles,i-a.srt,lx-10,l-end", "lx", "10"),
        ("l-subtitles,i-a.srt,co-nope,l-end", "co", "nope"),
        ("l-subtitles,i-a.srt,fol-x_red,l-end", "fol", "x_red"),
        ("l-subtitles,i-..@@a.srt,l-end", "i", "..@@a.srt"),
        ("fol-2_red", "fol", "2_red"),
    ];
    for &(tr, key, value) in table {
        let e = chain(tr).unwrap_err();
        assert_eq!((e.key(), e.value()), (Some(key), Some(value)), "{tr}: {e}");
        assert!(e.kind().is_client_error());
    }
    for tr in ["w-1,,h-1", "w-1:", ":w-1", "w-1,"] {
        assert_eq!(chain(tr).unwrap_err().key(), Some("tr"), "{tr}");
    }
    for tr in ["l-image,i-a.png,lso-1,l-end", "pg-2"] {
        assert_eq!(chain(tr).unwrap_err().kind(), ErrorKind::Unsupported, "{tr}");
    }
}

#[test]
fn video_and_subtitle_layers() {
    let s = steps("so-1,l-video,i-clips@@logo.mp4,w-bw_mul_0.5,lx-N10,ly-20,lso-1,leo-3,ldu-9,so-0.5,du-1,l-end");
    let l = &s[0].layers[0];
    assert_eq!(l.kind, LayerKind::Video { path: "/clips/logo.mp4".into() });
    let p = &l.position;
    assert_eq!((&p.x, p.x_negative, &p.y), (&Some(Dim::Px(10)), true, &Some(Dim::Px(20))));
    assert_eq!((&p.start, &p.end, &p.duration), (&Some(TimeValue::Centis(100)), &Some(TimeValue::Centis(300)), &None));
    let v = &l.steps[0].video;
    assert_eq!((&v.start, &v.duration), (&Some(TimeValue::Centis(50)), &Some(TimeValue::Centis(100))));
    assert!(matches!(l.steps[0].resize.width, Some(Dim::Expr(_))));
    assert_eq!(s[0].video.start, Some(TimeValue::Centis(100)), "the base keeps its own so");

    let s = steps("l-subtitles,ie-c3Vicy9lbi52dHQ,co-red,fs-30,tg-b,l-end");
    let LayerKind::Subtitles { path, style } = &s[0].layers[0].kind else { panic!("{:?}", s[0].layers) };
    assert_eq!(path, "/subs/en.vtt");
    assert_eq!((style.color.map(|c| c.rgb), style.size, style.bold), (Some([255, 0, 0]), Some(30), true));
    assert!(s[0].layers[0].steps.is_empty());
}

#[test]
fn raw_separators_split_before_decoding() {
    let s = steps("l-text,i-10%3A30%2C%20ok,l-end:w-10");
    assert_eq!(s.len(), 2);
    let LayerKind::Text { text, .. } = &s[0].layers[0].kind else { panic!() };
    assert_eq!(text, "10:30, ok");
    let s = steps("ot-Open%2010%3A30,otf-Arial,ots-20,otc-white");
    let LayerKind::Text { text, style } = &s[0].layers[0].kind else { panic!() };
    assert_eq!((text.as_str(), style.font.as_deref()), ("Open 10:30", Some("Arial")));
}

#[test]
fn named_transformations_substitute_in_place() {
    let stored = |n: &str| match n {
        "a" => Some("w-50:rt-90".to_owned()),
        "b" => Some("bl-5".to_owned()),
        "loop" => Some("n-loop".to_owned()),
        _ => None,
    };
    let o = ParseOptions { named: &stored };
    let (got, _) = parse_chain("h-200,n-a,n-b,w-100", &o).unwrap();
    assert_eq!(got, steps("h-200,w-50:rt-90,bl-5,w-100"));
    assert_eq!(parse_chain("n-loop", &o).unwrap_err().key(), Some("n"));
}

#[test]
fn layers_nest_three_deep_with_own_chains() {
    let s = steps("w-300,l-image,i-outer.png,w-0.5:rt-90,l-image,i-inner.png,lfo-top_left,l-end,l-end");
    let outer = &s[0].layers[0];
    assert_eq!(outer.kind, LayerKind::Image { path: "/outer.png".into() });
    assert_eq!(outer.steps.len(), 2, "`:` inside the span splits the layer's steps");
    assert_eq!(outer.steps[0].trim, Some(Trim::Default), "image layers trim by default");
    assert_eq!(outer.steps[0].resize.width, Some(Dim::Fraction(0.5)));
    let inner = &outer.steps[1].layers[0];
    assert_eq!(inner.position.focus, Some(Focus::TopLeft));
    let three = "l-image,i-a,l-image,i-b,l-image,i-c,l-end,l-end,l-end";
    assert_eq!(steps(three).len(), 1);
    let four = "l-image,i-a,l-image,i-b,l-image,i-c,l-image,i-d,l-end,l-end,l-end,l-end";
    assert!(chain(four).is_err());
    assert!(chain("l-image,i-a.png").is_err(), "unclosed layer");
    assert!(chain("l-image,w-10,l-end").is_err(), "layer without input");
    assert_eq!(steps("l-image,i-a.png,t-false,l-end")[0].layers[0].steps[0].trim, Some(Trim::Off));
}

#[test]
fn text_and_solid_layers() {
    let s = steps("l-text,i-Hi,fs-45,ff-fonts@@Poppins.ttf,co-FFFFFF,ia-left,w-300,pa-10_20,tg-b_i,bg-FFFFFF75,r-max,lh-1.5,al-5,l-end");
    let LayerKind::Text { text, style } = &s[0].layers[0].kind else { panic!() };
    let want = TextStyle {
        size: Some(Dim::Px(45)),
        font: Some("/fonts/Poppins.ttf".into()),
        color: Some(Color { rgb: [255; 3], opacity_pct: None }),
        align: crate::job::TextAlign::Left,
        max_width: Some(Dim::Px(300)),
        padding: vec![Dim::Px(10), Dim::Px(20)],
        alpha: Some(5),
        bold: true,
        italic: true,
        background: Some(Color { rgb: [255; 3], opacity_pct: Some(75) }),
        radius: Some(Radius::Max),
        line_height: Some(1.5),
    };
    assert_eq!((text.as_str(), style), ("Hi", &want));
    let b64 = steps("l-text,i-ignored,ie-aGVsbG8%3D,l-end");
    assert!(matches!(&b64[0].layers[0].kind, LayerKind::Text { text, .. } if text == "hello"), "ie wins");
    let solid = steps("l-image,i-ik_canvas,bg-FF0000,w-300,h-100,al-5,l-end");
    let l = &solid[0].layers[0];
    assert_eq!(l.kind, LayerKind::Solid);
    assert_eq!(l.steps[0].background, Some(Background::Color(Color { rgb: [255, 0, 0], opacity_pct: Some(50) })));
    assert_eq!(l.steps[0].trim, None, "solid blocks are not trimmed");
    let named = steps("l-image,i-ik_canvas,bg-red,al-5,l-end");
    assert_eq!(
        named[0].layers[0].steps[0].background,
        Some(Background::Color(Color { rgb: [255, 0, 0], opacity_pct: None }))
    );
    assert!(chain("l-image,i-a.png,al-5,l-end").is_err());
    assert!(chain("l-image,i-a.png,fs-5,l-end").is_err());
    assert!(chain("l-image,i-a.png,lx-1,lxc-2,l-end").is_err());
}

#[test]
fn legacy_overlays_normalise_to_layers() {
    let pairs = [
        (
            "oi-brand@@logo.png,ow-60,ofo-top_left,ox-12,oy-N8",
            "l-image,i-brand@@logo.png,w-60,lfo-top_left,lx-12,ly-N8,l-end",
        ),
        ("ot-Hi,otf-Arial,ots-30,otc-red,ow-200,ofo-top", "l-text,i-Hi,ff-Arial,fs-30,co-red,w-200,lfo-top,l-end"),
        ("oi-stamp.png,oit-false,oibg-red,oib-5_red", "l-image,i-stamp.png,t-false,bg-red,b-5_red,l-end"),
        ("w-400,oi-a.png,ot-Hi", "w-400,l-image,i-a.png,l-end,l-text,i-Hi,l-end"),
        ("ot-Sale,ott-b_i,otia-center,oa-5", "l-text,i-Sale,tg-b_i,ia-center,al-5,l-end"),
    ];
    for (legacy, layer) in pairs {
        assert_eq!(steps(legacy), steps(layer), "{legacy}");
    }
    let s = steps("oi-glasses.png,ow-120,ofo-face");
    assert_eq!(s[0].layers[0].position.focus, Some(Focus::Face));
    assert!(chain("otf-Arial").is_err() && chain("oit-true,ot-Hi").is_err());
}

#[test]
fn parameters_that_cannot_take_effect_are_dropped() {
    assert_eq!(steps("w-100,x-5,y-5,z-2"), steps("w-100"));
    assert_eq!(steps("w-100,h-100,ar-4-3"), steps("w-100,h-100"));
    assert_eq!(steps("dpr-2,rt-90"), steps("rt-90"));
    assert_eq!(steps("so-1,eo-5,du-3"), steps("so-1,eo-5"));
    assert_eq!(steps("t-false,w-10"), steps("w-10"));
    assert_eq!(steps("c-force,cm-extract,w-10,h-10")[0].resize.crop, Some(Crop::Extract));
    assert_eq!(chain("w-300:f-png").unwrap(), chain("w-300,f-png").unwrap());
    let (s, out) = chain("w-300,orig-true,di-x.jpg").unwrap();
    assert!(s.is_empty() && out.original && out.default_image.as_deref() == Some("/x.jpg"));
    assert_eq!(steps("so-10.555")[0].video.start, Some(TimeValue::Centis(1056)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics(s in "\\PC{0,60}") {
        let _ = parse(&s, &ParseOptions::none());
        let _ = parse_chain(&s, &ParseOptions::none());
    }

    #[test]
    fn parse_never_panics_on_chain_like_input(
        parts in proptest::collection::vec("(w|h|ar|c|cm|fo|x|y|bl|e|t|r|rt|o|bg|b|l|i|lx|ot|oi|ow|so|n|q|f|dpr|pa|fs)-[a-zA-Z0-9_.%@N-]{0,12}|l-end|l-image|l-text", 0..12),
        seps in proptest::collection::vec(prop_oneof![Just(","), Just(":")], 12),
    ) {
        let mut tr = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                tr.push_str(seps[i]);
            }
            tr.push_str(p);
        }
        let stored = |n: &str| (n == "x").then(|| "w-10:n-x".to_owned());
        let _ = parse_chain(&tr, &ParseOptions { named: &stored });
        let _ = parse(&format!("/tr:{tr}/a.jpg"), &ParseOptions::none());
    }
}

#[test]
fn layer_modes() {
    use crate::job::LayerMode;
    let mode = |tr: &str| steps(tr)[0].layers[0].mode;
    assert_eq!(mode("l-image,i-a.png,l-end"), LayerMode::Normal);
    assert_eq!(mode("l-image,i-a.png,lm-multiply,l-end"), LayerMode::Multiply);
    assert_eq!(mode("l-image,i-a.png,lm-cutout,lxc-bw_mul_0.5,l-end"), LayerMode::Cutout);
    assert_eq!(mode("l-text,i-Hi,lm-cutter,l-end"), LayerMode::Cutter);
    // Displacement amounts are not a position: the layer stays centred (lfo default).
    let s = steps("l-image,i-a.png,lx-N10,lm-displace,lfo-top,l-end");
    let l = &s[0].layers[0];
    assert_eq!(l.mode, LayerMode::Displace);
    assert_eq!((l.position.x.clone(), l.position.x_negative), (Some(Dim::Px(10)), true));
    assert_eq!(l.position.focus, Some(Focus::Top), "lx of a displacement map does not cancel lfo");
    // lxc still places a displacement map, together with its lx strength.
    let s = steps("l-image,i-a.png,lm-displace,lx-5,lxc-20,l-end");
    assert_eq!(s[0].layers[0].position.xc, Some(Dim::Px(20)));
    for (tr, key, value) in [
        ("l-image,i-a.png,lm-screen,l-end", "lm", "screen"),
        ("l-image,i-a.png,lm-displace,l-end", "lm", "displace"),
        ("lm-multiply", "lm", "multiply"),
    ] {
        let e = chain(tr).unwrap_err();
        assert_eq!((e.key(), e.value(), e.kind()), (Some(key), Some(value), ErrorKind::InvalidArgument), "{tr}");
    }
    // The video pipeline overlays video layers and burns subtitles source-over only.
    let e = chain("l-video,i-a.mp4,lm-multiply,l-end").unwrap_err();
    assert_eq!((e.key(), e.value(), e.kind()), (Some("lm"), Some("multiply"), ErrorKind::Unsupported));
}
