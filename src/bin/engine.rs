//! The engine's entry point: the page starts it as a Web Worker (`engine_loader.js`), so
//! training, pruning and latency never run on the page's thread.

#[cfg(target_arch = "wasm32")]
fn main() {
    prunelab::web::reactor::initialize();
    prunelab::engine::worker::serve();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The PruneLab engine runs as a Web Worker in the browser: build and serve it with `bash .ci/serve` (see README.md).");
}
