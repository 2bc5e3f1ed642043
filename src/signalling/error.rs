//! The signalling layer's errors: those a caller sees when starting a signaller, and those
//! of reading a frame from the far side. URLs in them are [`ShownUrl`]s: never a secret.

use super::secret::ShownUrl;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignallingError {
    #[error("{url}: not a signalling URL ({cause})")]
    BadUrl { url: ShownUrl, cause: String },
    #[error("{url}: {what} would be sent in clear text: {cause}")]
    InsecureSecret {
        url: ShownUrl,
        what: String,
        cause: String,
    },
    #[error("{path}: cannot use as a CA file ({cause})")]
    BadCaFile { path: String, cause: String },
    #[error("cannot start the embedded server on {address}: {cause}")]
    Bind { address: String, cause: String },
}

/// A frame from the far side that is not a message of its protocol: logged and dropped.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(#[from] serde_json::Error);
