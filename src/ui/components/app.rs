use leptos::prelude::*;

use super::charts::{AccuracyChart, LossChart};
use super::comparison::Comparison;
use super::controls::Controls;
use super::draw::DrawDigit;
use super::energy::EnergyPanel;
use super::engine_worker;
use super::export::Export;
use super::later::Later;
use super::results::Results;
use super::share::{EmbedCaption, Share};
use super::sparse::SparsePanel;
use super::state::AppState;
use super::status::{Banners, Header, ProgressPanel};
use super::study::PatternStudy;
use super::summary::Summary;
use super::verdict::VerdictCard;
use super::weights::WeightPictures;
use crate::protocol::settings::Settings;
use crate::web::page;

/// The whole page. Reads the URL once, publishes the report whenever it changes, and starts a
/// run as soon as it has painted with `?autorun=1`.
#[component]
pub fn App() -> impl IntoView {
    let (settings, notices) = Settings::from_query(&page::query_pairs());
    let autorun = settings.autorun;
    let embed = settings.embed;
    page::set_embed_layout(embed);
    let state = AppState::new(settings, notices);
    // The full page loads the engine while its reader looks at the settings; an embed waits for a
    // Train click (or autorun), so a post with several embeds costs nothing until one is used.
    engine_worker::connect(state, !embed);
    provide_context(state);
    Effect::new(move |_| state.report.with(page::publish));
    // The address bar always reproduces the current settings (shareable).
    Effect::new(move |_| state.settings.with(|s| page::replace_query(&s.to_query())));
    if autorun {
        // After the next frame, as a click on Train would: the first screen paints first.
        page::after_next_frame(move || state.start());
    }
    view! {
        <Header/>
        <main>
            {(!embed).then(|| view! { <SectionNav/> })}
            // The answer first, once there is one (in an embed's first viewport too); then what
            // this is, the notices, and the settings that produced it.
            <VerdictCard/>
            {embed.then(|| view! { <EmbedCaption/> })}
            <Banners/>
            // Each `Later` is mounted in a task of its own after the next frame, which keeps the
            // page's start-up tasks short (see there).
            <Later>
                <Controls/>
            </Later>
            <ProgressPanel/>
            <Later>
                {move || { let phase = state.chart_phase.get(); (!phase.is_empty()).then(|| view! { <p class="note">"The charts show: " {phase}</p> }) }}
                <section class="charts" id="training" aria-label="Training charts">
                    <LossChart/>
                    <AccuracyChart/>
                </section>
                <WeightPictures/>
                <Comparison/>
                <SparsePanel/>
                <PatternStudy/>
            </Later>
            <Later>
                <DrawDigit/>
                <EnergyPanel/>
                <Summary/>
                <Results/>
                {(!embed).then(|| view! { <Export/> })}
                {(!embed).then(|| view! { <Share/> })}
            </Later>
        </main>
        <footer>
            "MNIST MLP 784 → " {move || state.settings.with(|s| s.training.hidden)} " → 10, trained with burn on "
            {move || state.report.with(|r| r.backend.map(|b| b.label()).unwrap_or("(not started)"))}
            ". Pixels are scaled to [0, 1], as in the Keras tutorials."
        </footer>
    }
}

/// The page's sections, one click away (deep links: `#compare`), in a bar that stays at the top.
#[component]
fn SectionNav() -> impl IntoView {
    const SECTIONS: [(&str, &str); 6] = [
        ("#training", "Train"),
        ("#compare", "Compare"),
        ("#pruning", "See the pruning"),
        ("#draw", "Draw a digit"),
        ("#energy", "Energy"),
        ("#download", "Download"),
    ];
    view! {
        <nav class="sections" aria-label="Sections">
            {SECTIONS.into_iter().map(|(href, text)| view! { <a href=href>{text}</a> }).collect_view()}
        </nav>
    }
}
