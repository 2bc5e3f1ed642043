//! Subtitle files that GStreamer's typefinding cannot tell: its SRT typefinder reads 129 bytes
//! before it decides, so a file with one or two short cues (60 bytes is common) is "not a
//! subtitle format". The typefind element has a last resort for that: when no typefinder
//! recognises the data, it asks for a type by the file's extension, from the typefind factories
//! that have caps and extensions but no function. Reelcast registers such factories for the
//! subtitle endings it plays next to videos, so the extension decides only where the data
//! could not; a file that is not what its name says still fails in the parser, by name.

use gst::glib::translate::{IntoGlib, ToGlibPtr};

use super::subtitles::SUBTITLE_EXTENSIONS;

/// The caps a subtitle ending stands for, as GStreamer's own typefinders name them.
fn caps_for(extension: &str) -> Option<&'static str> {
    match extension {
        "srt" => Some("application/x-subtitle"),
        "vtt" => Some("application/x-subtitle-vtt"),
        "ass" => Some("application/x-ass"),
        "ssa" => Some("application/x-ssa"),
        _ => None,
    }
}

/// Registers the extension-only typefind factories, once per process (after `gst::init`);
/// every player calls it before it plays.
pub(crate) fn register_subtitle_extensions() -> Result<(), String> {
    static REGISTERED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    REGISTERED.get_or_init(register).clone()
}

fn register() -> Result<(), String> {
    for extension in SUBTITLE_EXTENSIONS {
        let Some(caps) = caps_for(extension) else {
            continue;
        };
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

#[cfg(test)]
mod tests {
    use super::{caps_for, SUBTITLE_EXTENSIONS};

    #[test]
    fn every_subtitle_ending_played_next_to_a_video_has_its_caps() {
        for extension in SUBTITLE_EXTENSIONS {
            assert!(caps_for(extension).is_some(), ".{extension}");
        }
    }
}
