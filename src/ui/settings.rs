//! The preferences the window keeps in GSettings, read as typed values: the schema lookup,
//! and the share settings that become the sharing layer's choices.

use gtk::gio;
use gtk::prelude::*;

use crate::rtc::Simulcast;
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
    let dir = crate::data_dirs::installed("glib-2.0/schemas")
        .or_else(|| option_env!("REELCAST_SCHEMA_DIR").map(Into::into))?;
    let source = gio::SettingsSchemaSource::from_directory(&dir, default.as_ref(), false).ok()?;
    let schema = source.lookup(APP_ID, false);
    if schema.is_some() {
        tracing::debug!("the preferences schema is in {}", dir.display());
    }
    schema
}

/// The sharing keys of the preferences, read into the one shape of a share's configuration
/// ([`ShareChoices`]): each key is a field of it, and what the keys do not cover keeps
/// `ShareChoices`' default (the schema's defaults are checked against it in
/// tests/data_files.rs).
#[derive(Debug, Clone, PartialEq)]
pub struct ShareSettings {
    pub choices: ShareChoices,
}

impl ShareSettings {
    pub fn read(settings: &gio::Settings) -> Self {
        let text = |key: &str| {
            let value = settings.string(key);
            (!value.is_empty()).then(|| value.to_string())
        };
        let defaults = ShareChoices::default();
        let choices = ShareChoices {
            signalling: text("signalling-url"),
            name: text("share-name"),
            video_codec: settings
                .string("video-codec")
                .parse()
                .unwrap_or(defaults.video_codec),
            max_bitrate_kbps: settings.uint("max-bitrate"),
            max_height: settings.uint("max-height"),
            max_frame_rate: settings.uint("max-frame-rate"),
            stun: text("stun-server"),
            // One key holds them all, separated by spaces.
            turn: settings
                .string("turn-server")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            simulcast: if settings.boolean("simulcast") {
                Simulcast::On
            } else {
                Simulcast::Off
            },
            ..defaults
        };
        Self { choices }
    }

    /// The settings as choices for a share.
    pub fn choices(&self) -> ShareChoices {
        self.choices.clone()
    }
}
