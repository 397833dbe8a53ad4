//! The components, one section of the page each, and the state they share. Thin: what they show
//! is computed in `ui::view` (pure, tested natively); they exist only in the page's wasm build.

mod app;
mod charts;
mod comparison;
mod controls;
mod draw;
mod energy;
mod engine_worker;
mod export;
mod later;
mod pattern_kernel;
mod results;
mod share;
mod sparse;
mod speedups;
mod state;
mod status;
mod study;
mod summary;
mod verdict;
mod weights;

pub use app::App;
pub use state::AppState;
