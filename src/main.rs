//! The page's entry point: everything else lives in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    prunelab::web::reactor::initialize();
    prunelab::web::page::install_panic_hook();
    leptos::mount::mount_to_body(prunelab::ui::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("PruneLab runs in the browser: build and serve it with `bash .ci/serve` (see README.md).");
}
