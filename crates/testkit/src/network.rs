//! Where WebRTC tests may run: the guard for the private network namespace.

/// True inside a network namespace that has only loopback and the `rc0` test device (see
/// scripts/private-net.sh): WebRTC traffic cannot leave it.
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
