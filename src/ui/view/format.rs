//! How numbers are written on the page.

/// `101770` → `"101,770"`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A 0..1 fraction as a percentage, or a dash when unknown.
pub fn percent(value: Option<f64>) -> String {
    value.map(|v| format!("{:.2} %", v * 100.0)).unwrap_or_else(|| "–".into())
}

/// Milliseconds with three significant digits or more (sub-millisecond latencies matter),
/// or a dash when unknown.
pub fn ms(value: Option<f64>) -> String {
    match value {
        Some(m) if m.is_finite() && m < 1.0 => format!("{m:.3} ms"),
        Some(m) if m.is_finite() && m < 10.0 => format!("{m:.2} ms"),
        Some(m) if m.is_finite() => format!("{m:.1} ms"),
        _ => "–".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(101_770), "101,770");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(count(0), "0");
    }

    #[test]
    fn unknown_values_are_a_dash() {
        assert_eq!(percent(None), "–");
        assert_eq!(percent(Some(0.9781)), "97.81 %");
        assert_eq!(ms(Some(12.25)), "12.2 ms");
        assert_eq!(ms(Some(1.256)), "1.26 ms");
        assert_eq!(ms(Some(0.0648)), "0.065 ms");
        assert_eq!(ms(Some(f64::NAN)), "–");
        assert_eq!(ms(None), "–");
    }
}
