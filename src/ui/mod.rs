//! The window: a thin client of the media, capture and sharing layers, a peer of the
//! command line (neither imports the other).

mod app;
mod i18n;
mod player_controls;
mod preferences;
mod qr_texture;
mod settings;
mod share_model;
mod share_panel;
mod share_viewer;
mod window;

pub use app::{run, Outcome, Start};
pub use settings::{settings, ShareSettings, APP_ID};
pub use share_model::{Notice, ShareModel, ShareState};
pub use share_viewer::{ShareViewer, ViewerState};
pub use window::ReelcastWindow;
