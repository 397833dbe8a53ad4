//! Downloads the MNIST files from the page's own origin, streaming them to report progress.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

use super::js_message;
use crate::data::{DataError, FILES, Mnist, mnist};

/// Fetches `url`, calling `on_chunk` with the size of each chunk as it arrives.
async fn fetch_bytes(url: &str, on_chunk: &mut dyn FnMut(usize)) -> Result<Vec<u8>, String> {
    let request = super::scope::fetch(url).map_err(|e| format!("network error: {}", js_message(e)))?;
    let response: Response = JsFuture::from(request)
        .await
        .map_err(|e| format!("network error: {}", js_message(e)))?
        .dyn_into()
        .map_err(|_| "fetch did not return a Response".to_string())?;
    if !response.ok() {
        return Err(format!("the server answered {} {}", response.status(), response.status_text()));
    }
    let body = response.body().ok_or("the response has no body")?;
    let reader: ReadableStreamDefaultReader = body.get_reader().dyn_into().map_err(|_| "cannot read the body".to_string())?;
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| format!("download interrupted: {}", js_message(e)))?;
        if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into()).ok().and_then(|v| v.dyn_into().ok()).ok_or("a chunk of the body is not bytes")?;
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        on_chunk(value.length() as usize);
    }
    Ok(bytes)
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
        let bytes = fetch_bytes(&file.url(), &mut |n| {
            received += n;
            on_progress(received);
        })
        .await
        .map_err(|message| DataError::Download { file: file.name, message })?;
        decoded.push(mnist::decode_file(file, &bytes)?);
    }
    let mnist = Mnist::from_files([&decoded[0], &decoded[1], &decoded[2], &decoded[3]])?;
    Ok((mnist, received))
}
