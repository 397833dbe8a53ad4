//! The engine's entry point. In the browser the page starts it as a Web Worker
//! (`engine_loader.js`), so training, pruning and latency never run on the page's thread.
//! Natively it runs one run of the same engine on this machine, from the page's query string,
//! and prints the report's JSON: `cargo run --release --features webgpu --bin engine --
//! 'backend=webgpu&check_engine=1'` (wgpu on Vulkan, Metal or DX12; the CPU without it).

#[cfg(target_arch = "wasm32")]
fn main() {
    prunelab::web::reactor::initialize();
    prunelab::engine::browser::worker::serve();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use std::cell::RefCell;
    use std::rc::Rc;

    use prunelab::engine::Engine;
    use prunelab::engine::native::NativeHost;
    use prunelab::protocol::messages::{Command, Event};
    use prunelab::protocol::report::{Report, RunState};
    use prunelab::protocol::settings::Settings;

    let query = std::env::args().nth(1).unwrap_or_default();
    let pairs: Vec<(&str, &str)> = query.trim_start_matches('?').split('&').filter_map(|kv| kv.split_once('=')).collect();
    let (settings, notices) = Settings::from_query(&pairs);
    for notice in &notices {
        eprintln!("note: {notice}");
    }
    let mnist = std::env::var("PRUNELAB_MNIST").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/static/mnist").into());
    let last: Rc<RefCell<Option<Report>>> = Rc::default();
    let keep = last.clone();
    let engine = Engine::new(NativeHost::new(mnist), move |event| match event {
        Event::Phase { name, .. } if !name.is_empty() => eprintln!("… {name}"),
        Event::Report(report) => *keep.borrow_mut() = Some(*report),
        _ => {}
    });
    // The native host runs the whole run here, before `handle` returns.
    engine.handle(Command::Start(settings));
    let Some(mut report) = last.borrow_mut().take() else {
        eprintln!("the engine sent no report");
        return std::process::ExitCode::FAILURE;
    };
    report.notices = notices;
    println!("{}", report.to_json());
    if report.state == RunState::Done { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::FAILURE }
}
