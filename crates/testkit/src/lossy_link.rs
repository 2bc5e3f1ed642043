//! A link to a child network namespace that loses media packets at random, as a weak Wi-Fi
//! does: this kernel has no netem, and a tbf queue ([`crate::ShapedLink`]) only loses what
//! overflows it. Two TUN devices, one here and one moved into the child, and this process
//! between them: it copies every IP packet across, except that each SRTP packet towards the
//! child is dropped with the given probability (RTCP, STUN, DTLS and TCP always pass, so the
//! call is set up as on any link). Only ever made inside scripts/private-net.sh's namespace.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::shaped_link::{child_namespace, command_in, run, ShapedLinkError, DEVICE_PREFIX};

/// The next link number tried in this process (10.97.N.0/30, devices rcsh1N0 and rcsh1N1).
static NEXT: AtomicU8 = AtomicU8::new(0);

/// How long a forwarder waits on its device before it looks at the stop flag again.
const POLL_MS: i32 = 100;

/// A lossy point-to-point link to a child namespace; dropping it tears it down.
pub struct LossyLink {
    /// `unshare -n` then `sleep infinity`: its process holds the child namespace.
    holder: Child,
    number: u8,
    stop: Arc<AtomicBool>,
    forwarders: Vec<JoinHandle<()>>,
    dropped: Arc<AtomicU64>,
}

impl LossyLink {
    /// Makes the child namespace and the link, which drops `loss_percent` of the SRTP packets
    /// towards the child.
    pub fn create(loss_percent: u32) -> Result<Self, ShapedLinkError> {
        if !crate::in_private_network() {
            return Err(ShapedLinkError::NotPrivate);
        }
        let holder = child_namespace()?;
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut link = LossyLink {
            holder,
            number,
            stop: Arc::new(AtomicBool::new(false)),
            forwarders: Vec::new(),
            dropped: Arc::new(AtomicU64::new(0)),
        };
        let (near_dev, far_dev) = link.devices();
        let near = open_tun(&near_dev)?;
        let far = open_tun(&far_dev)?;
        let pid = link.holder.id().to_string();
        run("ip", &["link", "set", &far_dev, "netns", &pid])?;
        let (near_ip, far_ip) = (link.near_address(), link.far_address());
        run(
            "ip",
            &[
                "addr",
                "add",
                &near_ip.to_string(),
                "peer",
                &far_ip.to_string(),
                "dev",
                &near_dev,
            ],
        )?;
        run("ip", &["link", "set", &near_dev, "up"])?;
        link.run_inside(&["link", "set", "lo", "up"])?;
        link.run_inside(&[
            "addr",
            "add",
            &far_ip.to_string(),
            "peer",
            &near_ip.to_string(),
            "dev",
            &far_dev,
        ])?;
        link.run_inside(&["link", "set", &far_dev, "up"])?;
        link.run_inside(&["route", "add", "default", "dev", &far_dev])?;
        let threshold = (u64::from(loss_percent.min(100)) * u64::from(u32::MAX) / 100) as u32;
        let (near_w, far_w) = (clone(&near)?, clone(&far)?);
        let (stop, dropped) = (link.stop.clone(), link.dropped.clone());
        link.forwarders.push(std::thread::spawn(move || {
            // A fixed seed: every run loses the same share the same way.
            let mut seed = 0x9e37_79b9_u32 ^ u32::from(number);
            forward(near, far_w, &stop, |packet| {
                if !is_srtp(packet) {
                    return true;
                }
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let keep = seed >= threshold;
                if !keep {
                    dropped.fetch_add(1, Ordering::Relaxed);
                }
                keep
            })
        }));
        let stop = link.stop.clone();
        link.forwarders.push(std::thread::spawn(move || {
            forward(far, near_w, &stop, |_| true)
        }));
        Ok(link)
    }

    /// This end's address: servers that the child's programs must reach listen on it.
    pub fn near_address(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 97, self.number, 1)
    }

    /// The child's address.
    pub fn far_address(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 97, self.number, 2)
    }

    /// SRTP packets dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// `program` to be run inside the child namespace (through nsenter).
    pub fn command(&self, program: &str) -> Command {
        command_in(&self.holder, program)
    }

    /// The near device's name, then the far one's: names the private-network guard accepts.
    fn devices(&self) -> (String, String) {
        let base = 100 + 2 * u32::from(self.number);
        (
            format!("{DEVICE_PREFIX}{base}"),
            format!("{DEVICE_PREFIX}{}", base + 1),
        )
    }

    fn run_inside(&self, args: &[&str]) -> Result<(), ShapedLinkError> {
        let pid = self.holder.id().to_string();
        let mut all = vec!["-t", &pid, "-n", "--", "ip"];
        all.extend_from_slice(args);
        run("nsenter", &all)
    }
}

impl Drop for LossyLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for forwarder in self.forwarders.drain(..) {
            let _ = forwarder.join();
        }
        // The devices go with their last file descriptor, the namespace with its process.
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// Whether an IPv4 packet carries SRTP: UDP whose payload's first byte is RTP's (RFC 7983)
/// and whose payload type is not RTCP's (RFC 5761).
fn is_srtp(packet: &[u8]) -> bool {
    if packet.len() < 20 || packet[0] >> 4 != 4 || packet[9] != 17 {
        return false;
    }
    let header = usize::from(packet[0] & 0x0f) * 4;
    let Some(payload) = packet.get(header + 8..) else {
        return false;
    };
    matches!(payload, [first, second, ..] if (128..=191).contains(first) && !(192..=223).contains(second))
}

/// Copies packets from `from` to `to` while `keep` says so, until `stop`.
fn forward(mut from: File, mut to: File, stop: &AtomicBool, mut keep: impl FnMut(&[u8]) -> bool) {
    let mut buffer = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) {
        let mut poll = libc::pollfd {
            fd: from.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the length given.
        let ready = unsafe { libc::poll(&mut poll, 1, POLL_MS) };
        if ready <= 0 {
            continue;
        }
        let Ok(n) = from.read(&mut buffer) else {
            return;
        };
        if keep(&buffer[..n]) {
            let _ = to.write(&buffer[..n]);
        }
    }
}

fn clone(file: &File) -> Result<File, ShapedLinkError> {
    file.try_clone().map_err(|source| ShapedLinkError::Spawn {
        command: "dup of a TUN device".into(),
        source,
    })
}

/// Opens a new TUN device (raw IP packets, no packet information header) named `name`.
fn open_tun(name: &str) -> Result<File, ShapedLinkError> {
    let error = |source| ShapedLinkError::Spawn {
        command: format!("TUN device {name}"),
        source,
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
        .map_err(error)?;
    // struct ifreq: the name, then the flags (a short) in the union.
    let mut request = [0u8; 40];
    request[..name.len()].copy_from_slice(name.as_bytes());
    let flags = (libc::IFF_TUN | libc::IFF_NO_PI) as i16;
    request[16..18].copy_from_slice(&flags.to_ne_bytes());
    // SAFETY: TUNSETIFF reads and writes an ifreq, which `request` is large enough to hold.
    let done = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, request.as_mut_ptr()) };
    if done < 0 {
        return Err(error(std::io::Error::last_os_error()));
    }
    Ok(file)
}
