//! Size, crop and focus parameters (spec §2–§4): `w h ar dpr c cm fo x y xc yc z`.
//!
//! Owns: parsing of these keys into [`Resize`], and of focus values (also used by `lfo`,
//! `ofo`, `lap`). May import `job`, `error`.
//!
//! # Format
//! ```text
//! w-300  w-0.4  w-auto  w-iw_div_2     h-200          ar-4-3  ar-2_1  ar-iar_div_2
//! dpr-2  dpr-auto                      c-at_max       cm-pad_resize   fo-top_left  fo-auto
//! x-100  y-N0  xc-iw_div_2             z-1.5
//! ```
//! `c` and `cm` are one concept: a `cm-` value is never replaced by a later `c-` value.

use super::number::{decimal, dim, DimRules};
use crate::error::{Error, Result};
use crate::job::{AspectRatio, Crop, Dpr, Expr, Focus, Resize};

/// Where a parameter appears; layers accept a subset of crop values (spec §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Where {
    /// A top-level chain step.
    Base,
    /// A step of an image layer.
    Layer,
}

const WH: DimRules = DimRules { fraction: true, auto: false, zero: false };
const XY: DimRules = DimRules { fraction: false, auto: false, zero: true };

/// Apply one size parameter to `r`. Returns `Ok(false)` when `key` is not a size key.
pub(super) fn apply(key: &str, value: &str, r: &mut Resize, at: Where) -> Result<bool> {
    match key {
        "w" => r.width = Some(dim(key, value, DimRules { auto: at == Where::Base, ..WH })?),
        "h" => r.height = Some(dim(key, value, WH)?),
        "ar" => r.aspect = Some(aspect(key, value)?),
        "dpr" => r.dpr = Some(dpr(key, value)?),
        "c" | "cm" => {
            let c = crop(key, value, at)?;
            // `cm` wins over `c` whatever the order (spec §3).
            if !(key == "c" && r.crop.is_some_and(Crop::is_mode)) {
                r.crop = Some(c);
            }
        }
        "fo" => r.focus = Some(focus(key, value, true)?),
        "x" => r.x = Some(dim(key, value, XY)?),
        "y" => r.y = Some(dim(key, value, XY)?),
        "xc" => r.xc = Some(dim(key, value, XY)?),
        "yc" => r.yc = Some(dim(key, value, XY)?),
        "z" => {
            let z = decimal(key, value)?;
            if z <= 0.0 {
                return Err(Error::invalid(key, value, "zoom must be greater than 0"));
            }
            r.zoom = Some(z);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// `ar-a-b`, `ar-a_b` or an expression giving width / height.
pub(super) fn aspect(key: &str, value: &str) -> Result<AspectRatio> {
    let pair = value.split_once('-').or_else(|| {
        let (a, b) = value.split_once('_')?;
        (super::number::is_decimal(a) && super::number::is_decimal(b)).then_some((a, b))
    });
    if let Some((a, b)) = pair {
        let bad = || Error::invalid(key, value, "aspect ratio must be two positive numbers, e.g. 4-3");
        let (a, b) = (decimal(key, a).map_err(|_| bad())?, decimal(key, b).map_err(|_| bad())?);
        if a <= 0.0 || b <= 0.0 {
            return Err(bad());
        }
        return Ok(AspectRatio::Ratio(a, b));
    }
    Ok(AspectRatio::Expr(Expr::parse(key, value)?))
}

/// `dpr-<0.1..5>`, `dpr-auto` or an expression.
fn dpr(key: &str, value: &str) -> Result<Dpr> {
    if value == "auto" {
        return Ok(Dpr::Auto);
    }
    if super::number::is_decimal(value) {
        let v = decimal(key, value)?;
        if !(0.1..=5.0).contains(&v) {
            return Err(Error::invalid(key, value, "dpr must be between 0.1 and 5"));
        }
        return Ok(Dpr::Value(v));
    }
    Ok(Dpr::Expr(Expr::parse(key, value)?))
}

/// A crop strategy (`c`) or crop mode (`cm`).
fn crop(key: &str, value: &str, at: Where) -> Result<Crop> {
    let c = match (key, value) {
        ("c", "maintain_ratio") => Crop::MaintainRatio,
        ("c", "maintain_ratio_no_enlarge") => Crop::MaintainRatioNoEnlarge,
        ("c", "force") => Crop::Force,
        ("c", "at_max") => Crop::AtMax,
        ("c", "at_max_enlarge") => Crop::AtMaxEnlarge,
        ("c", "at_least") => Crop::AtLeast,
        ("cm", "pad_resize") => Crop::PadResize,
        ("cm", "pad_resize_no_enlarge") => Crop::PadResizeNoEnlarge,
        ("cm", "extract") => Crop::Extract,
        ("cm", "pad_extract") => Crop::PadExtract,
        ("cm", "pad_extract_no_shrink") => Crop::PadExtractNoShrink,
        _ => return Err(Error::invalid(key, value, "unknown crop value")),
    };
    let layer_ok = matches!(c, Crop::Force | Crop::AtMax | Crop::AtLeast | Crop::Extract | Crop::PadResize);
    if at == Where::Layer && !layer_ok {
        return Err(Error::invalid(
            key,
            value,
            "not allowed inside a layer (c: force, at_max, at_least; cm: extract, pad_resize)",
        ));
    }
    Ok(c)
}

/// A focus value. `detectors` admits `auto`, `face`, `custom` and object names (`fo`); the
/// nine relative positions are always accepted.
pub(super) fn focus(key: &str, value: &str, detectors: bool) -> Result<Focus> {
    let f = match value {
        "center" => Focus::Center,
        "top" => Focus::Top,
        "bottom" => Focus::Bottom,
        "left" => Focus::Left,
        "right" => Focus::Right,
        "top_left" => Focus::TopLeft,
        "top_right" => Focus::TopRight,
        "bottom_left" => Focus::BottomLeft,
        "bottom_right" => Focus::BottomRight,
        "auto" if detectors => Focus::Auto,
        "face" if detectors => Focus::Face,
        "custom" if detectors => Focus::Custom,
        o if detectors && COCO_OBJECTS.contains(&o) => Focus::Object(o.to_owned()),
        _ => return Err(Error::invalid(key, value, "unknown focus value")),
    };
    Ok(f)
}

/// The 80 COCO object classes accepted by `fo-<object>` \[D\], spaces written as `_` \[I\].
const COCO_OBJECTS: [&str; 80] = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic_light",
    "fire_hydrant",
    "stop_sign",
    "parking_meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports_ball",
    "kite",
    "baseball_bat",
    "baseball_glove",
    "skateboard",
    "surfboard",
    "tennis_racket",
    "bottle",
    "wine_glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot_dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted_plant",
    "bed",
    "dining_table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell_phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy_bear",
    "hair_drier",
    "toothbrush",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Dim;

    fn one(key: &str, value: &str) -> Result<Resize> {
        let mut r = Resize::default();
        assert!(apply(key, value, &mut r, Where::Base)?);
        Ok(r)
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, Resize)] = &[
            ("w", "300", Resize { width: Some(Dim::Px(300)), ..Resize::default() }),
            ("w", "auto", Resize { width: Some(Dim::Auto), ..Resize::default() }),
            ("h", "0.25", Resize { height: Some(Dim::Fraction(0.25)), ..Resize::default() }),
            ("ar", "4-3", Resize { aspect: Some(AspectRatio::Ratio(4.0, 3.0)), ..Resize::default() }),
            ("ar", "2_1", Resize { aspect: Some(AspectRatio::Ratio(2.0, 1.0)), ..Resize::default() }),
            ("ar", "2.5-1", Resize { aspect: Some(AspectRatio::Ratio(2.5, 1.0)), ..Resize::default() }),
            ("dpr", "3.0", Resize { dpr: Some(Dpr::Value(3.0)), ..Resize::default() }),
            ("dpr", "auto", Resize { dpr: Some(Dpr::Auto), ..Resize::default() }),
            ("c", "at_max", Resize { crop: Some(Crop::AtMax), ..Resize::default() }),
            ("cm", "pad_extract", Resize { crop: Some(Crop::PadExtract), ..Resize::default() }),
            ("fo", "bottom_right", Resize { focus: Some(Focus::BottomRight), ..Resize::default() }),
            ("fo", "dog", Resize { focus: Some(Focus::Object("dog".into())), ..Resize::default() }),
            ("x", "0", Resize { x: Some(Dim::Px(0)), ..Resize::default() }),
            ("z", "2.0", Resize { zoom: Some(2.0), ..Resize::default() }),
        ];
        for (k, v, want) in cases {
            assert_eq!(&one(k, v).unwrap(), want, "{k}-{v}");
        }
        let ar = one("ar", "iar_div_2").unwrap().aspect.unwrap();
        assert!(matches!(ar, AspectRatio::Expr(_)));
    }

    #[test]
    fn errors_name_key_and_value() {
        let bad = [
            ("w", "0"),
            ("w", "N3"),
            ("h", "auto"),
            ("ar", "4-0"),
            ("ar", "4-3-2"),
            ("dpr", "6"),
            ("dpr", "0.05"),
            ("c", "pad_resize"),
            ("cm", "force"),
            ("fo", "middle"),
            ("z", "0"),
            ("x", "abc"),
        ];
        for (k, v) in bad {
            let e = one(k, v).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some(k), Some(v)), "{k}-{v}");
        }
    }

    #[test]
    fn cm_wins_over_c_in_any_order() {
        let mut r = Resize::default();
        apply("cm", "extract", &mut r, Where::Base).unwrap();
        apply("c", "force", &mut r, Where::Base).unwrap();
        assert_eq!(r.crop, Some(Crop::Extract));
        apply("cm", "pad_resize", &mut r, Where::Base).unwrap();
        assert_eq!(r.crop, Some(Crop::PadResize));
    }

    #[test]
    fn layers_accept_fewer_crops() {
        let mut r = Resize::default();
        assert!(apply("c", "at_max_enlarge", &mut r, Where::Layer).is_err());
        assert!(apply("cm", "pad_extract", &mut r, Where::Layer).is_err());
        assert!(apply("cm", "pad_resize", &mut r, Where::Layer).is_ok());
        assert!(apply("w", "auto", &mut r, Where::Layer).is_err());
    }

    #[test]
    fn focus_values() {
        for v in ["center", "top_left", "bottom", "auto", "face", "custom", "traffic_light"] {
            assert!(focus("fo", v, true).is_ok(), "{v}");
        }
        assert!(focus("lfo", "auto", false).is_err());
        assert!(focus("fo", "Person", true).is_err());
    }
}
