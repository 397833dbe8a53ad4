//! The page's entry point: everything else lives in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    prunelab::web::reactor::initialize();
    prunelab::web::page::install_panic_hook();
    // In a task of its own: the one that instantiates the wasm also finishes compiling it, and
    // building the page compiles (lazily, on the page's thread) every function it calls.
    gloo_timers::callback::Timeout::new(0, || leptos::mount::mount_to_body(prunelab::ui::App)).forget();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("PruneLab runs in the browser: build and serve it with `bash .ci/serve` (see README.md).");
}
