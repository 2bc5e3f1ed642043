//! Which container a recording is written in, from its file's name.

use std::path::Path;

use super::error::RecordError;

/// The container of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// Matroska: any of the share's codecs.
    Matroska,
    /// WebM: Matroska for the web, VP8 or VP9 with Opus; plays in every browser.
    WebM,
    /// MP4, written in fragments so a crash loses at most the last one: H.264 with Opus.
    Mp4,
}

impl RecordFormat {
    /// The format a file's extension names.
    pub fn of(path: &Path) -> Result<Self, RecordError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("mkv") => Ok(Self::Matroska),
            Some("webm") => Ok(Self::WebM),
            Some("mp4") | Some("m4v") => Ok(Self::Mp4),
            _ => Err(RecordError::UnknownFormat {
                path: path.to_owned(),
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Matroska => "Matroska",
            Self::WebM => "WebM",
            Self::Mp4 => "MP4",
        }
    }

    /// The muxer's factory name.
    pub(crate) fn muxer(self) -> &'static str {
        match self {
            Self::Matroska => "matroskamux",
            Self::WebM => "webmmux",
            Self::Mp4 => "mp4mux",
        }
    }

    /// Whether this container holds video of `codec` (the share's encoder names: "vp8",
    /// "vp9", "h264"); if not, the error to give for `path`.
    pub fn check_video(self, codec: &str, path: &Path) -> Result<(), RecordError> {
        let (held, holds, suggest): (&[&str], _, _) = match self {
            Self::Matroska => return Ok(()),
            Self::WebM => (&["vp8", "vp9"], "VP8 or VP9", "vp8"),
            Self::Mp4 => (&["h264"], "H.264", "h264"),
        };
        if held.contains(&codec) {
            return Ok(());
        }
        Err(RecordError::CodecNotHeld {
            path: path.to_owned(),
            format: self.name(),
            holds,
            codec: codec.to_uppercase().replace("H264", "H.264"),
            suggest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_names_the_format_and_what_it_holds() {
        let p = |s: &str| Path::new(s).to_owned();
        assert_eq!(RecordFormat::of(&p("a.WEBM")), Ok(RecordFormat::WebM));
        assert_eq!(RecordFormat::of(&p("a.mkv")), Ok(RecordFormat::Matroska));
        assert_eq!(RecordFormat::of(&p("a.mp4")), Ok(RecordFormat::Mp4));
        let err = RecordFormat::of(&p("talk.avi")).unwrap_err();
        assert!(err.to_string().contains("talk.avi"), "{err}");
        assert!(RecordFormat::WebM.check_video("vp9", &p("a.webm")).is_ok());
        let err = RecordFormat::Mp4
            .check_video("vp8", &p("a.mp4"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot record to a.mp4: MP4 holds H.264 video, and the share sends VP8 \
             (share with --codec h264, or record to .mkv)"
        );
        assert!(RecordFormat::Matroska
            .check_video("h264", &p("a.mkv"))
            .is_ok());
    }
}
