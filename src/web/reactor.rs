//! Static constructors run once, not before every call into the wasm.
//!
//! Some dependencies register items from static constructors (cubecl's IR through `inventory`).
//! A wasm binary that exports no `_initialize` is a "command" to wasm-ld. A command wraps every
//! export so that it runs all constructors before the call, and all destructors after it. Every
//! callback from JavaScript is such a call, so every event, timer and message would re-run the
//! registrations on the page's thread (seconds of a run). Exporting `_initialize` makes the binary a
//! "reactor": nothing is wrapped, and the constructors run once, from `main`, through [`initialize`].

unsafe extern "C" {
    /// Synthesised by wasm-ld: every static constructor, in order.
    fn __wasm_call_ctors();
}

/// Runs the static constructors; the binaries' `main` calls it first, once.
pub fn initialize() {
    _initialize();
}

/// The reactor's initialiser, exported under the name wasm-ld looks for.
#[unsafe(no_mangle)]
pub extern "C" fn _initialize() {
    // SAFETY: the linker's constructor function takes no arguments and is safe to call once,
    // before anything reads what it registers; `main` calls this before anything else.
    unsafe { __wasm_call_ctors() }
}
