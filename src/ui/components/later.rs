use leptos::prelude::*;

use crate::web::page;

/// Its children, mounted in a task of their own after the next frame. Building a view first runs
/// its code, which the browser compiles then, on the page's thread: the whole page built in one
/// task took 60 to 100 ms of CPU on two cores, most of it compiling. In a few `Later`s, each task
/// stays well under the 50 ms that make a long task.
#[component]
pub fn Later(children: ChildrenFn) -> impl IntoView {
    let shown = RwSignal::new(false);
    page::after_next_frame(move || {
        shown.try_set(true);
    });
    move || shown.get().then(|| children())
}
