//! Subtitles: the tracks a source has, what the person wants of them, and the files next to
//! a video that go with it. Where they are drawn: [`super::subtitle_overlays`].

use std::path::{Path, PathBuf};

use super::error::PlayerError;

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
