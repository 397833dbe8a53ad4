//! Which model a figure, a picture or a file belongs to: one name per model a run makes, each
//! with one key (file names, element ids, the JSON) and one label (what the page calls it).

use serde::{Deserialize, Serialize};

/// The pruned model run on the sparse kernels: the same model as [`ModelKind::Pruned`], so not a
/// kind of its own, but a column and a prediction of its own.
pub const SPARSE_KERNEL: &str = "Pruned, sparse kernel";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// The trained 784-h-10 model.
    Dense,
    /// Unstructured magnitude pruning (gradual or one-shot), kept in the dense layout with zeros.
    Pruned,
    /// Whole hidden units removed: a smaller dense model, fine-tuned.
    Structured,
    /// The structured model's shape, fine-tuned against the dense teacher's soft targets.
    Distilled,
    /// The structured model's shape, trained from scratch.
    Scratch,
    /// The dense model, quantized to int8 after training.
    Int8,
    /// The pruned model on the sparse layout, quantized to int8.
    PrunedInt8,
}

impl ModelKind {
    /// In the order the page lists them.
    pub const ALL: [ModelKind; 7] =
        [ModelKind::Dense, ModelKind::Pruned, ModelKind::Structured, ModelKind::Distilled, ModelKind::Scratch, ModelKind::Int8, ModelKind::PrunedInt8];

    /// File names, element ids and the exported JSON's `model`.
    pub fn key(self) -> &'static str {
        match self {
            ModelKind::Dense => "dense",
            ModelKind::Pruned => "pruned",
            ModelKind::Structured => "structured",
            ModelKind::Distilled => "distilled",
            ModelKind::Scratch => "scratch",
            ModelKind::Int8 => "int8",
            ModelKind::PrunedInt8 => "pruned-int8",
        }
    }

    /// What the page calls it.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Dense => "Dense",
            ModelKind::Pruned => "Pruned (masked)",
            ModelKind::Structured => "Structured",
            ModelKind::Distilled => "Distilled student",
            ModelKind::Scratch => "Small, from scratch",
            ModelKind::Int8 => "Dense, int8",
            ModelKind::PrunedInt8 => "Pruned + int8",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_labels_are_unique_and_serde_writes_the_key() {
        for (i, a) in ModelKind::ALL.iter().enumerate() {
            assert_eq!(serde_json::to_string(a).unwrap(), format!("\"{}\"", a.key()));
            for b in &ModelKind::ALL[i + 1..] {
                assert!(a.key() != b.key() && a.label() != b.label(), "{a:?} {b:?}");
            }
        }
    }
}
