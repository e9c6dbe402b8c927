//! Layer groups: `l_…` … `fl_layer_apply` ⇒ one legacy-overlay step (spec §4.2 rows 21,
//! 24, 25; §7.1; D2, D7, N2, AMB-17–AMB-22, AMB-30).
//!
//! Owns: the translation of a valid group — what each item means in its role (opener and
//! middles = layer transformations, closer = placement plus `w_`/`h_`, single-component
//! form = both) and the token order source, `otc`, `ow`/`oh`, placement. Which groups are
//! dropped whole, and the roles themselves, live in `layer`. Imports only sibling modules.

use super::chain::{drop_component, Comp, Layer};
use super::color::{self, Color};
use super::format::{component_flags, has_flag};
use super::gravity::{focus, placement};
use super::layer::{classify, has_other_role, roles, Role, Source};
use super::path::{Item, State};
use super::sink::Sink;
use super::size::{layer_dimension, placement_offset, LayerDim};
use super::{Ctx, DropReason};

/// One placement token.
#[derive(Debug, Clone, Copy)]
enum Place<'a> {
    /// `ofo-<value>`.
    Focus(&'static str),
    /// `ox-`/`oy-` with a signed integer.
    Offset(&'static str, &'a str),
}

/// Translates the group of components `opener..=end` into one step.
pub(super) fn group(items: &[Item<'_>], comps: &[Comp], opener: usize, end: usize, ctx: &Ctx, sink: &mut Sink) {
    let parts = roles(comps, opener, end);
    let own_items = |k: usize| &items[comps[k].items.clone()];
    let source = if comps[opener].layer == Layer::Underlay {
        Err(DropReason::Underlay)
    } else {
        let l = own_items(opener).iter().find(|i| i.key == "l" && i.state == State::Live);
        classify(l.map_or("", |i| i.value))
    };
    let source = source.and_then(|s| {
        let other_role = parts
            .iter()
            .any(|&(k, role)| !matches!(role, Role::Nested | Role::Removed) && has_other_role(own_items(k)));
        if other_role {
            Err(DropReason::UnsupportedLayer)
        } else {
            Ok(s)
        }
    });
    let source = match source {
        Ok(source) => source,
        Err(reason) => {
            for &(k, role) in &parts {
                let reason = match role {
                    Role::Removed => DropReason::Conditional,
                    Role::Nested if reason != DropReason::Underlay => DropReason::NestedLayer,
                    _ => reason,
                };
                drop_component(own_items(k), reason, sink);
            }
            return;
        }
    };
    let image = matches!(source, Source::Image(_));
    let relative = parts
        .iter()
        .any(|&(k, role)| !matches!(role, Role::Nested | Role::Removed) && has_flag(own_items(k), "relative"));
    let mut colour: Option<Color> = None;
    let mut sizes: Vec<(&str, LayerDim<'_>)> = Vec::new();
    let mut places: Vec<Place<'_>> = Vec::new();
    for &(k, role) in &parts {
        let own = own_items(k);
        match role {
            Role::Removed => drop_component(own, DropReason::Conditional, sink),
            Role::Nested => drop_component(own, DropReason::NestedLayer, sink),
            _ => {}
        }
        if matches!(role, Role::Removed | Role::Nested) {
            continue;
        }
        let places_here = matches!(role, Role::Closer | Role::Single);
        for item in own.iter().filter(|i| i.state == State::Live) {
            let (key, value) = (item.key, item.value);
            let result = match key {
                "l" => Ok(()),
                "fl" => {
                    for flag in component_flags(own) {
                        if !matches!(flag, "layer_apply" | "relative") {
                            let reason = if flag.is_empty() { DropReason::Invalid } else { DropReason::Unsupported };
                            sink.drop_item("fl", flag, reason);
                        }
                    }
                    Ok(())
                }
                "w" | "h" => layer_dimension(value, relative, image).map(|dim| {
                    // A repeated output key keeps the later value at the later position.
                    let out_key = if key == "w" { "ow" } else { "oh" };
                    sizes.retain(|&(k, _)| k != out_key);
                    sizes.push((out_key, dim));
                }),
                "g" | "x" | "y" if !places_here => Err(DropReason::Unsupported),
                "g" => match placement(value) {
                    Some(fo) => {
                        places.push(Place::Focus(fo));
                        Ok(())
                    }
                    None if focus(value).is_some() => Err(DropReason::Unsupported),
                    None => Err(DropReason::Invalid),
                },
                "x" | "y" => placement_offset(value).map(|v| {
                    places.push(Place::Offset(if key == "x" { "ox" } else { "oy" }, v));
                }),
                "co" if role != Role::Closer && !image => match color::parse(value) {
                    Some(c) => {
                        colour = Some(c);
                        Ok(())
                    }
                    None => Err(DropReason::Invalid),
                },
                _ => Err(DropReason::Unsupported),
            };
            if let Err(reason) = result {
                sink.drop_item(key, value, reason);
            }
        }
    }
    match source {
        Source::Image(id) => {
            let out = sink.token("oi");
            if ctx.keep_prefix {
                // Overlays are image/upload assets on the same origin (N2).
                out.push_str("image@@upload@@");
            }
            let mut rest = id;
            while let Some((folder, after)) = rest.split_once(':') {
                out.push_str(folder);
                out.push_str("@@");
                rest = after;
            }
            out.push_str(rest);
        }
        Source::Text(layer) => layer.push_tokens(sink),
    }
    if let Some(c) = colour {
        c.push_to(sink.token("otc"));
    }
    for (key, dim) in sizes {
        dim.push_to(sink.token(key), if key == "ow" { "bw_mul_" } else { "bh_mul_" });
    }
    for place in places {
        match place {
            Place::Focus(fo) => sink.put("ofo", fo),
            Place::Offset(key, v) => {
                let out = sink.token(key);
                if let Some(abs) = v.strip_prefix('-') {
                    out.push('N');
                    out.push_str(abs);
                } else {
                    out.push_str(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{dropped, tr};

    #[test]
    fn image_overlay_paths() {
        assert_eq!(tr("/image/upload/l_watermark/a.jpg", false), "oi-watermark");
        assert_eq!(tr("/image/upload/l_watermark/a.jpg", true), "oi-image@@upload@@watermark");
        assert_eq!(tr("/video/upload/l_a:b:c.png/a.mp4", true), "oi-image@@upload@@a@@b@@c.png");
        // Without a prefix the forwarded path has none either (N2).
        assert_eq!(tr("/l_a:b/a.jpg", true), "oi-a@@b");
    }

    #[test]
    fn roles_and_order() {
        assert_eq!(
            tr("/image/upload/l_stamp.png,g_north,x_5/fl_layer_apply,g_south_west,x_10,y_-10/a.jpg", false),
            "oi-stamp.png,ofo-bottom_left,ox-10,oy-N10"
        );
        assert_eq!(tr("/image/upload/l_x.png,w_9/w_4/fl_layer_apply/a.jpg", false), "oi-x.png,ow-4");
        assert_eq!(tr("/image/upload/l_x.png,w_9/h_3/w_4/fl_layer_apply/a.jpg", false), "oi-x.png,oh-3,ow-4");
        assert_eq!(tr("/image/upload/l_x.png,w_9/w_abc/fl_layer_apply/a.jpg", false), "oi-x.png,ow-9");
        // Single-component form: placement and sizing together, input order kept.
        assert_eq!(
            tr("/image/upload/l_logo,x_10,g_south_east,w_100,o_50/a.jpg", false),
            "oi-logo,ow-100,ox-10,ofo-bottom_right"
        );
        assert_eq!(
            tr("/image/upload/l_text:Arial_30:Hi,w_200,co_red/fl_layer_apply,g_north/a.jpg", false),
            "ot-Hi,otf-Arial,ots-30,otc-red,ow-200,ofo-top"
        );
        assert_eq!(
            tr("/image/upload/w_400/l_logo.png/fl_layer_apply,g_north_east/a.jpg", false),
            "w-400:oi-logo.png,ofo-top_right"
        );
        assert_eq!(tr("/image/upload/l_a.png/fl_layer_apply,g_west/w_5/a.jpg", false), "oi-a.png,ofo-left:w-5");
    }

    #[test]
    fn sizes() {
        assert_eq!(
            tr("/image/upload/l_w/c_scale,fl_relative,w_0.25/fl_layer_apply,g_south_west/a.jpg", false),
            "oi-w,ow-bw_mul_0.25,ofo-bottom_left"
        );
        assert_eq!(
            tr("/image/upload/l_f.png/fl_layer_apply,fl_relative,w_0.9,h_0.9/a.jpg", false),
            "oi-f.png,ow-bw_mul_0.9,oh-bh_mul_0.9"
        );
        assert_eq!(tr("/image/upload/l_watermark,w_0.5/a.jpg", false), "oi-watermark,ow-0.5");
        assert_eq!(tr("/image/upload/l_watermark,w_1.5/a.jpg", false), "oi-watermark");
        assert_eq!(tr("/image/upload/l_text:A_9:x,w_0.5/a.jpg", false), "ot-x,otf-A,ots-9");
        assert_eq!(tr("/image/upload/l_text:A_9:x,w_0.5,fl_relative/a.jpg", false), "ot-x,otf-A,ots-9,ow-bw_mul_0.5");
    }

    #[test]
    fn placement_values() {
        assert_eq!(
            tr("/image/upload/l_g.png/c_scale,w_120/fl_layer_apply,g_face/p.jpg", false),
            "oi-g.png,ow-120,ofo-face"
        );
        assert_eq!(tr("/image/upload/l_s.png/fl_layer_apply,g_auto/a.jpg", false), "oi-s.png");
        assert_eq!(
            tr("/image/upload/l_s.png/fl_layer_apply,g_north_east,x_0.1,y_12/a.jpg", false),
            "oi-s.png,ofo-top_right,oy-12"
        );
        assert_eq!(dropped("/image/upload/l_s.png/fl_layer_apply,g_auto,g_bogus/a.jpg"), ["g_bogus:invalid"]);
        assert_eq!(dropped("/image/upload/l_s.png/fl_layer_apply,g_auto/a.jpg"), ["g_auto:unsupported"]);
    }

    #[test]
    fn closer_drops_everything_else() {
        assert_eq!(
            tr("/image/upload/l_s.png/o_50/e_multiply,fl_layer_apply,g_east,so_2/a.jpg", false),
            "oi-s.png,ofo-right"
        );
        assert_eq!(
            dropped("/image/upload/l_s.png/o_50/e_multiply,fl_layer_apply,g_east,so_2/a.jpg"),
            ["o_50:unsupported", "e_multiply:unsupported", "so_2:unsupported"]
        );
        assert_eq!(tr("/image/upload/l_text:A_9:x/fl_layer_apply,co_red/a.jpg", false), "ot-x,otf-A,ots-9");
        assert_eq!(tr("/image/upload/l_text:A_9:x/co_blue/fl_layer_apply/a.jpg", false), "ot-x,otf-A,ots-9,otc-blue");
        assert_eq!(tr("/image/upload/l_x,co_red/a.jpg", false), "oi-x");
    }
}
