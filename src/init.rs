//! Starting GStreamer once, and checking that every element Reelcast needs is installed.

use std::sync::OnceLock;

/// GStreamer elements Reelcast cannot work without, with the Debian package that has them.
const REQUIRED: &[(&str, &str)] = &[
    ("playbin", "gstreamer1.0-plugins-base"),
    ("tee", "libgstreamer1.0-0"),
    ("queue", "libgstreamer1.0-0"),
    ("fakesink", "libgstreamer1.0-0"),
    ("appsink", "gstreamer1.0-plugins-base"),
    ("videoconvert", "gstreamer1.0-plugins-base"),
    ("audioconvert", "gstreamer1.0-plugins-base"),
    ("audioresample", "gstreamer1.0-plugins-base"),
    ("volume", "gstreamer1.0-plugins-base"),
    ("subtitleoverlay", "gstreamer1.0-plugins-base"),
    ("proxysrc", "gstreamer1.0-plugins-bad"),
    ("proxysink", "gstreamer1.0-plugins-bad"),
];

#[derive(Debug, Clone, thiserror::Error)]
pub enum InitError {
    #[error("GStreamer could not start: {0}")]
    Gstreamer(String),
    #[error("GStreamer elements are missing: {0}")]
    MissingElements(String),
}

/// Starts GStreamer and checks that the elements Reelcast needs exist. Safe to call many
/// times; the first result is kept.
pub fn init() -> Result<(), InitError> {
    static RESULT: OnceLock<Result<(), InitError>> = OnceLock::new();
    RESULT
        .get_or_init(|| {
            gst::init().map_err(|e| InitError::Gstreamer(e.to_string()))?;
            let missing: Vec<String> = REQUIRED
                .iter()
                .filter(|(name, _)| gst::ElementFactory::find(name).is_none())
                .map(|(name, package)| format!("{name} (install {package})"))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(InitError::MissingElements(missing.join(", ")))
            }
        })
        .clone()
}
