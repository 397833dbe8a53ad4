//! A drawn digit → a 28 × 28 MNIST-style input, prepared the way MNIST's digits were
//! (yann.lecun.com/exdb/mnist): the ink's bounding box is scaled to fit a 20 × 20 box, keeping
//! its aspect ratio, with area averaging (so edges get grey levels, as NIST's anti-aliasing gave
//! them); the result is then placed in a 28 × 28 field so that its centre of mass is the field's
//! centre.

use crate::data::IMAGE_PIXELS;

const SIDE: usize = crate::data::IMAGE_SIDE;
const BOX: usize = 20;
/// Ink below this (out of 1) does not count towards the bounding box.
const INK: f32 = 0.05;

/// A greyscale raster: `width × height` intensities in [0, 1], 1 = ink, row-major.
pub struct Raster<'a> {
    pub width: usize,
    pub height: usize,
    pub pixels: &'a [f32],
}

/// How much of each source pixel `0..len` falls in target pixel `t` of `targets` pixels that
/// together span `start..start + len` source pixels: one row of an area-resampling matrix.
fn coverage(start: usize, len: usize, targets: usize, t: usize) -> Vec<(usize, f32)> {
    let scale = len as f64 / targets as f64;
    let (from, to) = (t as f64 * scale, (t + 1) as f64 * scale);
    let mut out = Vec::new();
    let mut s = from.floor() as usize;
    while (s as f64) < to && s < len {
        let overlap = (to.min(s as f64 + 1.0) - from.max(s as f64)).max(0.0);
        if overlap > 0.0 {
            out.push((start + s, overlap as f32));
        }
        s += 1;
    }
    out
}

/// The bounding box of the ink: `(left, top, width, height)`.
fn bounding_box(r: &Raster) -> Option<(usize, usize, usize, usize)> {
    let (mut left, mut top, mut right, mut bottom) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..r.height {
        for x in 0..r.width {
            if r.pixels[y * r.width + x] > INK {
                left = left.min(x);
                right = right.max(x);
                top = top.min(y);
                bottom = bottom.max(y);
            }
        }
    }
    (left != usize::MAX).then(|| (left, top, right - left + 1, bottom - top + 1))
}

/// The network's input for a drawing, or `None` when nothing is drawn.
pub fn to_mnist(r: &Raster) -> Option<Vec<f32>> {
    if r.pixels.len() != r.width * r.height {
        return None;
    }
    let (left, top, w, h) = bounding_box(r)?;
    // Longer side → 20 pixels; the other keeps the aspect ratio (at least one pixel).
    let (tw, th) =
        if w >= h { (BOX, ((h * BOX) as f64 / w as f64).round().max(1.0) as usize) } else { (((w * BOX) as f64 / h as f64).round().max(1.0) as usize, BOX) };
    let columns: Vec<Vec<(usize, f32)>> = (0..tw).map(|t| coverage(left, w, tw, t)).collect();
    let rows: Vec<Vec<(usize, f32)>> = (0..th).map(|t| coverage(top, h, th, t)).collect();
    let mut small = vec![0.0f32; tw * th];
    for (ty, row) in rows.iter().enumerate() {
        for (tx, column) in columns.iter().enumerate() {
            let (mut sum, mut area) = (0.0f32, 0.0f32);
            for &(sy, wy) in row {
                for &(sx, wx) in column {
                    sum += r.pixels[sy * r.width + sx] * wy * wx;
                    area += wy * wx;
                }
            }
            small[ty * tw + tx] = if area > 0.0 { (sum / area).clamp(0.0, 1.0) } else { 0.0 };
        }
    }
    // Centre of mass of the scaled digit, then the shift that puts it at the field's centre.
    let mass: f32 = small.iter().sum();
    if mass <= 0.0 {
        return None;
    }
    let (mut cx, mut cy) = (0.0f32, 0.0f32);
    for y in 0..th {
        for x in 0..tw {
            cx += x as f32 * small[y * tw + x];
            cy += y as f32 * small[y * tw + x];
        }
    }
    // MNIST's digits have their centre of mass at pixel (14, 14) on average (measured over the
    // test set: 14.00, 13.99), not at the geometric 13.5: follow the data.
    let centre = SIDE as f32 / 2.0;
    let (dx, dy) = ((centre - cx / mass).round() as i64, (centre - cy / mass).round() as i64);
    let mut out = vec![0.0f32; IMAGE_PIXELS];
    for y in 0..th {
        for x in 0..tw {
            let (ox, oy) = (x as i64 + dx, y as i64 + dy);
            if (0..SIDE as i64).contains(&ox) && (0..SIDE as i64).contains(&oy) {
                out[oy as usize * SIDE + ox as usize] = small[y * tw + x];
            }
        }
    }
    Some(out)
}

/// Softmax of logits, for the probability bars.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Mnist;

    fn canvas(width: usize, height: usize, ink: impl Fn(usize, usize) -> bool) -> Vec<f32> {
        (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).map(|(x, y)| if ink(x, y) { 1.0 } else { 0.0 }).collect()
    }

    fn ink_box(image: &[f32]) -> (usize, usize, usize, usize) {
        bounding_box(&Raster { width: SIDE, height: SIDE, pixels: image }).unwrap()
    }

    #[test]
    fn nothing_drawn_is_no_input() {
        let blank = vec![0.0; 280 * 280];
        assert!(to_mnist(&Raster { width: 280, height: 280, pixels: &blank }).is_none());
        assert!(to_mnist(&Raster { width: 3, height: 3, pixels: &blank[..4] }).is_none(), "a wrong-sized raster is refused");
    }

    #[test]
    fn a_tall_stroke_is_scaled_to_20_high_and_centred() {
        // A 40 × 200 bar in a corner of a 280 × 280 canvas.
        let pixels = canvas(280, 280, |x, y| (10..50).contains(&x) && (30..230).contains(&y));
        let image = to_mnist(&Raster { width: 280, height: 280, pixels: &pixels }).unwrap();
        let (left, top, w, h) = ink_box(&image);
        assert_eq!((w, h), (4, 20));
        // Centre of mass (1.5, 9.5) moved to (14, 14), half pixels rounding up: rows 5–24, columns 13–16.
        assert_eq!((top, left), (5, 13));
        assert!(image.iter().all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn where_the_digit_is_drawn_does_not_matter() {
        // The same textured shape at two places (the texture follows the shape, not the canvas).
        let at = |ox: usize, oy: usize| {
            canvas(280, 280, move |x, y| (ox..ox + 120).contains(&x) && (oy..oy + 90).contains(&y) && !(x - ox + y - oy).is_multiple_of(7))
        };
        let a = to_mnist(&Raster { width: 280, height: 280, pixels: &at(5, 5) }).unwrap();
        let b = to_mnist(&Raster { width: 280, height: 280, pixels: &at(150, 180) }).unwrap();
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5));
    }

    #[test]
    fn area_averaging_gives_grey_edges() {
        // 30 px wide ink scaled by 20/30: target columns straddle source pixels.
        let pixels = canvas(100, 100, |x, y| (10..40).contains(&x) && (10..40).contains(&y) && x % 3 != 0);
        let image = to_mnist(&Raster { width: 100, height: 100, pixels: &pixels }).unwrap();
        assert!(image.iter().any(|p| *p > 0.0 && *p < 1.0));
    }

    #[test]
    fn a_real_digit_upscaled_comes_back_close_to_itself() {
        let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).unwrap();
        for index in 0..20 {
            let original = data.test.inputs(&[index]);
            // As if drawn on a 280 × 280 canvas: every pixel a 10 × 10 block.
            let big: Vec<f32> = (0..280 * 280).map(|i| original[(i / 280 / 10) * SIDE + (i % 280) / 10]).collect();
            let image = to_mnist(&Raster { width: 280, height: 280, pixels: &big }).unwrap();
            let dot: f32 = original.iter().zip(&image).map(|(a, b)| a * b).sum();
            let norms = original.iter().map(|a| a * a).sum::<f32>().sqrt() * image.iter().map(|b| b * b).sum::<f32>().sqrt();
            assert!(dot / norms > 0.85, "test image {index}: cosine similarity {}", dot / norms);
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_the_order() {
        let p = softmax(&[1.0, 3.0, 2.0, -50.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[1] > p[2] && p[2] > p[0] && p[3] < 1e-20);
    }
}
