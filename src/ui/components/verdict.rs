//! The verdict card: the run's answer in plain words and numbers, above the settings, so a
//! reader sees it without scrolling (see `view/verdict.rs` for what it says and why), and a copy
//! of it as Markdown for a blog post.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::state::AppState;
use crate::protocol::settings::Settings;
use crate::ui::view::verdict::{markdown, verdict};
use crate::web::page;

#[component]
pub fn VerdictCard() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Rebuilt only when a figure it shows changes, not with every report.
    let card = Memo::new(move |_| state.report.with(verdict));
    let copied = RwSignal::new(None::<Result<(), String>>);
    let copy = move |_| {
        // The link reproduces the run in the full page, not the embed.
        let query = Settings { embed: false, ..state.settings.get_untracked() }.to_query();
        let link = if query.is_empty() { page::page_url() } else { format!("{}?{query}", page::page_url()) };
        let Some(text) = state.report.with_untracked(|r| markdown(r, &link)) else { return };
        spawn_local(async move { copied.set(Some(page::copy_text(&text).await)) });
    };
    move || {
        card.get().map(|v| {
            view! {
                <section class="verdict" id="verdict" aria-label="The verdict">
                    <h2>"What pruning did, on this device"</h2>
                    <p class="headline" id="verdict-headline">{v.headline()}</p>
                    <ul id="verdict-speed">{v.speed_lines().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                    <p class="note">
                        <span class="why">
                            "Each batch size on the backend that runs the dense model faster here; “no faster” means within the timings' noise. "
                            "Every figure: " <a href="#compare">"the comparison below"</a> ". "
                        </span>
                        <button id="copy-markdown" on:click=copy>"Copy as Markdown"</button>
                        " "
                        <span role="status">
                            {move || copied.get().map(|r| match r {
                                Ok(()) => "Copied: the verdict and every model's figures, with this device and a link to these settings.".to_string(),
                                Err(e) => format!("Could not copy ({e})."),
                            })}
                        </span>
                    </p>
                </section>
            }
        })
    }
}
