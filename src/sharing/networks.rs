//! The networks this computer is on, as a person knows them (Wi-Fi, wired, virtual), each with
//! the address a link on it names: what the window offers under "Who Can Watch".

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// What kind of network an interface is, read from sysfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NetworkKind {
    Wireless,
    Wired,
    /// A bridge, VPN, container or test link: no device of its own.
    Virtual,
}

/// One address of one interface that people elsewhere can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalNetwork {
    /// The interface's name (`wlan0`, `enp3s0`): what the preferences keep, as addresses change.
    pub interface: String,
    pub kind: NetworkKind,
    pub address: IpAddr,
}

/// The networks this computer is on now: interfaces that are up, not loopback, with an
/// address others can reach (IPv4, or IPv6 that is not link-local). Wireless first, then
/// wired, then virtual; IPv4 before IPv6.
pub fn local_networks() -> Vec<LocalNetwork> {
    let mut found: Vec<LocalNetwork> = interface_addresses()
        .into_iter()
        .filter(|(_, address)| reachable(address))
        .map(|(interface, address)| LocalNetwork {
            kind: kind_of(Path::new("/sys/class/net"), &interface),
            interface,
            address,
        })
        .collect();
    found.sort_by(|a, b| {
        (a.kind, &a.interface, a.address.is_ipv6()).cmp(&(
            b.kind,
            &b.interface,
            b.address.is_ipv6(),
        ))
    });
    found.dedup();
    found
}

/// Whether a link naming `address` can be opened from another computer.
fn reachable(address: &IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_unspecified() && !v4.is_link_local(),
        // A link-local IPv6 address needs the interface's scope in the URL: no browser takes it.
        IpAddr::V6(v6) => {
            !v6.is_loopback() && !v6.is_unspecified() && (v6.segments()[0] & 0xffc0) != 0xfe80
        }
    }
}

/// The kind of `interface` from its sysfs folder under `sys_class_net`: a `wireless` (or
/// `phy80211`) entry for Wi-Fi, a `device` link for hardware, nothing for a virtual one.
fn kind_of(sys_class_net: &Path, interface: &str) -> NetworkKind {
    let dir = sys_class_net.join(interface);
    if dir.join("wireless").exists() || dir.join("phy80211").exists() {
        NetworkKind::Wireless
    } else if dir.join("device").exists() {
        NetworkKind::Wired
    } else {
        NetworkKind::Virtual
    }
}

/// Every address of every interface that is up and not loopback, from getifaddrs(3).
fn interface_addresses() -> Vec<(String, IpAddr)> {
    let mut list = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we own until freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        tracing::debug!(
            "cannot list the network interfaces: {}",
            std::io::Error::last_os_error()
        );
        return list;
    }
    let mut at = head;
    while !at.is_null() {
        // SAFETY: `at` is a node of the list getifaddrs made, alive until freeifaddrs.
        let entry = unsafe { &*at };
        at = entry.ifa_next;
        let flags = entry.ifa_flags as libc::c_int;
        if flags & libc::IFF_UP == 0 || flags & libc::IFF_LOOPBACK != 0 {
            continue;
        }
        if entry.ifa_addr.is_null() || entry.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_addr points to a sockaddr of the family it names.
        let address = unsafe {
            match (*entry.ifa_addr).sa_family as libc::c_int {
                libc::AF_INET => {
                    let v4 = &*(entry.ifa_addr as *const libc::sockaddr_in);
                    IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr)))
                }
                libc::AF_INET6 => {
                    let v6 = &*(entry.ifa_addr as *const libc::sockaddr_in6);
                    IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr))
                }
                _ => continue,
            }
        };
        // SAFETY: ifa_name is a NUL-terminated string of the list.
        let name = unsafe { CStr::from_ptr(entry.ifa_name) };
        list.push((name.to_string_lossy().into_owned(), address));
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_unspecified_and_link_local_addresses_are_not_offered() {
        for address in [
            "127.0.0.1",
            "0.0.0.0",
            "169.254.3.4",
            "::1",
            "::",
            "fe80::1",
        ] {
            assert!(!reachable(&address.parse().unwrap()), "{address}");
        }
        for address in ["192.168.1.20", "10.98.0.1", "2001:db8::5", "fd00::1"] {
            assert!(reachable(&address.parse().unwrap()), "{address}");
        }
    }

    #[test]
    fn the_kind_comes_from_sysfs() {
        let sys = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(sys.path().join("wlan0/wireless")).unwrap();
        std::fs::create_dir_all(sys.path().join("enp3s0/device")).unwrap();
        std::fs::create_dir_all(sys.path().join("veth0")).unwrap();
        assert_eq!(kind_of(sys.path(), "wlan0"), NetworkKind::Wireless);
        assert_eq!(kind_of(sys.path(), "enp3s0"), NetworkKind::Wired);
        assert_eq!(kind_of(sys.path(), "veth0"), NetworkKind::Virtual);
        assert_eq!(kind_of(sys.path(), "gone0"), NetworkKind::Virtual);
    }

    #[test]
    fn the_list_has_no_loopback() {
        assert!(local_networks()
            .iter()
            .all(|n| n.interface != "lo" && !n.address.is_loopback()));
    }
}
