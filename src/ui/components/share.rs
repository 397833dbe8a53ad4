use leptos::prelude::*;
use leptos::task::spawn_local;

use super::state::AppState;
use crate::protocol::knobs::embed_snippet;
use crate::protocol::settings::Settings;
use crate::web::page;

/// A link to these settings and the iframe snippet to embed them, with a Copy button.
#[component]
pub fn Share() -> impl IntoView {
    let state = expect_context::<AppState>();
    let snippet = move || state.settings.with(|s| embed_snippet(&page::page_url(), s));
    let copied = RwSignal::new(None::<Result<(), String>>);
    let copy = move |_| {
        let text = snippet();
        spawn_local(async move { copied.set(Some(page::copy_text(&text).await)) });
    };
    view! {
        <details class="share">
            <summary>"Share or embed these settings"</summary>
            <label class="knob">
                <span>"Embed code (an iframe for a blog post)"</span>
                <textarea id="embed-code" readonly rows="3" prop:value=snippet></textarea>
            </label>
            <button id="copy-embed" on:click=copy>"Copy embed code"</button>
            <span role="status" class="note">
                {move || copied.get().map(|r| match r {
                    Ok(()) => "Copied.".to_string(),
                    Err(e) => format!("Could not copy ({e}); select the text above instead."),
                })}
            </span>
        </details>
    }
}

/// The caption and the way out of the compact layout.
#[component]
pub fn EmbedCaption() -> impl IntoView {
    let state = expect_context::<AppState>();
    let full = move || {
        let settings = Settings { embed: false, ..state.settings.get() };
        let query = settings.to_query();
        if query.is_empty() { page::page_url() } else { format!("{}?{query}", page::page_url()) }
    };
    view! {
        <p class="caption" id="embed-caption">
            "This trains a small MNIST network on your own GPU, right here, then prunes it and compares: what pruning saves (weights, bytes) and what it does not (speed on a dense kernel). "
            <a href=full target="_blank" rel="noopener">"Open the full PruneLab"</a>
        </p>
    }
}
