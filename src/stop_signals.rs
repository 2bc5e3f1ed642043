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

/// The exit code of a run that a second Ctrl+C ended at once (128 + SIGINT).
pub const INTERRUPTED_AGAIN: i32 = 130;

/// Takes SIGINT, SIGTERM and SIGHUP over from the default (which kills at once) for as long as
/// the process runs. The first one comes on the returned channel; after it, another SIGINT
/// exits with [`INTERRUPTED_AGAIN`] and another SIGTERM or SIGHUP with 128 + its number,
/// without waiting for the stop under way.
pub fn watch() -> std::io::Result<flume::Receiver<StopSignal>> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    let (tx, rx) = flume::bounded(1);
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
                    // SAFETY: _exit is async-signal-safe and ends the process at once.
                    unsafe { libc::_exit(128 + raw) };
                }
                asked = true;
                let _ = tx.try_send(signal);
            }
        })?;
    Ok(rx)
}
