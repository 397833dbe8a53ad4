//! Downloads the MNIST files from the page's own origin, streaming them to report progress and
//! decoding each chunk as it arrives.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, Response};

use super::{js_message, page};
use crate::data::{DataError, FILES, FileDecoder, Mnist, MnistFile};

/// Decoding runs between the chunks' awaits; a chunk that was already buffered resolves at once,
/// without the event loop in between. So after this much decoding the download lets the loop
/// run (a Cancel message, the cancel poll), however fast the bytes come.
const YIELD_EVERY_MS: f64 = 15.0;

/// Bytes of the download decoded at a time: 16 KB of gzip inflate to about 80 KB, about a
/// millisecond of inflating and hashing in optimised wasm. Small, because the download is the
/// first thing a freshly started engine does, while the browser still runs its wasm unoptimised
/// and compiles it on the same cores: a 64 KB piece then took about 70 ms, and a Cancel waited
/// behind it.
const DECODE_PIECE: usize = 16 * 1024;

/// Aborts its fetch when dropped: Cancel drops the download where it stands, and the body
/// should not go on streaming into a reader nobody reads.
struct AbortOnDrop(AbortController);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        // A no-op once the body has been read to its end.
        self.0.abort();
    }
}

/// Fetches and decodes `file`, calling `on_chunk` with the size of each chunk as it arrives.
async fn fetch_file(file: &MnistFile, on_chunk: &mut dyn FnMut(usize)) -> Result<Vec<u8>, DataError> {
    let failed = |message: String| DataError::Download { file: file.name, message };
    let abort = AbortOnDrop(AbortController::new().map_err(|e| failed(format!("cannot make an AbortController: {}", js_message(e))))?);
    let request = super::scope::fetch(&file.url(), &abort.0.signal()).map_err(|e| failed(format!("network error: {}", js_message(e))))?;
    let response: Response = JsFuture::from(request)
        .await
        .map_err(|e| failed(format!("network error: {}", js_message(e))))?
        .dyn_into()
        .map_err(|_| failed("fetch did not return a Response".into()))?;
    if !response.ok() {
        return Err(failed(format!("the server answered {} {}", response.status(), response.status_text())));
    }
    let body = response.body().ok_or_else(|| failed("the response has no body".into()))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().dyn_into().map_err(|_| failed("cannot read the body".into()))?;
    let mut decoder = FileDecoder::new(file);
    let mut ran_since = page::now_ms();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| failed(format!("download interrupted: {}", js_message(e))))?;
        if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let value: Uint8Array =
            Reflect::get(&chunk, &"value".into()).ok().and_then(|v| v.dyn_into().ok()).ok_or_else(|| failed("a chunk of the body is not bytes".into()))?;
        // A chunk read from a local or cached response can be megabytes: it is decoded in pieces,
        // with the event loop let in between.
        for piece in value.to_vec().chunks(DECODE_PIECE) {
            decoder.push(piece)?;
            on_chunk(piece.len());
            if page::now_ms() - ran_since > YIELD_EVERY_MS {
                gloo_timers::future::TimeoutFuture::new(0).await;
                ran_since = page::now_ms();
            }
        }
    }
    decoder.finish()
}

/// Total bytes of the shipped (gzipped) files, for the progress bar.
pub fn expected_bytes() -> usize {
    FILES.iter().map(|f| f.compressed_bytes).sum()
}

/// Downloads, verifies and parses the four files. `on_progress` gets the bytes received so far.
pub async fn load_mnist(on_progress: &mut dyn FnMut(usize)) -> Result<(Mnist, usize), DataError> {
    let mut received = 0usize;
    let mut decoded = Vec::with_capacity(FILES.len());
    for file in &FILES {
        decoded.push(
            fetch_file(file, &mut |n| {
                received += n;
                on_progress(received);
            })
            .await?,
        );
    }
    let mnist = Mnist::from_files([&decoded[0], &decoded[1], &decoded[2], &decoded[3]])?;
    Ok((mnist, received))
}
