//! The page: components that render [`AppState`], built from the engine's events, and send it
//! commands (the work happens in [`crate::engine`]), and the pure `view` functions they draw with.

pub mod view;

#[cfg(target_arch = "wasm32")]
mod components;

#[cfg(target_arch = "wasm32")]
pub use components::{App, AppState};
