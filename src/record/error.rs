//! What can stop a recording, each naming the file.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("cannot record to {path}: the name must end in .webm, .mkv or .mp4")]
    UnknownFormat { path: PathBuf },
    #[error("cannot record to {path}: {format} holds {holds} video, and the share sends {codec} (share with --codec {suggest}, or record to .mkv)")]
    CodecNotHeld {
        path: PathBuf,
        format: &'static str,
        holds: &'static str,
        codec: String,
        suggest: &'static str,
    },
    #[error("cannot record to {path}: it already exists, and a recording never overwrites a file")]
    Exists { path: PathBuf },
    #[error("cannot record to {path}: {cause}")]
    Open { path: PathBuf, cause: String },
    #[error("cannot record to {path}: {element} is missing (install {package})")]
    MissingElement {
        path: PathBuf,
        element: String,
        package: &'static str,
    },
    #[error("the recording to {path} failed: {cause}")]
    Write { path: PathBuf, cause: String },
    #[error("already recording to {path}")]
    AlreadyRecording { path: PathBuf },
}
