//! Why a source cannot play, in words a person understands, and how what a person typed
//! becomes a URI.

use std::path::Path;

/// Why the player could not open or play a source. Every variant about a source names the
/// file or URI, so the message can be shown to a person as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlayerError {
    #[error("{location}: no such file")]
    NotFound { location: String },
    #[error("{location}: is a folder, not a media file")]
    IsDirectory { location: String },
    #[error("{location}: cannot be read ({cause})")]
    Unreadable { location: String, cause: String },
    #[error("{location}: not a video or audio file that Reelcast can read")]
    UnknownFormat { location: String },
    #[error("{location}: the file is damaged or incomplete ({cause})")]
    Damaged { location: String, cause: String },
    #[error("{location}: no decoder is installed for this format ({cause})")]
    MissingDecoder { location: String, cause: String },
    #[error("{location}: cannot be played ({cause})")]
    Playback { location: String, cause: String },
    #[error("{uri}: not a valid file path or URI ({cause})")]
    InvalidUri { uri: String, cause: String },
    #[error("{location}: host not found ({host} does not resolve to an address)")]
    HostNotFound { location: String, host: String },
    #[error("{location}: connection refused by {host}:{port} (no server is listening there)")]
    ConnectionRefused {
        location: String,
        host: String,
        port: u16,
    },
    #[error("{location}: the server says {code} {reason}")]
    HttpStatus {
        location: String,
        code: u32,
        reason: String,
    },
    #[error(
        "{location}: the server cannot seek in the file (it ignores HTTP range requests), and \
         this file keeps its index at the end; a copy with the index at the start (\"fast \
         start\") or a server that allows ranges would play"
    )]
    ServerCannotSeek { location: String },
    #[error("{location}: TLS: {cause}")]
    Tls { location: String, cause: String },
    #[error("{location}: could not be fetched over the network ({cause})")]
    Network { location: String, cause: String },
    #[error("{location}: not a subtitle file (Reelcast reads .srt, .vtt, .ass and .ssa)")]
    NotSubtitles { location: String },
    #[error("{location}: the subtitles cannot be shown ({cause})")]
    SubtitlesFailed { location: String, cause: String },
    #[error(
        "{location}: a subtitle track cannot be shown: no GStreamer element installed reads \
         its format ({format})"
    )]
    SubtitleTrackUnreadable { location: String, format: String },
    #[error(
        "subtitles cannot be drawn: the GStreamer element '{factory}' is missing (install {package})"
    )]
    MissingRenderer {
        factory: &'static str,
        package: &'static str,
    },
    #[error("a speed of {speed}x is not possible: choose from 0.5x to 2x")]
    Speed { speed: String },
    #[error("nothing to open")]
    NothingToOpen,
    #[error("no source is open")]
    NoSource,
    #[error("the GStreamer element '{factory}' is missing")]
    MissingElement { factory: String },
    #[error("the media pipeline failed: {0}")]
    Pipeline(String),
}

impl PlayerError {
    /// Turns an error posted on the bus while playing `location` into words a person
    /// understands, keeping GStreamer's own text as the cause.
    ///
    /// `prerolled` tells whether the source had shown any content: a generic streaming failure
    /// before that means the file is not media we can read, after it that the file is damaged.
    pub(crate) fn from_bus(
        location: &str,
        err: &gst::glib::Error,
        debug: Option<&str>,
        prerolled: bool,
    ) -> Self {
        let location = location.to_owned();
        let cause = err.message().to_owned();
        if let Some(e) = err.kind::<gst::ResourceError>() {
            return match e {
                gst::ResourceError::NotFound => Self::NotFound { location },
                gst::ResourceError::OpenRead | gst::ResourceError::Read => {
                    Self::Unreadable { location, cause }
                }
                _ => Self::Playback { location, cause },
            };
        }
        if let Some(e) = err.kind::<gst::StreamError>() {
            return match e {
                gst::StreamError::TypeNotFound => Self::UnknownFormat { location },
                gst::StreamError::CodecNotFound => Self::MissingDecoder { location, cause },
                gst::StreamError::Demux | gst::StreamError::Decode | gst::StreamError::Format => {
                    Self::Damaged { location, cause }
                }
                gst::StreamError::WrongType => Self::UnknownFormat { location },
                gst::StreamError::Failed if !prerolled => Self::UnknownFormat { location },
                gst::StreamError::Failed => Self::Damaged { location, cause },
                _ => Self::Playback { location, cause },
            };
        }
        if let Some(gst::CoreError::MissingPlugin) = err.kind::<gst::CoreError>() {
            return Self::MissingDecoder { location, cause };
        }
        let cause = match debug {
            Some(d) if cause.is_empty() => d.to_owned(),
            _ => cause,
        };
        Self::Playback { location, cause }
    }
}

/// What a person calls the source: the path for local files, else the URI.
pub(crate) fn display_location(uri: &str) -> String {
    if let Ok((path, _)) = gst::glib::filename_from_uri(uri) {
        return path.display().to_string();
    }
    uri.to_owned()
}

/// Resolves what a person typed (a path, relative or not, or a URI) into a URI, and
/// rejects local files that cannot possibly play before the pipeline sees them.
pub(crate) fn resolve_source(input: &str) -> Result<String, PlayerError> {
    let looks_like_uri = input.contains("://") && gst::glib::Uri::peek_scheme(input).is_some();
    if looks_like_uri && !input.starts_with("file:") {
        return Ok(input.to_owned());
    }
    let path = if looks_like_uri {
        gst::glib::filename_from_uri(input)
            .map_err(|e| PlayerError::InvalidUri {
                uri: input.to_owned(),
                cause: e.message().to_owned(),
            })?
            .0
    } else {
        Path::new(input).to_path_buf()
    };
    check_local_file(&path)?;
    let absolute = std::path::absolute(&path).map_err(|e| PlayerError::InvalidUri {
        uri: input.to_owned(),
        cause: e.to_string(),
    })?;
    gst::glib::filename_to_uri(&absolute, None)
        .map(|u| u.to_string())
        .map_err(|e| PlayerError::InvalidUri {
            uri: input.to_owned(),
            cause: e.message().to_owned(),
        })
}

fn check_local_file(path: &Path) -> Result<(), PlayerError> {
    let location = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PlayerError::NotFound {
            location: location.clone(),
        },
        _ => PlayerError::Unreadable {
            location: location.clone(),
            cause: e.to_string(),
        },
    })?;
    if meta.is_dir() {
        return Err(PlayerError::IsDirectory { location });
    }
    std::fs::File::open(path).map_err(|e| PlayerError::Unreadable {
        location,
        cause: e.to_string(),
    })?;
    Ok(())
}
