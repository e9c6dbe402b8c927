//! Layer placement (spec §7.2): `lx ly` (clamped to the parent, `N` from the far edge),
//! `lxc lyc` (centre), `lap` (anchor on the parent), `lfo` (relative, default centre).
//!
//! Owns: [`place`]. May import `job`, `limits`, `error`.
//!
//! Rules, per axis (x shown; y is the same with heights):
//! * `lap` absent (ImageKit's classic coordinates): `lx-v` puts the layer's left edge at
//!   `min(v, pw)`; `lx-Nv` puts its right edge `min(v, pw)` from the parent's right edge
//!   (ImageKit: "to change the direction, prefix N"); `lxc-v` puts its centre at `min(v, pw)`.
//! * `lap-<pos>`: offsets are measured from that point of the parent, `N` = leftwards:
//!   left edge at `ax·pw ± v`, or centre at `ax·pw + v` for `lxc`.
//! * An axis without a coordinate while the other axis has one: offset 0 (left / top edge,
//!   or the `lap` point). Neither axis: `lfo` relative placement, default centre.
//! * Expressions see the parent as `bw bh bar` and the layer as `iw ih iar` / `cw ch car`.

use super::gravity::{offset, relative, round_i64};
use super::layout::{dim_text, resolve, Vars};
use crate::error::{Error, Result};
use crate::job::{Dim, LayerPosition};

/// Top-left position of a `size` layer on a `parent` frame.
pub(super) fn place(p: &LayerPosition, size: (u32, u32), parent: (u32, u32)) -> Result<(i64, i64)> {
    let vars = Vars::placement(size, parent);
    let placed = p.x.is_some() || p.y.is_some() || p.xc.is_some() || p.yc.is_some();
    if !placed {
        let (ax, ay) = relative(p.focus.as_ref());
        let slack = |pl: u32, l: u32| i64::from(pl) - i64::from(l);
        return Ok((offset(slack(parent.0, size.0), ax), offset(slack(parent.1, size.1), ay)));
    }
    let (ax, ay) = p.anchor.as_ref().and_then(|a| a.anchor()).map_or((None, None), |(x, y)| (Some(x), Some(y)));
    let x = axis(&vars, ("lx", &p.x, p.x_negative), ("lxc", &p.xc), size.0, parent.0, ax)?;
    let y = axis(&vars, ("ly", &p.y, p.y_negative), ("lyc", &p.yc), size.1, parent.1, ay)?;
    Ok((x, y))
}

/// `lx`/`ly` of a displacement map as signed pixel amounts (0 when absent). Large values are
/// allowed: a displacement that leaves the frame samples its edge.
pub(super) fn displacement(p: &LayerPosition, size: (u32, u32), parent: (u32, u32)) -> Result<(f32, f32)> {
    let vars = Vars::placement(size, parent);
    let amount = |key: &str, d: &Option<Dim>, negative: bool, len: u32| -> Result<f32> {
        let Some(d) = d else { return Ok(0.0) };
        let v = resolve(key, d, len, &vars, None)?.unwrap_or(0.0);
        if !v.is_finite() || v < 0.0 {
            return Err(Error::invalid(key, dim_text(d), "displacement must be a non-negative number"));
        }
        // Far beyond any frame side: every sample lands on the edge either way.
        #[expect(clippy::cast_possible_truncation, reason = "at most 2^20, exact in f32")]
        let v = v.min(f64::from(1u32 << 20)) as f32;
        Ok(if negative { -v } else { v })
    };
    Ok((amount("lx", &p.x, p.x_negative, parent.0)?, amount("ly", &p.y, p.y_negative, parent.1)?))
}

/// One axis: edge coordinate `(key, dim, negative)`, centre coordinate, layer length, parent
/// length, `lap` relative anchor.
fn axis(
    vars: &Vars,
    (key, edge, negative): (&str, &Option<Dim>, bool),
    (ckey, centre): (&str, &Option<Dim>),
    len: u32,
    parent: u32,
    anchor: Option<f64>,
) -> Result<i64> {
    let value = |k: &str, d: &Dim| -> Result<f64> {
        let v = resolve(k, d, parent, vars, None)?.unwrap_or(0.0);
        if !v.is_finite() || v < 0.0 {
            return Err(Error::invalid(k, dim_text(d), "position must be a non-negative number"));
        }
        Ok(v)
    };
    let (pl, l) = (i64::from(parent), i64::from(len));
    let half = |l: i64| l / 2;
    match anchor {
        Some(a) => {
            let base = offset(pl, a);
            if let Some(d) = edge {
                let v = round_i64(value(key, d)?);
                return Ok(if negative { base - v } else { base + v });
            }
            if let Some(d) = centre {
                return Ok(base + round_i64(value(ckey, d)?) - half(l));
            }
            Ok(base)
        }
        None => {
            if let Some(d) = edge {
                let v = round_i64(value(key, d)?).min(pl);
                return Ok(if negative { pl - l - v } else { v });
            }
            if let Some(d) = centre {
                return Ok(round_i64(value(ckey, d)?).min(pl) - half(l));
            }
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Expr, Focus};

    fn pos(f: impl FnOnce(&mut LayerPosition)) -> LayerPosition {
        let mut p = LayerPosition::default();
        f(&mut p);
        p
    }

    #[test]
    fn table() {
        let parent = (600, 400);
        let size = (100, 50);
        let px = |n| Some(Dim::Px(n));
        let cases: Vec<(LayerPosition, (i64, i64))> = vec![
            (pos(|_| {}), (250, 175)),
            (pos(|p| p.focus = Some(Focus::TopLeft)), (0, 0)),
            (pos(|p| p.focus = Some(Focus::BottomRight)), (500, 350)),
            (pos(|p| p.focus = Some(Focus::Top)), (250, 0)),
            (pos(|p| p.focus = Some(Focus::Face)), (250, 175)),
            (pos(|p| (p.x, p.y) = (px(10), px(20))), (10, 20)),
            (pos(|p| (p.x, p.focus) = (px(10), Some(Focus::BottomRight))), (10, 0)),
            (pos(|p| (p.x, p.x_negative, p.y, p.y_negative) = (px(35), true, px(10), true)), (465, 340)),
            (pos(|p| (p.x, p.y) = (px(9000), px(9000))), (600, 400)),
            (pos(|p| (p.xc, p.yc) = (px(300), px(200))), (250, 175)),
            (pos(|p| (p.x, p.anchor) = (px(10), Some(Focus::Center))), (310, 200)),
            (pos(|p| (p.x, p.x_negative, p.anchor) = (px(10), true, Some(Focus::BottomRight))), (590, 400)),
            (pos(|p| (p.xc, p.anchor) = (px(0), Some(Focus::Center))), (250, 200)),
        ];
        for (p, want) in cases {
            assert_eq!(place(&p, size, parent).unwrap(), want, "{p:?}");
        }
    }

    #[test]
    fn expressions_see_parent_and_layer() {
        let e = |s: &str| Some(Dim::Expr(Expr::parse("lx", s).unwrap()));
        let p = pos(|p| (p.x, p.y) = (e("bw_mul_0.4"), e("bh_sub_ch")));
        assert_eq!(place(&p, (100, 50), (600, 400)).unwrap(), (240, 350));
        let bad = pos(|p| p.x = e("idu"));
        assert_eq!(place(&bad, (1, 1), (2, 2)).unwrap_err().key(), Some("lx"));
        let neg = pos(|p| p.x = e("iw_sub_bw"));
        assert_eq!(place(&neg, (1, 1), (2, 2)).unwrap_err().key(), Some("lx"));
    }
}
