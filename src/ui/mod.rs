//! The page's components. They render [`AppState`], built from the engine's events, and send
//! it commands; the work happens in [`crate::engine`].

mod app;
mod charts;
mod comparison;
mod controls;
mod draw;
mod energy;
mod engine_worker;
mod export;
mod results;
mod share;
mod sparse;
mod state;
mod status;
mod summary;
mod weights;

pub use app::App;
pub use state::AppState;
