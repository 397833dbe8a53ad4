//! The IDX format of the original MNIST files (yann.lecun.com/exdb/mnist): a big-endian header
//! — magic number, then one u32 per dimension — followed by the raw u8 data.

use thiserror::Error;

/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdxError {
    #[error("the file is {len} bytes long, too short for its {needed}-byte IDX header")]
    TooShort { len: usize, needed: usize },
    #[error("the magic number is 0x{found:08x}, expected 0x{expected:08x} for {what}")]
    BadMagic { found: u32, expected: u32, what: &'static str },
    #[error("the header promises {expected} bytes of data but the file has {found}")]
    WrongLength { expected: usize, found: usize },
    #[error("label {label} at index {index} is not a digit 0-9")]
    BadLabel { label: u8, index: usize },
}

/// Images as stored: `count` images of `rows × cols` pixels, row-major, 0 = background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Reads the header (magic and `dims` sizes) and checks that the data that follows has exactly
/// the promised length; returns the sizes and the data.
fn parse<'a>(bytes: &'a [u8], magic: u32, what: &'static str, dims: usize) -> Result<(Vec<usize>, &'a [u8]), IdxError> {
    let header = 4 + 4 * dims;
    if bytes.len() < header {
        return Err(IdxError::TooShort { len: bytes.len(), needed: header });
    }
    let found = read_u32(bytes, 0);
    if found != magic {
        return Err(IdxError::BadMagic { found, expected: magic, what });
    }
    let sizes: Vec<usize> = (0..dims).map(|d| read_u32(bytes, 4 + 4 * d) as usize).collect();
    let expected = sizes.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s)).unwrap_or(usize::MAX);
    let data = &bytes[header..];
    if data.len() != expected {
        return Err(IdxError::WrongLength { expected, found: data.len() });
    }
    Ok((sizes, data))
}

pub fn parse_images(bytes: &[u8]) -> Result<IdxImages, IdxError> {
    let (sizes, data) = parse(bytes, IMAGES_MAGIC, "images (u8, 3 dimensions)", 3)?;
    Ok(IdxImages { count: sizes[0], rows: sizes[1], cols: sizes[2], pixels: data.to_vec() })
}

pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let (_, data) = parse(bytes, LABELS_MAGIC, "labels (u8, 1 dimension)", 1)?;
    if let Some((index, &label)) = data.iter().enumerate().find(|&(_, &l)| l > 9) {
        return Err(IdxError::BadLabel { label, index });
    }
    Ok(data.to_vec())
}

/// Builds an IDX file; the tests use it to make small valid and broken files.
pub fn encode(magic: u32, sizes: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    for s in sizes {
        out.extend_from_slice(&s.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_images() -> Vec<u8> {
        encode(IMAGES_MAGIC, &[2, 2, 3], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255])
    }

    #[test]
    fn parses_images_and_their_shape() {
        let images = parse_images(&two_images()).unwrap();
        assert_eq!((images.count, images.rows, images.cols), (2, 2, 3));
        assert_eq!(images.pixels[11], 255);
    }

    #[test]
    fn parses_labels() {
        let bytes = encode(LABELS_MAGIC, &[3], &[7, 0, 9]);
        assert_eq!(parse_labels(&bytes).unwrap(), vec![7, 0, 9]);
    }

    #[test]
    fn rejects_a_truncated_file() {
        let bytes = two_images();
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(parse_images(cut), Err(IdxError::WrongLength { expected: 12, found: 11 }));
        assert_eq!(parse_images(&bytes[..10]), Err(IdxError::TooShort { len: 10, needed: 16 }));
        assert_eq!(parse_labels(&[]), Err(IdxError::TooShort { len: 0, needed: 8 }));
    }

    #[test]
    fn rejects_trailing_bytes() {
        let mut bytes = encode(LABELS_MAGIC, &[2], &[1, 2]);
        bytes.push(3);
        assert_eq!(parse_labels(&bytes), Err(IdxError::WrongLength { expected: 2, found: 3 }));
    }

    #[test]
    fn rejects_swapped_files() {
        // Long enough for an images header, so the magic number is what fails.
        let labels = encode(LABELS_MAGIC, &[10], &[1; 10]);
        assert!(matches!(parse_images(&labels), Err(IdxError::BadMagic { found: LABELS_MAGIC, .. })));
        assert!(matches!(parse_labels(&two_images()), Err(IdxError::BadMagic { found: IMAGES_MAGIC, .. })));
    }

    #[test]
    fn rejects_a_label_that_is_not_a_digit() {
        let bytes = encode(LABELS_MAGIC, &[3], &[1, 10, 2]);
        assert_eq!(parse_labels(&bytes), Err(IdxError::BadLabel { label: 10, index: 1 }));
    }

    #[test]
    fn a_header_with_absurd_sizes_does_not_overflow() {
        let bytes = encode(IMAGES_MAGIC, &[u32::MAX, u32::MAX, u32::MAX], &[]);
        assert!(matches!(parse_images(&bytes), Err(IdxError::WrongLength { .. })));
    }
}
