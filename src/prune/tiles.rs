//! The first layer as a picture: each hidden unit's 784 incoming weights drawn as a 28 × 28 tile
//! (the image that excites the unit most), on a diverging colour map, with pruned weights and
//! units removed by structured pruning drawn as such. Pure: the page only blits the pixels.

use serde::{Deserialize, Serialize};

use crate::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::model::kind::ModelKind;
use crate::model::weights::MlpWeights;
use crate::prune::mask::Mask;

/// Tiles per row of the grid (128 units: 16 × 8).
pub const COLUMNS: usize = 16;
/// Transparent pixels between tiles.
pub const GAP: usize = 1;
/// A pruned weight: a neutral dark grey, outside the red–white–blue map, so "pruned" is never
/// mistaken for "small" (which is near-white).
pub const PRUNED: [u8; 3] = [45, 45, 45];
/// |w| at or above this percentile of the kept weights gets the map's strongest colour; a few
/// outliers would otherwise wash every tile out to white.
const SCALE_PERCENTILE: f64 = 99.5;
/// Colours the map is sampled at (odd, so 0 gets the map's own centre).
const LEVELS: usize = 257;

/// A picture of one model's first layer, as a run produces them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub model: ModelKind,
    /// When it was taken ("step 300", "step 1200 · target sparsity 45.3 %", "after fine-tuning").
    pub note: String,
    pub layer: FirstLayer,
}

/// The first layer's weights, for the picture and the magnitude histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstLayer {
    pub units: usize,
    /// `[784, units]`, row-major (Keras layout). For a snapshot taken as a mask is computed, the
    /// weights before masking, so the histogram can show what was cut.
    pub kernel: Vec<f32>,
    /// Per weight: pruned. Empty when nothing is.
    pub pruned: Vec<bool>,
    /// Per unit: removed by structured pruning. Empty when none is.
    pub removed: Vec<bool>,
    /// The magnitude threshold of the mask: the smallest |w| it kept.
    pub threshold: Option<f32>,
}

impl FirstLayer {
    /// The dense layer: nothing pruned.
    pub fn dense(w: &MlpWeights) -> Self {
        FirstLayer { units: w.hidden, kernel: w.hidden_kernel.clone(), pruned: Vec::new(), removed: Vec::new(), threshold: None }
    }

    /// `w` as it was when `mask` (for its first-layer kernel) was computed from it.
    pub fn masked(w: &MlpWeights, mask: &Mask) -> Self {
        let pruned: Vec<bool> = mask.keep.iter().map(|k| !k).collect();
        let threshold = smallest_kept(&w.hidden_kernel, &pruned);
        FirstLayer { pruned, threshold, ..Self::dense(w) }
    }

    /// A trained pruned model: masks leave pruned weights at exactly zero, and a kept weight is
    /// exactly zero with probability nil, so zero marks pruned. `threshold` is the mask's, from
    /// when it was computed (fine-tuning has moved the kept weights since).
    pub fn from_zeros(w: &MlpWeights, threshold: Option<f32>) -> Self {
        FirstLayer { pruned: w.hidden_kernel.iter().map(|&x| x == 0.0).collect(), threshold, ..Self::dense(w) }
    }

    /// The structured model drawn in the dense model's grid: the `kept` units (indices into
    /// `dense`) with their fine-tuned weights from `small`, the others as the dense model had
    /// them, greyed out.
    pub fn structured(dense: &MlpWeights, small: &MlpWeights, kept: &[usize]) -> Self {
        let mut kernel = dense.hidden_kernel.clone();
        for i in 0..dense.inputs {
            for (s, &j) in kept.iter().enumerate() {
                kernel[i * dense.hidden + j] = small.hidden_kernel[i * small.hidden + s];
            }
        }
        let mut removed = vec![true; dense.hidden];
        kept.iter().for_each(|&j| removed[j] = false);
        FirstLayer { kernel, removed, ..Self::dense(dense) }
    }

    pub fn is_pruned(&self, index: usize) -> bool {
        self.pruned.get(index).copied().unwrap_or(false)
    }

    pub fn is_removed(&self, unit: usize) -> bool {
        self.removed.get(unit).copied().unwrap_or(false)
    }

    pub fn pruned_count(&self) -> usize {
        self.pruned.iter().filter(|&&p| p).count()
    }

    pub fn removed_count(&self) -> usize {
        self.removed.iter().filter(|&&r| r).count()
    }

    /// Pruned weights of `unit`, out of 784.
    pub fn pruned_in_unit(&self, unit: usize) -> usize {
        (0..IMAGE_PIXELS).filter(|i| self.is_pruned(i * self.units + unit)).count()
    }

    /// The |w| drawn at full colour: the [`SCALE_PERCENTILE`] of the kept weights' magnitudes, to
    /// within 1/64 of its value. The page computes it for every picture, so it counts instead of
    /// sorting: a non-negative f32's bits order like its value, and their top 15 bits (exponent and
    /// 6 bits of mantissa) are a bin 1/64 of an octave wide.
    pub fn colour_scale(&self) -> f32 {
        const DROPPED: u32 = 17;
        let bin = |w: f32| (w.abs().to_bits() >> DROPPED) as usize;
        let mut counts = vec![0u32; (f32::INFINITY.to_bits() >> DROPPED) as usize + 1];
        let mut kept = 0usize;
        for (i, &w) in self.kernel.iter().enumerate() {
            if w.is_finite() && !self.is_pruned(i) {
                counts[bin(w)] += 1;
                kept += 1;
            }
        }
        if kept == 0 {
            return 1.0;
        }
        let rank = ((SCALE_PERCENTILE / 100.0 * kept as f64).ceil() as usize).clamp(1, kept);
        let mut below = 0usize;
        let at = counts.iter().position(|&n| {
            below += n as usize;
            below >= rank
        });
        // The bin's upper edge, so the weight at the percentile gets (almost) the strongest colour.
        let scale = at.map_or(1.0, |b| f32::from_bits(((b as u32 + 1) << DROPPED) - 1));
        if scale.is_finite() && scale > 0.0 { scale } else { 1.0 }
    }

    /// Tile rows in the grid (128 units: 8).
    pub fn tile_rows(&self) -> usize {
        self.units.div_ceil(COLUMNS).max(1)
    }

    /// The grid's width and height in pixels.
    pub fn grid_size(&self) -> (usize, usize) {
        let columns = self.units.clamp(1, COLUMNS);
        (columns * (IMAGE_SIDE + GAP) - GAP, self.tile_rows() * (IMAGE_SIDE + GAP) - GAP)
    }

    /// The whole grid as RGBA pixels.
    pub fn render(&self) -> Image {
        self.render_band(self.colour_scale(), 0..self.tile_rows()).1
    }

    /// Tile rows `rows` of the grid as RGBA pixels, drawn with `scale`, and the grid row of
    /// pixels the band starts at: the page paints a picture a band per frame.
    pub fn render_band(&self, scale: f32, rows: std::ops::Range<usize>) -> (usize, Image) {
        let (width, grid_height) = self.grid_size();
        let top = (rows.start * (IMAGE_SIDE + GAP)).min(grid_height);
        let height = (rows.end * (IMAGE_SIDE + GAP)).min(grid_height).saturating_sub(top);
        let mut rgba = vec![0u8; width * height * 4];
        // The map sampled once: 100 k weights each evaluating the spline would cost more than the
        // rest of a picture.
        let lut: Vec<[u8; 3]> = (0..LEVELS).map(|i| diverging(i as f32 / (LEVELS - 1) as f32 * 2.0 - 1.0)).collect();
        let colour_of = |w: f32| {
            let v = if w.is_finite() { (w / scale).clamp(-1.0, 1.0) } else { 0.0 };
            lut[((v + 1.0) / 2.0 * (LEVELS - 1) as f32).round() as usize]
        };
        let units = (rows.start * COLUMNS).min(self.units)..(rows.end * COLUMNS).min(self.units);
        for unit in units {
            let (x0, y0) = (unit % COLUMNS * (IMAGE_SIDE + GAP), unit / COLUMNS * (IMAGE_SIDE + GAP) - top);
            let removed = self.is_removed(unit);
            for pixel in 0..IMAGE_PIXELS {
                let index = pixel * self.units + unit;
                let mut colour = if self.is_pruned(index) { PRUNED } else { colour_of(self.kernel[index]) };
                if removed {
                    colour = greyed(colour);
                }
                let at = ((y0 + pixel / IMAGE_SIDE) * width + x0 + pixel % IMAGE_SIDE) * 4;
                rgba[at..at + 4].copy_from_slice(&[colour[0], colour[1], colour[2], 255]);
            }
        }
        (top, Image { width, height, rgba })
    }

    /// The unit whose tile holds pixel (`x`, `y`) of [`render`](Self::render)'s image.
    pub fn unit_at(&self, x: usize, y: usize) -> Option<usize> {
        let (column, row) = (x / (IMAGE_SIDE + GAP), y / (IMAGE_SIDE + GAP));
        let on_tile = x % (IMAGE_SIDE + GAP) < IMAGE_SIDE && y % (IMAGE_SIDE + GAP) < IMAGE_SIDE;
        let unit = row * COLUMNS + column;
        (on_tile && column < COLUMNS && unit < self.units).then_some(unit)
    }
}

/// Pixels for a canvas' `ImageData`.
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

/// The smallest |w| not pruned, when something is pruned.
fn smallest_kept(kernel: &[f32], pruned: &[bool]) -> Option<f32> {
    if !pruned.iter().any(|&p| p) {
        return None;
    }
    kernel.iter().zip(pruned).filter(|(_, p)| !**p).map(|(w, _)| w.abs()).min_by(f32::total_cmp)
}

/// ColorBrewer's RdBu: `v` = +1 deep red, 0 white, −1 deep blue (clamped beyond).
pub fn diverging(v: f32) -> [u8; 3] {
    let v = if v.is_finite() { f64::from(v.clamp(-1.0, 1.0)) } else { 0.0 };
    let c = colorous::RED_BLUE.eval_continuous(0.5 - v / 2.0);
    [c.r, c.g, c.b]
}

/// A colour's grey of equal luminance, pulled towards mid-grey: visibly "off", still readable.
fn greyed([r, g, b]: [u8; 3]) -> [u8; 3] {
    let luminance = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
    let grey = (150.0 + (luminance - 150.0) * 0.3).round() as u8;
    [grey; 3]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CLASSES;

    fn layer(units: usize) -> MlpWeights {
        let value = |i: usize| ((i * 7919 % 1000) as f32 - 499.5) / 1000.0;
        MlpWeights {
            inputs: IMAGE_PIXELS,
            hidden: units,
            hidden_kernel: (0..IMAGE_PIXELS * units).map(value).collect(),
            hidden_bias: vec![0.0; units],
            output_kernel: vec![0.1; units * CLASSES],
            output_bias: vec![0.0; CLASSES],
        }
    }

    fn pixel(image: &Image, x: usize, y: usize) -> [u8; 4] {
        let at = (y * image.width + x) * 4;
        image.rgba[at..at + 4].try_into().unwrap()
    }

    #[test]
    fn the_map_is_red_for_positive_blue_for_negative_and_light_at_zero() {
        let (red, blue, white) = (diverging(1.0), diverging(-1.0), diverging(0.0));
        assert!(red[0] > red[2] + 50, "{red:?}");
        assert!(blue[2] > blue[0] + 50, "{blue:?}");
        assert!(white.iter().all(|&c| c > 230), "{white:?}");
        assert_eq!(diverging(5.0), red, "clamped");
        assert_eq!(diverging(f32::NAN), white);
        assert_ne!(diverging(0.0)[..], PRUNED[..]);
    }

    #[test]
    fn each_unit_is_a_tile_of_its_incoming_weights() {
        let mut w = layer(128);
        // Unit 17's weight from pixel (row 3, column 5) is the largest positive one.
        w.hidden_kernel[(3 * 28 + 5) * 128 + 17] = 10.0;
        let view = FirstLayer::dense(&w);
        let image = view.render();
        assert_eq!((image.width, image.height), (16 * 29 - 1, 8 * 29 - 1));
        // Unit 17 is column 1 of row 1; tiles are 28 px plus a 1 px gap.
        let (x0, y0) = (29, 29);
        assert_eq!(pixel(&image, x0 + 5, y0 + 3), [diverging(1.0)[0], diverging(1.0)[1], diverging(1.0)[2], 255]);
        assert_eq!(pixel(&image, 28, 0)[3], 0, "the gap is transparent");
        assert_eq!(view.unit_at(x0 + 5, y0 + 3), Some(17));
        assert_eq!(view.unit_at(28, 0), None);
        assert_eq!(view.unit_at(image.width - 1, image.height - 1), Some(127));
    }

    #[test]
    fn pruned_weights_are_drawn_as_pruned_and_counted() {
        let w = layer(128);
        let mask = crate::prune::mask::layer_mask(&w.hidden_kernel, 0.75);
        let view = FirstLayer::masked(&w, &mask);
        assert_eq!(view.pruned_count(), mask.len() - mask.kept());
        let image = view.render();
        let drawn = image.rgba.chunks(4).filter(|p| p[..3] == PRUNED && p[3] == 255).count();
        assert_eq!(drawn, view.pruned_count());
        // The threshold separates what was kept from what was cut.
        let threshold = view.threshold.unwrap();
        for (i, x) in w.hidden_kernel.iter().enumerate() {
            assert_eq!(view.is_pruned(i), x.abs() < threshold, "weight {i}");
        }
        assert_eq!((0..128).map(|u| view.pruned_in_unit(u)).sum::<usize>(), view.pruned_count());
        assert_eq!(FirstLayer::dense(&w).threshold, None);
    }

    #[test]
    fn zeros_of_a_trained_pruned_model_are_its_pruned_weights() {
        let mut w = layer(4);
        w.hidden_kernel.iter_mut().step_by(3).for_each(|x| *x = 0.0);
        let view = FirstLayer::from_zeros(&w, Some(0.2));
        assert_eq!(view.pruned_count(), w.hidden_kernel.len().div_ceil(3));
        assert_eq!(view.threshold, Some(0.2));
    }

    #[test]
    fn structured_pruning_greys_out_the_removed_units_and_shows_the_kept_ones_fine_tuned() {
        let dense = layer(128);
        let kept = [3, 40, 127];
        let mut small = crate::prune::structured::compact(&dense, &kept);
        small.hidden_kernel.iter_mut().for_each(|x| *x += 1.0);
        let view = FirstLayer::structured(&dense, &small, &kept);
        assert_eq!(view.removed_count(), 125);
        assert_eq!(view.kernel[5 * 128 + 40], dense.hidden_kernel[5 * 128 + 40] + 1.0);
        assert_eq!(view.kernel[5 * 128 + 41], dense.hidden_kernel[5 * 128 + 41]);
        let image = view.render();
        let tile_is_grey = |unit: usize| {
            let (x0, y0) = (unit % 16 * 29, unit / 16 * 29);
            (0..28).all(|y| (0..28).all(|x| pixel(&image, x0 + x, y0 + y)[..3].iter().all(|&c| c == pixel(&image, x0 + x, y0 + y)[0])))
        };
        assert!(tile_is_grey(0) && tile_is_grey(126));
        assert!(!tile_is_grey(3) && !tile_is_grey(40) && !tile_is_grey(127));
    }

    #[test]
    fn the_colour_scale_ignores_pruned_weights_and_outliers() {
        let mut w = layer(8);
        w.hidden_kernel[0] = 1e6;
        let scale = FirstLayer::dense(&w).colour_scale();
        assert!(scale <= 0.5, "{scale}");
        let all_pruned = FirstLayer::masked(&w, &Mask { keep: vec![false; w.hidden_kernel.len()] });
        assert_eq!(all_pruned.colour_scale(), 1.0);
        assert_eq!(all_pruned.threshold, None);
    }

    #[test]
    fn the_colour_scale_is_the_percentile_to_within_a_64th() {
        let w = layer(128);
        let view = FirstLayer::masked(&w, &crate::prune::mask::layer_mask(&w.hidden_kernel, 0.5));
        let mut kept: Vec<f32> = w.hidden_kernel.iter().enumerate().filter(|(i, _)| !view.is_pruned(*i)).map(|(_, x)| x.abs()).collect();
        kept.sort_by(f32::total_cmp);
        let exact = kept[(SCALE_PERCENTILE / 100.0 * kept.len() as f64).ceil() as usize - 1];
        let scale = view.colour_scale();
        assert!(scale >= exact && scale <= exact * (1.0 + 1.0 / 64.0), "{scale} vs {exact}");
    }

    #[test]
    fn bands_of_tile_rows_make_up_the_whole_picture() {
        let mut w = layer(100);
        w.hidden_kernel[(3 * 28 + 5) * 100 + 99] = 10.0;
        let view = FirstLayer::masked(&w, &crate::prune::mask::layer_mask(&w.hidden_kernel, 0.3));
        let whole = view.render();
        let scale = view.colour_scale();
        let mut stacked = Vec::new();
        for start in (0..view.tile_rows()).step_by(3) {
            let (top, band) = view.render_band(scale, start..start + 3);
            assert_eq!((top, band.width), (stacked.len() / 4 / whole.width, whole.width));
            stacked.extend(band.rgba);
        }
        assert_eq!(stacked, whole.rgba);
    }
}
