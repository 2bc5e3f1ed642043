//! Subtitle files that GStreamer's typefinding cannot tell: its SRT typefinder reads 129 bytes
//! before it decides, so a file with one or two short cues (60 bytes is common) is "not a
//! subtitle format". The typefind element has a last resort for that: when no typefinder
//! recognises the data, it asks for a type by the file's extension, from the typefind factories
//! that have caps and extensions but no function. Reelcast registers such factories for the
//! subtitle endings it plays next to videos, so the extension decides only where the data
//! could not; a file that is not what its name says still fails in the parser, by name.

use gst::glib::translate::{IntoGlib, ToGlibPtr};

/// The caps each subtitle ending stands for, as GStreamer's own typefinders name them.
const SUBTITLE_TYPES: [(&str, &str); 4] = [
    ("srt", "application/x-subtitle"),
    ("vtt", "application/x-subtitle-vtt"),
    ("ass", "application/x-ass"),
    ("ssa", "application/x-ssa"),
];

/// Registers the extension-only typefind factories, once per process (after `gst::init`);
/// every player calls it before it plays.
pub(crate) fn register_subtitle_extensions() -> Result<(), String> {
    static REGISTERED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    REGISTERED.get_or_init(register).clone()
}

fn register() -> Result<(), String> {
    for (extension, caps) in SUBTITLE_TYPES {
        let name = format!("reelcast-subtitle-by-extension-{extension}");
        let caps = gst::Caps::builder(caps).build();
        // SAFETY: every pointer is valid for the call (the strings and caps live until it
        // returns, and GStreamer copies or refs what it keeps); no function and no data is
        // what makes the factory an extension-only one.
        let registered = unsafe {
            gst::ffi::gst_type_find_register(
                std::ptr::null_mut(),
                name.to_glib_none().0,
                gst::Rank::MARGINAL.into_glib() as u32,
                None,
                extension.to_glib_none().0,
                caps.to_glib_none().0,
                std::ptr::null_mut(),
                None,
            )
        };
        if registered == gst::glib::ffi::GFALSE {
            return Err(format!(
                "the .{extension} subtitle type could not be registered"
            ));
        }
    }
    Ok(())
}
