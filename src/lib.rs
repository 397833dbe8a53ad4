//! PruneLab: train an MNIST MLP on the visitor's GPU (WebGPU through burn), and report honestly
//! what it costs. Pure logic (data, settings, statistics, report, chart geometry) is free of web
//! types and tested natively; `web` and `ui` exist only in the browser build.

pub mod adapter;
pub mod chart;
pub mod compare;
pub mod config;
pub mod data;
pub mod digit;
pub mod distill;
pub mod early_stopping;
pub mod energy;
#[cfg(feature = "webgpu")]
pub mod engine;
pub mod export;
pub mod format;
pub mod fused;
#[cfg(feature = "webgpu")]
pub mod gpu;
pub mod histogram;
pub mod knobs;
pub mod latency;
pub mod model;
pub mod model_kind;
pub mod protocol;
pub mod prune;
pub mod quant;
pub mod report;
pub mod settings;
pub mod sparse;
pub mod stats;
pub mod summary;
pub mod tiles;
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
