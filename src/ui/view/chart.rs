//! Geometry of the small SVG line charts: data points → the `points` of a `<polyline>`.
//! Pure, so the components only render it.

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
        .map(|&(x, y)| {
            let sx = x_position(x, extent, width);
            let sy = height - (y - extent.y.0) / (extent.y.1 - extent.y.0) * height;
            format!("{sx:.1},{sy:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
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
    fn non_finite_points_are_skipped() {
        let extent = Extent { x: (0.0, 1.0), y: (0.0, 1.0) };
        assert_eq!(polyline(&[(0.0, f64::NAN), (1.0, 1.0)], extent, 10.0, 10.0), "10.0,0.0");
    }
}
