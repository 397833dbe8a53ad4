//! Browser-only glue: the page (URL, clock, report element), picking the backend, and
//! downloading MNIST with progress.

pub mod backend;
pub mod download;
pub mod page;
