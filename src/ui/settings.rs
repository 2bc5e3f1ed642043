//! The preferences the window keeps in GSettings, read as typed values: the schema lookup,
//! and the share settings that become the sharing layer's choices.

use gtk::gio;
use gtk::prelude::*;

use crate::rtc::{Codec, Simulcast};
use crate::sharing::ShareChoices;

pub use crate::APP_ID;

/// The preferences, from the installed schema or, in a build from source, the one compiled
/// next to it. `None` when neither exists: the app then runs on defaults and saves nothing.
pub fn settings() -> Option<gio::Settings> {
    Some(gio::Settings::new_full(
        &schema()?,
        None::<&gio::SettingsBackend>,
        None,
    ))
}

/// The preferences kept by `backend` (tests use a key file or memory of their own).
pub fn settings_with_backend(backend: &gio::SettingsBackend) -> Option<gio::Settings> {
    Some(gio::Settings::new_full(&schema()?, Some(backend), None))
}

fn schema() -> Option<gio::SettingsSchema> {
    let default = gio::SettingsSchemaSource::default();
    if let Some(schema) = default.as_ref().and_then(|s| s.lookup(APP_ID, true)) {
        return Some(schema);
    }
    // An installed binary reads only its own prefix's schema, never the build tree's.
    let dir = super::data_dirs::installed("glib-2.0/schemas")
        .or_else(|| option_env!("REELCAST_SCHEMA_DIR").map(Into::into))?;
    let source = gio::SettingsSchemaSource::from_directory(&dir, default.as_ref(), false).ok()?;
    let schema = source.lookup(APP_ID, false);
    if schema.is_some() {
        tracing::debug!("the preferences schema is in {}", dir.display());
    }
    schema
}

/// The sharing keys of the schema, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareSettings {
    /// Offered in the share panel; empty: none.
    pub signalling_url: String,
    /// Empty: the file's name.
    pub share_name: String,
    /// The interface whose address a link names; empty: this computer only.
    pub share_network: String,
    pub video_codec: Codec,
    pub max_bitrate_kbps: u32,
    /// 0: as the file.
    pub max_height: u32,
    /// 0: as the file.
    pub max_frame_rate: u32,
    /// Empty: none.
    pub stun_server: String,
    pub turn_servers: Vec<String>,
    pub simulcast: Simulcast,
}

impl ShareSettings {
    pub fn read(settings: &gio::Settings) -> Self {
        let defaults = ShareChoices::default();
        Self {
            signalling_url: settings.string("signalling-url").to_string(),
            share_name: settings.string("share-name").to_string(),
            share_network: settings.string("share-network").to_string(),
            video_codec: settings
                .string("video-codec")
                .parse()
                .unwrap_or(defaults.video_codec),
            max_bitrate_kbps: settings.uint("max-bitrate"),
            max_height: settings.uint("max-height"),
            max_frame_rate: settings.uint("max-frame-rate"),
            stun_server: settings.string("stun-server").to_string(),
            // One key holds them all, separated by spaces.
            turn_servers: settings
                .string("turn-server")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            simulcast: if settings.boolean("simulcast") {
                Simulcast::On
            } else {
                Simulcast::Off
            },
        }
    }

    /// The settings as choices for a share; what they do not cover keeps its default.
    pub fn choices(&self) -> ShareChoices {
        ShareChoices {
            signalling: (!self.signalling_url.is_empty()).then(|| self.signalling_url.clone()),
            name: (!self.share_name.is_empty()).then(|| self.share_name.clone()),
            video_codec: self.video_codec,
            max_bitrate_kbps: self.max_bitrate_kbps,
            max_height: self.max_height,
            max_fps: self.max_frame_rate,
            stun: (!self.stun_server.is_empty()).then(|| self.stun_server.clone()),
            turn: self.turn_servers.clone(),
            simulcast: self.simulcast,
            ..ShareChoices::default()
        }
    }
}
