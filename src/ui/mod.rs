//! The window: a thin client of the media, capture and sharing layers, a peer of the
//! command line (neither imports the other).

mod app;
mod goodbyes;
mod player_controls;
mod preferences;
mod qr_texture;
mod record_row;
mod settings;
mod share_model;
mod share_panel;
mod share_viewer;
mod turn_settings;
mod window;

pub use app::{run, Outcome, Start};
pub use settings::{settings, settings_with_backend, ShareSettings, APP_ID};
pub use share_model::{Notice, ShareModel, ShareState};
pub use share_viewer::{ShareViewer, ViewerState};
pub use turn_settings::{
    apply_turn_servers, migrate_turn_servers, share_turn_problem, shown_turn_servers,
    turn_problem_reason, TURN_KEY,
};
pub use window::ReelcastWindow;
