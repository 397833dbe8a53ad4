//! What the page and the engine say to each other: the settings (URL parameters, through one
//! knob table), the messages, and the report, which is the single source of every number the
//! page shows and of the JSON the tests read.

pub mod adapter;
pub mod knobs;
pub mod messages;
pub mod report;
pub mod settings;
