//! SIGINT, SIGTERM and SIGHUP for the front-ends without a window: the first asks the run to
//! end the way Stop does (viewers and servers told), as a message on a channel; a second
//! SIGINT (Ctrl+C again) ends the process at once with 130, as shells expect.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// A signal that asked the run to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Interrupt,
    Terminate,
    HangUp,
}

impl StopSignal {
    fn from_raw(signal: i32) -> Option<Self> {
        match signal {
            SIGINT => Some(Self::Interrupt),
            SIGTERM => Some(Self::Terminate),
            SIGHUP => Some(Self::HangUp),
            _ => None,
        }
    }

    /// The `reason` of the JSON event that ends a run it stopped.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Interrupt => "interrupted",
            Self::Terminate => "terminated",
            Self::HangUp => "hung-up",
        }
    }

    /// What a person calls it, for the line that says the run is stopping.
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "Ctrl+C",
            Self::Terminate => "SIGTERM",
            Self::HangUp => "SIGHUP",
        }
    }
}

/// Takes SIGINT, SIGTERM and SIGHUP over from the default (which kills at once) for as long as
/// the process runs. The first one comes on the returned channel; after it, another signal
/// exits with 128 + its number (130 for Ctrl+C, as shells report it),
/// without waiting for the stop under way. Where the handlers cannot be set, that is said
/// and the channel never hears anything (the signals keep their default).
pub fn watch() -> flume::Receiver<StopSignal> {
    let (tx, rx) = flume::bounded(1);
    let watching =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]).and_then(|mut signals| {
            let tx = tx.clone();
            std::thread::Builder::new()
                .name("stop-signals".into())
                .spawn(move || {
                    let mut asked = false;
                    for raw in signals.forever() {
                        let Some(signal) = StopSignal::from_raw(raw) else {
                            continue;
                        };
                        if asked {
                            // The person insists: nothing more is waited for, not even the
                            // destructors and exit handlers a stuck stop may be inside of.
                            // SAFETY: _exit ends the process at once; it is always safe.
                            unsafe { libc::_exit(128 + raw) };
                        }
                        asked = true;
                        let _ = tx.try_send(signal);
                    }
                })
        });
    if let Err(e) = watching {
        tracing::warn!("signals will end the run at once, without a clean stop: {e}");
        // Held for the process's life, so the channel stays open and silent.
        static NEVER: std::sync::OnceLock<flume::Sender<StopSignal>> = std::sync::OnceLock::new();
        let _ = NEVER.set(tx);
    }
    rx
}
