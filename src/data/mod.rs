//! MNIST: the IDX file format, the shipped files and their checksums, and how samples are batched.
//! Nothing here knows about the browser or the GPU, so all of it is tested natively.

pub mod batches;
pub mod digit;
pub mod idx;
pub mod mnist;

pub use mnist::{DataError, FILES, FileDecoder, IMAGE_PIXELS, IMAGE_SIDE, Mnist, MnistFile, Split};
