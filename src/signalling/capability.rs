//! [`Capabilities`]: the unguessable secrets of the embedded server (the viewers' link, which
//! "New Link" replaces, and the share's own), and the checks of `Host` and `Origin` that keep
//! other web pages and rebound DNS names out. Pure functions, so the fuzzer can drive them.

use std::net::{IpAddr, SocketAddr};
use std::sync::RwLock;

/// Bytes of OS randomness in each secret: 256 bits, well over the 128 asked for.
const SECRET_BYTES: usize = 32;

/// A fresh secret from the operating system's RNG, as URL-safe text (lowercase hex).
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    // Without an OS RNG no secret can be made; nothing else would be safe to hand out.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares in time that does not depend on where the texts differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Who a presented secret makes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A viewer holding the link of this generation (each "New Link" is a new generation).
    Viewer { generation: u64 },
    /// Reelcast itself, registering its share.
    Producer,
}

/// The secrets of one embedded server.
pub struct Capabilities {
    producer: String,
    viewer: RwLock<(u64, String)>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self::new()
    }
}

impl Capabilities {
    pub fn new() -> Self {
        Self {
            producer: new_secret(),
            viewer: RwLock::new((0, new_secret())),
        }
    }

    pub fn producer_secret(&self) -> &str {
        &self.producer
    }

    /// The viewers' secret now, and its generation.
    pub fn viewer_secret(&self) -> (u64, String) {
        self.viewer.read().unwrap().clone()
    }

    /// Replaces the viewers' secret; returns the new generation.
    pub(crate) fn renew(&self) -> u64 {
        let mut viewer = self.viewer.write().unwrap();
        *viewer = (viewer.0 + 1, new_secret());
        viewer.0
    }

    /// What `secret` opens, if anything.
    pub(crate) fn access(&self, secret: &str) -> Option<Access> {
        if same_secret(secret, &self.producer) {
            return Some(Access::Producer);
        }
        let viewer = self.viewer.read().unwrap();
        same_secret(secret, &viewer.1).then_some(Access::Viewer {
            generation: viewer.0,
        })
    }

    /// Whether `generation` is still the link's.
    pub(crate) fn is_current(&self, access: Access) -> bool {
        match access {
            Access::Producer => true,
            Access::Viewer { generation } => self.viewer.read().unwrap().0 == generation,
        }
    }
}

/// Whether a `Host` header names the address this connection came in on (`served`, the
/// socket's local address): the IP itself, or `localhost` on loopback. Any other name is
/// DNS rebinding (a name of the attacker's that resolves to us) and is refused.
pub fn host_is_served(host: &str, served: SocketAddr) -> bool {
    let Some((name, port)) = split_host(host) else {
        return false;
    };
    if port.unwrap_or(80) != served.port() {
        return false;
    }
    name_is_served(name, served.ip())
}

/// Whether an `Origin` header is the viewer page's own: `http://` plus a name of the served
/// address and the page server's port.
pub fn origin_is_page(origin: &str, served: IpAddr, page_port: u16) -> bool {
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    let Some((name, port)) = split_host(rest) else {
        return false;
    };
    port.unwrap_or(80) == page_port && name_is_served(name, served)
}

fn name_is_served(name: &str, served: IpAddr) -> bool {
    let served = match served {
        // An IPv4 client on an IPv6 socket shows up as ::ffff:a.b.c.d.
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(served, IpAddr::V4),
        v4 => v4,
    };
    if name.eq_ignore_ascii_case("localhost") {
        return served.is_loopback();
    }
    let literal = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    literal.parse::<IpAddr>().is_ok_and(|ip| ip == served)
}

/// `name[:port]` or `[v6][:port]`; `None` for anything else (paths, user info, spaces).
fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    if host.is_empty() || host.contains(['/', '@', ' ', '?', '#']) {
        return None;
    }
    let (name, port) = if let Some(end) = host.find(']') {
        let (name, rest) = host.split_at(end + 1);
        match rest {
            "" => (name, None),
            _ => (name, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((name, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_fresh_and_checked_whole() {
        let keys = Capabilities::new();
        let (generation, viewer) = keys.viewer_secret();
        assert_eq!(viewer.len(), 64);
        assert_ne!(viewer, keys.producer_secret());
        assert_eq!(keys.access(&viewer), Some(Access::Viewer { generation }));
        assert_eq!(keys.access(&viewer[..63]), None);
        assert_eq!(keys.access(""), None);
        let renewed = keys.renew();
        assert_eq!(keys.access(&viewer), None, "the old link opens nothing");
        assert!(!keys.is_current(Access::Viewer { generation }));
        assert!(keys.is_current(Access::Viewer {
            generation: renewed
        }));
    }

    #[test]
    fn host_must_be_the_served_address() {
        let served: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(host_is_served("127.0.0.1:8080", served));
        assert!(host_is_served("localhost:8080", served));
        assert!(!host_is_served("evil.example:8080", served));
        assert!(!host_is_served("127.0.0.1:8081", served));
        assert!(!host_is_served("127.0.0.1", served));
        let lan: SocketAddr = "10.99.0.1:80".parse().unwrap();
        assert!(host_is_served("10.99.0.1", lan));
        assert!(!host_is_served("localhost", lan));
        let v6: SocketAddr = "[::1]:8080".parse().unwrap();
        assert!(host_is_served("[::1]:8080", v6));
        assert!(!host_is_served("[::1]x:8080", v6));
    }

    #[test]
    fn origin_must_be_the_page() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(origin_is_page("http://127.0.0.1:8080", ip, 8080));
        assert!(origin_is_page("http://localhost:8080", ip, 8080));
        assert!(!origin_is_page("https://evil.example", ip, 8080));
        assert!(!origin_is_page("http://127.0.0.1:9999", ip, 8080));
        assert!(!origin_is_page("null", ip, 8080));
    }
}
