//! A piece of the sending pipeline that could not be built.

/// A piece of the sending pipeline could not be built or started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the GStreamer element '{0}' is missing")]
    MissingElement(String),
    #[error("cannot link {what}: {cause}")]
    Link { what: String, cause: String },
    #[error("{0}")]
    Gst(String),
}

impl BuildError {
    pub(crate) fn gst(error: impl std::fmt::Display) -> Self {
        Self::Gst(error.to_string())
    }
}
