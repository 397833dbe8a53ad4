//! Measuring honestly: summary statistics, the latency protocol (what a figure on the page
//! times, on any device) and the energy estimate. Pure logic, tested natively.

pub mod energy;
pub mod latency;
pub mod stats;
