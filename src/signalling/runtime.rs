//! The tokio runtime every signalling backend runs on, kept apart from GStreamer's threads
//! and the GLib main loop.

use std::sync::OnceLock;

/// The tokio runtime for networking.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("reelcast-net")
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}
