//! The engine's browser side: the Web Worker that serves the page's commands, the host that
//! gives the engine its clock, downloads and GPU, and the WebGPU backend probe.

pub mod backend;
pub mod host;
pub mod worker;
