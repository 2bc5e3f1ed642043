//! Subtitles: the tracks a source has, the files next to a video that go with it, and where
//! the overlay is drawn. playbin hands the chosen text stream to our own text sink
//! ([`super::subtitle_proxy`]); the video output has two overlays fed from it, one before the
//! capture tee (the window and the viewers see subtitles) and one on the window's branch
//! only (they stay local). At most one of them draws.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use gst::prelude::*;

use super::error::PlayerError;
use super::output::{make, pipeline_err};
use super::subtitle_proxy::{subtitle_proxy, ProxyError, SubtitleSink};

/// File name endings of the subtitle files that play next to a video.
pub const SUBTITLE_EXTENSIONS: [&str; 4] = ["srt", "vtt", "ass", "ssa"];

/// One subtitle track of the current source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SubtitleTrack {
    /// Its index among the source's subtitle tracks (playbin's `current-text`).
    pub index: usize,
    pub language: Option<String>,
    pub title: Option<String>,
    /// As the container or parser names it ("SubRip", "PGS", "SSA"...).
    pub codec: Option<String>,
    /// The track comes from a separate file (found next to the video, named, or dropped).
    pub file: Option<String>,
}

/// The subtitle tracks of the current source and the one shown, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubtitleState {
    pub tracks: Vec<SubtitleTrack>,
    /// The track shown; `None`: subtitles off (or none to show).
    pub shown: Option<usize>,
}

/// What the person wants for the subtitles of what plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtitlePreferences {
    /// Off: no subtitles, not even a file found next to the video.
    pub enabled: bool,
    /// The language to pick first (ISO 639 code: "en", "fr", "deu"...).
    pub language: Option<String>,
    /// A subtitle file (path or URI) for the next source opened, instead of one found next
    /// to it.
    pub file: Option<String>,
}

impl Default for SubtitlePreferences {
    fn default() -> Self {
        Self {
            enabled: true,
            language: None,
            file: None,
        }
    }
}

/// True when `code` names `wanted` (two- or three-letter codes, any case: "fr" and "fre").
pub fn language_matches(code: &str, wanted: &str) -> bool {
    let (code, wanted) = (code.to_ascii_lowercase(), wanted.to_ascii_lowercase());
    code == wanted || (code.len() >= 2 && wanted.len() >= 2 && code[..2] == wanted[..2])
}

/// The subtitle files next to `video` that belong to it: same base name, a subtitle ending,
/// perhaps a language between (`movie.srt`, `movie.en.srt`). In order of preference: the
/// `language` wanted, then files without a language, then the others by name.
pub fn sidecar_files(video: &Path, language: Option<&str>) -> Vec<PathBuf> {
    let (Some(dir), Some(stem)) = (video.parent(), video.file_stem()) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let stem = stem.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(u8, String, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rank = sidecar_rank(&name, &stem, language)?;
            entry
                .file_type()
                .ok()
                .filter(|t| !t.is_dir())
                .map(|_| (rank, name, entry.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, _, path)| path).collect()
}

/// How well a file called `name` fits as subtitles of a video called `stem`: 0 in the
/// language wanted, 1 without a language, 2 in another; `None`: not its subtitles.
fn sidecar_rank(name: &str, stem: &str, language: Option<&str>) -> Option<u8> {
    let (base, extension) = name.rsplit_once('.')?;
    if !SUBTITLE_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str()) {
        return None;
    }
    if base == stem {
        return Some(1);
    }
    let tag = base.strip_prefix(stem)?.strip_prefix('.')?;
    let is_language = (2..=3).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_alphabetic());
    if !is_language {
        return None;
    }
    match language {
        Some(wanted) if language_matches(tag, wanted) => Some(0),
        _ => Some(2),
    }
}

/// The language a sidecar's name gives (`movie.en.srt`: "en").
pub(crate) fn sidecar_language(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let (_, tag) = stem.rsplit_once('.')?;
    ((2..=3).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| tag.to_owned())
}

/// Checks a subtitle file a person named or dropped: it must exist, be readable and end like
/// a subtitle file. Returns its URI.
pub(crate) fn resolve_subtitle_file(input: &str) -> Result<String, PlayerError> {
    let uri = super::error::resolve_source(input)?;
    let location = super::error::display_location(&uri);
    let extension = Path::new(&location)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !SUBTITLE_EXTENSIONS.contains(&extension.as_str()) {
        return Err(PlayerError::NotSubtitles { location });
    }
    Ok(uri)
}

/// Where the subtitles are drawn: two overlays fed from playbin's text stream, and whether
/// they reach the viewers.
pub(crate) struct SubtitleOverlays {
    /// Before the capture tee: what the window and the viewers see.
    shared: gst::Element,
    /// On the window's branch after the tee: the window only.
    local: gst::Element,
    text_sink: SubtitleSink,
    text_source: [gst::Element; 4],
    to_viewers: AtomicBool,
}

impl SubtitleOverlays {
    pub(crate) fn new() -> Result<Self, PlayerError> {
        let shared = make("subtitleoverlay", "subtitles-shared")?;
        let local = make("subtitleoverlay", "subtitles-local")?;
        let tee = make("tee", "subtitle-tee")?;
        tee.set_property("allow-not-linked", true);
        let queues = [
            make("queue", "subtitle-shared-queue")?,
            make("queue", "subtitle-local-queue")?,
        ];
        let (text_sink, source) = subtitle_proxy().map_err(|e| match e {
            ProxyError::Missing(factory) => PlayerError::MissingElement {
                factory: factory.into(),
            },
            ProxyError::Failed(cause) => PlayerError::Pipeline(cause),
        })?;
        let [q1, q2] = queues;
        let overlays = Self {
            shared,
            local,
            text_sink,
            text_source: [source.upcast(), tee, q1, q2],
            to_viewers: AtomicBool::new(true),
        };
        overlays.apply();
        Ok(overlays)
    }

    /// playbin's `text-sink`.
    pub(crate) fn text_sink(&self) -> &gst::Element {
        self.text_sink.upcast_ref()
    }

    /// The overlay before the capture tee.
    pub(crate) fn shared_overlay(&self) -> &gst::Element {
        &self.shared
    }

    /// The overlay on the window's branch.
    pub(crate) fn local_overlay(&self) -> &gst::Element {
        &self.local
    }

    /// Adds the text stream's way to both overlays into `bin`, which holds them already.
    pub(crate) fn install(&self, bin: &gst::Bin) -> Result<(), PlayerError> {
        let [proxysrc, tee, shared_queue, local_queue] = &self.text_source;
        bin.add_many([proxysrc, tee, shared_queue, local_queue])
            .map_err(pipeline_err)?;
        proxysrc.link(tee).map_err(pipeline_err)?;
        for (queue, overlay) in [(shared_queue, &self.shared), (local_queue, &self.local)] {
            tee.link(queue).map_err(pipeline_err)?;
            queue
                .link_pads(Some("src"), overlay, Some("subtitle_sink"))
                .map_err(pipeline_err)?;
        }
        Ok(())
    }

    /// Whether subtitles are drawn into what the viewers get (as the window shows them) or
    /// on the window only.
    pub(crate) fn set_to_viewers(&self, to_viewers: bool) {
        self.to_viewers.store(to_viewers, Ordering::Release);
        self.apply();
    }

    pub(crate) fn to_viewers(&self) -> bool {
        self.to_viewers.load(Ordering::Acquire)
    }

    fn apply(&self) {
        let to_viewers = self.to_viewers.load(Ordering::Acquire);
        self.shared.set_property("silent", !to_viewers);
        self.local.set_property("silent", to_viewers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecars_follow_the_video_name_and_the_language_wanted() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "movie.mkv",
            "movie.srt",
            "movie.en.srt",
            "movie.fr.vtt",
            "movie.commentary.srt",
            "other.srt",
            "movie.txt",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let video = dir.path().join("movie.mkv");
        let names = |language| -> Vec<String> {
            sidecar_files(&video, language)
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(Some("fre")),
            ["movie.fr.vtt", "movie.srt", "movie.en.srt"]
        );
        assert_eq!(names(None), ["movie.srt", "movie.en.srt", "movie.fr.vtt"]);
        assert_eq!(
            sidecar_language(&dir.path().join("movie.en.srt")).as_deref(),
            Some("en")
        );
    }

    #[test]
    fn languages_match_by_two_or_three_letters() {
        assert!(language_matches("fr", "FRE"));
        assert!(language_matches("eng", "en"));
        assert!(!language_matches("de", "en"));
    }
}
