//! Reelcast: share a video you play into a WebRTC call, like the web's
//! `HTMLMediaElement.captureStream()`, as a native desktop app.
//!
//! The layers below know nothing of GTK, so the command line, the tests and the window all
//! use them directly: [`media`] plays, [`capture`] turns what plays into live tracks.

pub mod capture;
pub mod cli;
mod data_dirs;
pub mod headless;
pub mod i18n;
mod init;
pub mod media;
pub mod record;
pub mod report;
pub mod rtc;
pub mod share_cli;
pub mod sharing;
pub mod signalling;
pub mod stop_signals;
pub mod terminal;
pub mod ui;
mod util;

pub use init::{init, InitError};

/// The application id: the GSettings schema, the desktop file, the icon and the keyring items
/// of the TURN passwords are named after it.
pub const APP_ID: &str = "io.github.reelcast.Reelcast";
