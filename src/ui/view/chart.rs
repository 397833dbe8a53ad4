//! Geometry of the small SVG line charts: data points → the `points` of a `<polyline>`, round
//! axis ticks, and the point a pointer or the arrow keys pick. Pure, so the components only
//! render it.

/// One dot of a scatter chart: a short mark drawn beside it, and what it is in words (on hover
/// and on keyboard focus).
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub mark: String,
    pub label: String,
    pub x: f64,
    pub y: f64,
}

/// The data range shown on each axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Extent {
    /// The smallest extent holding every point (never zero-width, so nothing divides by zero).
    pub fn of(points: &[(f64, f64)]) -> Option<Extent> {
        let first = points.first()?;
        let mut e = Extent { x: (first.0, first.0), y: (first.1, first.1) };
        for &(x, y) in points {
            e.x = (e.x.0.min(x), e.x.1.max(x));
            e.y = (e.y.0.min(y), e.y.1.max(y));
        }
        for (lo, hi) in [&mut e.x, &mut e.y].map(|r| (&mut r.0, &mut r.1)) {
            if *hi - *lo < 1e-12 {
                *lo -= 0.5;
                *hi += 0.5;
            }
        }
        Some(e)
    }

    /// A scatter plot's extent: x from 0 to a little past the largest (at least `x_floor`), y
    /// padded by 5 % of its span, or ±0.25 when the points lie within half a unit of each other.
    pub fn scatter(points: &[(f64, f64)], x_floor: f64) -> Extent {
        let (x_max, y_min, y_max) = points.iter().fold((x_floor, f64::INFINITY, f64::NEG_INFINITY), |(x, lo, hi), p| (x.max(p.0), lo.min(p.1), hi.max(p.1)));
        let (y_min, y_max) = match (y_min, y_max) {
            (lo, hi) if !lo.is_finite() || !hi.is_finite() => (0.0, 1.0),
            (lo, hi) if hi - lo < 0.5 => (lo - 0.25, hi + 0.25),
            (lo, hi) => (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)),
        };
        Extent { x: (0.0, x_max * 1.05), y: (y_min, y_max) }
    }
}

/// Where data `x` lands across a chart `width` wide.
pub fn x_position(x: f64, extent: Extent, width: f64) -> f64 {
    (x - extent.x.0) / (extent.x.1 - extent.x.0) * width
}

/// `points` scaled into a `width × height` box (y grows downwards in SVG), as
/// `"x1,y1 x2,y2 …"`.
pub fn polyline(points: &[(f64, f64)], extent: Extent, width: f64, height: f64) -> String {
    points
        .iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|&(x, y)| format!("{:.1},{:.1}", x_position(x, extent, width), y_position(y, extent, height)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// About `count` round values (1, 2 or 5 × 10^k apart) from `lo` to `hi`, both included when
/// they are round: the axis ticks.
pub fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || count == 0 {
        return Vec::new();
    }
    let raw = (hi - lo) / count as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = magnitude
        * match raw / magnitude {
            n if n < 1.5 => 1.0,
            n if n < 3.0 => 2.0,
            n if n < 7.0 => 5.0,
            _ => 10.0,
        };
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // Whole multiples of the step, rounded to its decimals: 0.42, not 0.42000000000000004.
    let scale = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    (first..=last).map(|i| (i as f64 * step * scale).round() / scale + 0.0).collect()
}

/// [`ticks`] for an axis of whole numbers (steps, epochs): never a step below 1.
pub fn whole_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let t = ticks(lo, hi, count);
    if t.len() >= 2 && t[1] - t[0] < 1.0 { (lo.ceil() as i64..=hi.floor() as i64).map(|i| i as f64).collect() } else { t }
}

/// A tick's label: as many decimals as the step between `ticks` needs (0.02 → 2, 500 → 0), then
/// `unit`.
pub fn tick_label(value: f64, ticks: &[f64], unit: &str) -> String {
    let step = if ticks.len() >= 2 { ticks[1] - ticks[0] } else { 1.0 };
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{value:.decimals$}{unit}")
}

/// Where data `y` lands down a chart `height` high (y grows downwards in SVG).
pub fn y_position(y: f64, extent: Extent, height: f64) -> f64 {
    height - (y - extent.y.0) / (extent.y.1 - extent.y.0) * height
}

/// The point nearest to data `x` along the x axis, among every series: (series, index). Ties go
/// to the earlier series.
pub fn nearest(series: &[&[(f64, f64)]], x: f64) -> Option<(usize, usize)> {
    let mut best: Option<((usize, usize), f64)> = None;
    for (s, points) in series.iter().enumerate() {
        for (i, p) in points.iter().enumerate().filter(|(_, p)| p.0.is_finite() && p.1.is_finite()) {
            let d = (p.0 - x).abs();
            if best.is_none_or(|(_, b)| d < b) {
                best = Some(((s, i), d));
            }
        }
    }
    best.map(|(at, _)| at)
}

/// The point the arrow keys, Home and End move a read-out to, from `i` among `0..=last`; `None`
/// for any other key.
pub fn key_step(key: &str, i: usize, last: usize) -> Option<usize> {
    match key {
        "ArrowRight" | "ArrowUp" => Some((i + 1).min(last)),
        "ArrowLeft" | "ArrowDown" => Some(i.saturating_sub(1)),
        "Home" => Some(0),
        "End" => Some(last),
        _ => None,
    }
}

/// Bar lengths as fractions of the largest value (non-finite or negative values give 0).
pub fn bar_fractions(values: &[f64]) -> Vec<f64> {
    let max = values.iter().copied().filter(|v| v.is_finite() && *v > 0.0).fold(0.0, f64::max);
    values.iter().map(|&v| if max > 0.0 && v.is_finite() && v > 0.0 { v / max } else { 0.0 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scatter_starts_at_zero_and_pads_its_accuracy_range() {
        let e = Extent::scatter(&[(2.0, 97.0), (4.0, 91.0)], 1.0);
        assert_eq!(e.x, (0.0, 4.0 * 1.05));
        assert!((e.y.0 - 90.7).abs() < 1e-9 && (e.y.1 - 97.3).abs() < 1e-9, "{e:?}");
        let close = Extent::scatter(&[(0.1, 97.0), (0.2, 97.1)], 1.0);
        assert!(close.x == (0.0, 1.05) && (close.y.0 - 96.75).abs() < 1e-9 && (close.y.1 - 97.35).abs() < 1e-9, "{close:?}");
        assert_eq!(Extent::scatter(&[], 1.0).y, (0.0, 1.0));
    }

    #[test]
    fn bars_are_fractions_of_the_largest() {
        assert_eq!(bar_fractions(&[1.0, 4.0, 2.0]), vec![0.25, 1.0, 0.5]);
        assert_eq!(bar_fractions(&[0.0, f64::NAN]), vec![0.0, 0.0]);
    }

    #[test]
    fn corners_map_to_the_box() {
        let points = [(0.0, 0.0), (10.0, 2.0)];
        let extent = Extent::of(&points).unwrap();
        assert_eq!(polyline(&points, extent, 100.0, 50.0), "0.0,50.0 100.0,0.0");
        assert_eq!(x_position(7.5, extent, 100.0), 75.0, "a marker lands where its x would");
    }

    #[test]
    fn a_single_point_gets_a_non_empty_extent() {
        let extent = Extent::of(&[(3.0, 1.0)]).unwrap();
        assert_eq!(extent, Extent { x: (2.5, 3.5), y: (0.5, 1.5) });
        assert_eq!(polyline(&[(3.0, 1.0)], extent, 10.0, 10.0), "5.0,5.0");
        assert_eq!(Extent::of(&[]), None);
    }

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        assert_eq!(ticks(0.0, 100.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(ticks(0.42, 0.53, 4), vec![0.42, 0.44, 0.46, 0.48, 0.5, 0.52]);
        assert_eq!(ticks(1.0, 2.0, 4), vec![1.0, 1.2, 1.4, 1.6, 1.8, 2.0]);
        assert_eq!(ticks(-3.0, 7.0, 2), vec![0.0, 5.0]);
        assert_eq!(ticks(-0.3, 0.2, 5), vec![-0.3, -0.2, -0.1, 0.0, 0.1, 0.2]);
        assert_eq!(ticks(0.5, 2.5, 3), vec![0.5, 1.0, 1.5, 2.0, 2.5]);
        assert_eq!(ticks(3.0, 3.0, 4), Vec::<f64>::new(), "no range, no ticks");
        assert_eq!(ticks(0.0, f64::NAN, 4), Vec::<f64>::new());
    }

    #[test]
    fn tick_labels_have_the_decimals_their_step_needs() {
        let t = ticks(0.42, 0.53, 4);
        assert_eq!(t.iter().map(|v| tick_label(*v, &t, "")).collect::<Vec<_>>(), ["0.42", "0.44", "0.46", "0.48", "0.50", "0.52"]);
        let t = ticks(0.0, 2000.0, 4);
        assert_eq!(tick_label(t[1], &t, " ms"), "500 ms");
        let t = ticks(80.2, 80.9, 4);
        assert_eq!(tick_label(t[0], &t, " %"), "80.2 %");
    }

    #[test]
    fn whole_ticks_never_split_a_unit() {
        assert_eq!(whole_ticks(0.5, 1.5, 5), vec![1.0], "one epoch");
        assert_eq!(whole_ticks(1.0, 3.0, 5), vec![1.0, 2.0, 3.0]);
        assert_eq!(whole_ticks(0.0, 400.0, 5), vec![0.0, 100.0, 200.0, 300.0, 400.0]);
    }

    #[test]
    fn the_nearest_point_along_x_in_any_series() {
        let loss = [(0.0, 2.0), (10.0, 1.0), (20.0, 0.5)];
        let validation = [(16.0, 0.7)];
        assert_eq!(nearest(&[&loss, &validation], 4.0), Some((0, 0)));
        assert_eq!(nearest(&[&loss, &validation], 14.0), Some((1, 0)));
        assert_eq!(nearest(&[&loss, &validation], 99.0), Some((0, 2)));
        assert_eq!(nearest(&[&[], &[]], 1.0), None);
    }

    #[test]
    fn keys_move_the_read_out_within_the_series() {
        assert_eq!(key_step("ArrowRight", 3, 3), Some(3), "stops at the last point");
        assert_eq!(key_step("ArrowLeft", 0, 3), Some(0));
        assert_eq!(key_step("ArrowUp", 1, 3), Some(2));
        assert_eq!((key_step("Home", 2, 3), key_step("End", 0, 3)), (Some(0), Some(3)));
        assert_eq!(key_step("a", 1, 3), None);
    }

    #[test]
    fn non_finite_points_are_skipped() {
        let extent = Extent { x: (0.0, 1.0), y: (0.0, 1.0) };
        assert_eq!(polyline(&[(0.0, f64::NAN), (1.0, 1.0)], extent, 10.0, 10.0), "10.0,0.0");
    }
}
