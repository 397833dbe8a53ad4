//! The note that names the sparsity pattern a pruned model was made with, when it is not
//! TFMOT's default (single weights), in TFMOT's own terms.

use crate::prune::pattern::{Pattern, Pooling};
use crate::train::config::{PruneConfig, PruneMethod};

/// What the pattern kept together, and how; `None` for single weights or no unstructured model.
pub fn pattern_note(config: &PruneConfig) -> Option<String> {
    if matches!(config.prune, PruneMethod::None | PruneMethod::Structured) {
        return None;
    }
    match config.pattern {
        Pattern::Unstructured => None,
        Pattern::Block => {
            let (rows, cols) = (config.block.rows, config.block.cols);
            let score = match config.block_pooling {
                Pooling::Avg => "average",
                Pooling::Max => "largest",
            };
            Some(format!(
                "Pruned in blocks of {rows} × {cols} (inputs × units; TFMOT's block_size=({rows}, {cols}), block_pooling_type='{}'): each block is kept or removed whole, ranked by the {score} |w| in it.",
                if config.block_pooling == Pooling::Avg { "AVG" } else { "MAX" }
            ))
        }
        Pattern::MByN => {
            let (m, n) = (config.m_by_n.m, config.m_by_n.n);
            Some(format!(
                "Pruned {m}:{n} (TFMOT's sparsity_m_by_n=({m}, {n})): {m} zeros in every {n} consecutive inputs of each unit, {:.0} % of the weights whatever the target sparsity. As in TFMOT, the mask is made once, at step 1, and kept.",
                config.m_by_n.sparsity() * 100.0
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prune::pattern::{BlockSize, MByN};

    #[test]
    fn each_pattern_is_named_in_tfmots_terms() {
        assert_eq!(pattern_note(&PruneConfig::default()), None);
        let block = PruneConfig::default().with_pattern(Pattern::Block).with_block(BlockSize { rows: 4, cols: 1 }).with_block_pooling(Pooling::Max);
        let note = pattern_note(&block).unwrap();
        assert!(note.contains("blocks of 4 × 1") && note.contains("block_size=(4, 1), block_pooling_type='MAX'") && note.contains("largest |w|"), "{note}");
        let two_four = PruneConfig::default().with_pattern(Pattern::MByN).with_m_by_n(MByN { m: 2, n: 4 });
        let note = pattern_note(&two_four).unwrap();
        assert!(
            note.starts_with("Pruned 2:4 (TFMOT's sparsity_m_by_n=(2, 4))") && note.contains("50 % of the weights") && note.contains("once, at step 1"),
            "{note}"
        );
        assert_eq!(pattern_note(&two_four.with_prune(PruneMethod::Structured)), None);
    }
}
