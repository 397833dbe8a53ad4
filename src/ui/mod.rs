//! The page's components. They render [`AppState`] and forward events; the work happens in
//! [`pipeline`].

mod app;
mod charts;
mod comparison;
mod controls;
mod draw;
mod energy;
mod export;
mod pipeline;
mod results;
mod share;
mod sparse;
mod status;
mod summary;
mod weights;

pub use app::App;
pub use pipeline::AppState;
