//! What a person reads on the terminal of `play --headless` and `share --headless`.

mod output;
mod shown;
mod viewer_names;

pub use output::{bitrate, Mode, Status, Terminal};
pub use shown::Shown;
pub use viewer_names::ViewerNames;
