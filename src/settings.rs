//! URL query parameters → validated settings. Every knob can be set from the URL
//! (`?epochs=1&batch=128&hidden=128&train_samples=6000&seed=1&lr=0.001&autorun=1`); a value out of
//! range is clamped and one that cannot be read is ignored, each with a notice the page shows.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use crate::data::mnist::TRAIN_COUNT;
use crate::train::TrainingConfig;

/// Which backend the visitor asked for (`?backend=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// WebGPU when the browser has a usable adapter, else the CPU.
    #[default]
    Auto,
    Cpu,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub training: TrainingConfig,
    /// Run the whole pipeline without clicks (`?autorun=1`).
    pub autorun: bool,
    pub backend: BackendChoice,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { training: TrainingConfig::new(), autorun: false, backend: BackendChoice::Auto }
    }
}

/// The allowed values of each numeric knob.
pub const HIDDEN: RangeInclusive<usize> = 1..=1024;
pub const EPOCHS: RangeInclusive<usize> = 1..=50;
pub const BATCH: RangeInclusive<usize> = 1..=4096;
pub const TRAIN_SAMPLES: RangeInclusive<usize> = 1..=TRAIN_COUNT;
pub const LR: RangeInclusive<f64> = 1e-5..=1.0;
pub const LOSS_EVERY: RangeInclusive<usize> = 1..=1000;

/// Reads `raw` as a number, clamped into `range`; a note for anything that was not used as given.
fn number<T>(key: &str, raw: &str, range: &RangeInclusive<T>, notices: &mut Vec<String>) -> Option<T>
where
    T: FromStr + PartialOrd + Copy + fmt::Display,
{
    let Ok(value) = raw.trim().parse::<T>() else {
        notices.push(format!("{key}={raw:?} is not a valid number, so it was ignored"));
        return None;
    };
    // NaN compares false both ways and lands here too.
    if !(value >= *range.start()) {
        notices.push(format!("{key}={raw} is below the minimum {}; using {}", range.start(), range.start()));
        return Some(*range.start());
    }
    if value > *range.end() {
        notices.push(format!("{key}={raw} is above the maximum {}; using {}", range.end(), range.end()));
        return Some(*range.end());
    }
    Some(value)
}

fn flag(key: &str, raw: &str, notices: &mut Vec<String>) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => {
            notices.push(format!("{key}={raw:?} is not 0 or 1, so it was ignored"));
            None
        }
    }
}

impl Settings {
    /// Settings from the query's key/value pairs (already percent-decoded), and the notices to show.
    /// A later repetition of a key wins.
    pub fn from_query<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> (Settings, Vec<String>) {
        let mut settings = Settings::default();
        let mut notices = Vec::new();
        for (key, raw) in pairs {
            settings.apply(key.as_ref(), raw.as_ref(), &mut notices);
        }
        (settings, notices)
    }

    /// Sets one knob from its text (a URL parameter or a form field), validated like the URL.
    pub fn apply(&mut self, key: &str, raw: &str, notices: &mut Vec<String>) {
        let t = &mut self.training;
        let n = notices;
        match key {
            "hidden" => t.hidden = number(key, raw, &HIDDEN, n).unwrap_or(t.hidden),
            "epochs" => t.epochs = number(key, raw, &EPOCHS, n).unwrap_or(t.epochs),
            "batch" => t.batch = number(key, raw, &BATCH, n).unwrap_or(t.batch),
            "train_samples" => t.train_samples = number(key, raw, &TRAIN_SAMPLES, n).unwrap_or(t.train_samples),
            "lr" => t.lr = number(key, raw, &LR, n).unwrap_or(t.lr),
            "seed" => t.seed = number(key, raw, &(0..=u64::MAX), n).unwrap_or(t.seed),
            "loss_every" => t.loss_every = number(key, raw, &LOSS_EVERY, n).unwrap_or(t.loss_every),
            "autorun" => self.autorun = flag(key, raw, n).unwrap_or(self.autorun),
            "backend" => match raw.trim().to_ascii_lowercase().as_str() {
                "auto" | "webgpu" | "gpu" => self.backend = BackendChoice::Auto,
                "cpu" => self.backend = BackendChoice::Cpu,
                _ => n.push(format!("backend={raw:?} is not auto or cpu, so it was ignored")),
            },
            _ => n.push(format!("unknown parameter {key:?} was ignored")),
        }
    }

    /// The query string that reproduces these settings (only what differs from the defaults).
    pub fn to_query(&self) -> String {
        let d = Settings::default();
        let (t, dt) = (&self.training, &d.training);
        let mut parts = Vec::new();
        let mut push = |key: &str, value: String, default: String| {
            if value != default {
                parts.push(format!("{key}={value}"));
            }
        };
        push("hidden", t.hidden.to_string(), dt.hidden.to_string());
        push("epochs", t.epochs.to_string(), dt.epochs.to_string());
        push("batch", t.batch.to_string(), dt.batch.to_string());
        push("train_samples", t.train_samples.to_string(), dt.train_samples.to_string());
        push("lr", t.lr.to_string(), dt.lr.to_string());
        push("seed", t.seed.to_string(), dt.seed.to_string());
        push("loss_every", t.loss_every.to_string(), dt.loss_every.to_string());
        if self.backend == BackendChoice::Cpu {
            parts.push("backend=cpu".into());
        }
        parts.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> (Settings, Vec<String>) {
        Settings::from_query(query)
    }

    #[test]
    fn no_parameters_give_the_keras_defaults() {
        let (settings, notices) = parse(&[]);
        assert!(notices.is_empty());
        let t = &settings.training;
        assert_eq!((t.hidden, t.epochs, t.batch, t.train_samples, t.lr), (128, 5, 128, 60_000, 1e-3));
        assert!(!settings.autorun);
    }

    #[test]
    fn valid_values_are_taken() {
        let (settings, notices) = parse(&[
            ("epochs", "1"), ("batch", "64"), ("hidden", "32"), ("train_samples", "6000"),
            ("seed", "7"), ("lr", "0.003"), ("autorun", "1"), ("backend", "cpu"),
        ]);
        assert_eq!(notices, Vec::<String>::new());
        let t = &settings.training;
        assert_eq!((t.epochs, t.batch, t.hidden, t.train_samples, t.seed, t.lr), (1, 64, 32, 6000, 7, 0.003));
        assert!(settings.autorun);
        assert_eq!(settings.backend, BackendChoice::Cpu);
    }

    #[test]
    fn out_of_range_values_are_clamped_with_a_notice() {
        let (settings, notices) = parse(&[("epochs", "1000"), ("batch", "0"), ("train_samples", "70000"), ("lr", "5")]);
        let t = &settings.training;
        assert_eq!((t.epochs, t.batch, t.train_samples, t.lr), (50, 1, 60_000, 1.0));
        assert_eq!(notices.len(), 4);
        assert!(notices[0].contains("epochs=1000 is above the maximum 50"), "{}", notices[0]);
    }

    #[test]
    fn unreadable_values_are_ignored_with_a_notice() {
        for (key, raw) in [("epochs", "five"), ("batch", "-3"), ("lr", "NaN"), ("seed", "1e3"), ("hidden", ""), ("autorun", "maybe"), ("backend", "tpu")] {
            let (settings, notices) = parse(&[(key, raw)]);
            assert_eq!(notices.len(), 1, "{key}={raw}");
            let mut expected = Settings::default();
            if key == "lr" {
                // NaN parses as a float; it is clamped rather than used.
                expected.training.lr = *LR.start();
            }
            assert_eq!(settings, expected, "{key}={raw}");
        }
    }

    #[test]
    fn infinite_learning_rate_is_clamped() {
        let (settings, notices) = parse(&[("lr", "inf")]);
        assert_eq!(settings.training.lr, 1.0);
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn unknown_parameters_are_reported() {
        let (_, notices) = parse(&[("epoch", "3")]);
        assert_eq!(notices, vec!["unknown parameter \"epoch\" was ignored".to_string()]);
    }

    #[test]
    fn the_query_round_trips() {
        let (settings, _) = parse(&[("epochs", "2"), ("lr", "0.01"), ("backend", "cpu")]);
        let query = settings.to_query();
        assert_eq!(query, "epochs=2&lr=0.01&backend=cpu");
        let pairs: Vec<(String, String)> = query
            .split('&')
            .map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap())
            .collect();
        assert_eq!(Settings::from_query(&pairs).0, settings);
    }
}
