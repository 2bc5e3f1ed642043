//! Benchmarks that print numbers (`reelcast bench ...`), and the receiver they measure against.

mod churn;
mod fanout;
mod harness;
mod receiver;
mod receivers;

pub use churn::{churn, run_churn, ChurnReport, Footprint};
pub use fanout::{run_fanout, FanoutOptions};
pub use receiver::{Receiver, VideoHandling};
pub use receivers::serve_receivers;

/// True inside a network namespace that has only loopback and the `rc0` test device (see
/// scripts/test.sh): WebRTC traffic cannot leave it.
pub fn in_private_network() -> bool {
    // /proc/self/net follows this process's network namespace (/sys/class/net does not).
    let Ok(dev) = std::fs::read_to_string("/proc/self/net/dev") else {
        return false;
    };
    dev.lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .all(|i| i == "lo" || i == "rc0")
}

/// CPU seconds (user + system) used so far by this process, and by its waited-for children.
pub(crate) fn cpu_seconds() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<f64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    // utime, stime, cutime, cstime are fields 14-17 of the line: 11-14 after the state.
    let tick = 100.0; // USER_HZ, fixed at 100 for /proc on Linux
    let get = |i: usize| fields.get(i).copied().unwrap_or(0.0) / tick;
    (get(10) + get(11), get(12) + get(13))
}
