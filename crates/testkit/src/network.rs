//! Where WebRTC tests may run: the guard for the private network namespace.

use crate::shaped_link::DEVICE_PREFIX;

/// True inside a network namespace that has only loopback, the `rc0` test device (see
/// scripts/private-net.sh) and the near ends of [`crate::ShapedLink`]s, whose far ends are in
/// namespaces the run made: WebRTC traffic cannot leave it.
pub fn in_private_network() -> bool {
    // /proc/self/net follows this process's network namespace (/sys/class/net does not).
    let Ok(dev) = std::fs::read_to_string("/proc/self/net/dev") else {
        return false;
    };
    dev.lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .all(|i| {
            i == "lo"
                || i == "rc0"
                || i.strip_prefix(DEVICE_PREFIX)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}
