//! One ordinary component ⇒ one ImageKit step (spec §4.2): dispatches every surviving item
//! to its parameter family, in input order, and records what is not translated.
//!
//! Owns: the key ⇒ family table. Imports only sibling modules.

use super::path::{Item, State};
use super::sink::Sink;
use super::{angle, background, border, effect, format, gravity, named, quality, radius, size, video, Ctx, DropReason};

/// Translates the items of one component that is neither removed nor part of a layer group.
pub(super) fn component(items: &[Item<'_>], ctx: &Ctx, sink: &mut Sink) {
    // `b_auto` needs the component's (surviving) crop mode (D1).
    let pad = items.iter().any(|i| i.key == "c" && i.state == State::Live && i.value == "pad");
    for item in items.iter().filter(|i| i.state == State::Live) {
        let value = item.value;
        let result = match item.key {
            "w" => size::width(value, sink),
            "h" => size::height(value, sink),
            "ar" => size::aspect_ratio(value, sink),
            "dpr" => size::dpr(value, sink),
            "c" => size::crop(value, sink),
            "x" => size::offset("x", "iw_mul_", value, sink),
            "y" => size::offset("y", "ih_mul_", value, sink),
            "z" => size::zoom(value, sink),
            "g" => gravity::gravity(value, sink),
            "f" => format::format(value, sink),
            "q" => quality::quality(value, ctx.media, sink),
            "a" => angle::angle(value, sink),
            "r" => radius::radius(value, sink),
            "e" => effect::effect(value, sink),
            "bo" => border::border(value, sink),
            "b" => background::background(value, pad, sink),
            "t" => named::named(value, sink),
            "so" | "eo" | "du" => video::offset(item.key, value, sink),
            "fl" => {
                format::flags(items, sink);
                Ok(())
            }
            // `co_` only means something inside a text overlay (row 21); every other key
            // (`o u d if cs dn dr pg fps vc ac br sp ki dl fn p bl vs af $var …`) has no
            // counterpart (row 34).
            _ => Err(DropReason::Unsupported),
        };
        if let Err(reason) = result {
            sink.drop_item(item.key, value, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Media;
    use super::*;

    fn run(pairs: &[(&'static str, &'static str)], media: Media) -> (String, Vec<String>) {
        let items: Vec<Item<'static>> =
            pairs.iter().map(|&(key, value)| Item { key, value, state: State::Live }).collect();
        let mut sink = Sink::new();
        component(&items, &Ctx { media, keep_prefix: false }, &mut sink);
        let (tr, dropped) = sink.finish();
        (tr, dropped.iter().map(|d| format!("{}_{}:{}", d.key, d.value, d.reason)).collect())
    }

    #[test]
    fn keeps_input_order() {
        let (tr, dropped) =
            run(&[("h", "300"), ("w", "300"), ("c", "crop"), ("g", "north"), ("o", "50")], Media::Image);
        assert_eq!(tr, "h-300,w-300,cm-extract,fo-top");
        assert_eq!(dropped, ["o_50:unsupported"]);
    }

    #[test]
    fn background_auto_needs_pad_in_same_component() {
        let pairs = [("b", "auto"), ("c", "pad"), ("w", "300")];
        assert_eq!(run(&pairs, Media::Image).0, "bg-dominant,cm-pad_resize,w-300");
        let (tr, dropped) = run(&[("b", "auto"), ("c", "fill")], Media::Image);
        assert_eq!(tr, "c-maintain_ratio");
        assert_eq!(dropped, ["b_auto:unsupported"]);
    }

    #[test]
    fn every_family_reached() {
        let pairs = [
            ("ar", "4:3"),
            ("dpr", "2"),
            ("x", "-5"),
            ("y", "0.5"),
            ("z", "1.5"),
            ("f", "webp"),
            ("q", "auto"),
            ("a", "-90"),
            ("r", "max"),
            ("e", "sharpen"),
            ("bo", "2px_solid_red"),
            ("t", "a.b"),
            ("so", "1.005"),
            ("fl", "progressive"),
        ];
        assert_eq!(
            run(&pairs, Media::Video).0,
            "ar-4-3,dpr-2,x-N5,y-ih_mul_0.5,z-1.5,f-webp,q-50,rt-N90,r-max,e-sharpen-1,b-2-red,\
             n-a,n-b,so-1.01,pr-true"
        );
        let (tr, dropped) = run(&[("co", "red"), ("$v", "1"), ("w", "x")], Media::Image);
        assert_eq!(tr, "");
        assert_eq!(dropped, ["co_red:unsupported", "$v_1:unsupported", "w_x:invalid"]);
    }
}
