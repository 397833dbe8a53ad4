//! What the components draw, as pure functions of the report: chart geometry, the energy
//! section's table, the weight histogram, the "What saves energy" rows, the verdict card, the speed matrix, the latency protocol's and the sparsity pattern's notes, the pattern kernel's rows, the pattern study's charts and number formatting. Tested natively.

pub mod chart;
pub mod energy;
pub mod format;
pub mod histogram;
pub mod latency_note;
pub mod pattern_kernel;
pub mod pattern_note;
pub mod speedups;
pub mod study;
pub mod summary;
pub mod verdict;
