//! Browser-only glue: the page (URL, clock, report element), picking the backend,
//! downloading MNIST with progress, and saving exported files.

pub mod backend;
pub mod download;
pub mod page;
pub mod save;
