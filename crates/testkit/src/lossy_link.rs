//! A link to a child network namespace that delays packets and loses media packets, as a far
//! or weak network does: this kernel has no netem, and a tbf queue ([`crate::ShapedLink`]) only
//! loses what overflows it. Two TUN devices, one here and one moved into the child, and this
//! process between them: it copies every IP packet across, each after a one-way delay with
//! jitter (both ways), except that SRTP packets towards the child are lost at random or in
//! bursts (RTCP, STUN, DTLS and TCP always pass, so the call is set up as on any link). What
//! happens to each packet is decided by [`crate::link_model`], without I/O; here the forwarders
//! wait on their device with a timeout up to the next packet due. Only ever made inside
//! scripts/private-net.sh's namespace.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::link_model::{wait_for, DelayLine, LinkConfig, LinkModel};
use crate::shaped_link::{child_namespace, command_in, run, ShapedLinkError, DEVICE_PREFIX};

/// The next link number tried in this process (10.97.N.0/30, devices rcsh1N0 and rcsh1N1).
static NEXT: AtomicU8 = AtomicU8::new(0);

/// How long a forwarder waits on its device before it looks at the stop flag again.
const IDLE: Duration = Duration::from_millis(100);
/// Packets held back in one direction at most (over 10 s of a 10 Mbit/s flow at 150 ms).
const HELD_AT_MOST: usize = 20_000;

/// What went towards the child.
#[derive(Debug, Default)]
struct Counters {
    /// SRTP packets that came to the link, lost, and bytes (IP) delivered.
    media: AtomicU64,
    dropped: AtomicU64,
    media_bytes: AtomicU64,
    /// Packets dropped because too many were held back.
    overflow: AtomicU64,
}

/// A lossy point-to-point link to a child namespace; dropping it tears it down.
pub struct LossyLink {
    /// `unshare -n` then `sleep infinity`: its process holds the child namespace.
    holder: Child,
    number: u8,
    stop: Arc<AtomicBool>,
    forwarders: Vec<JoinHandle<()>>,
    counters: Arc<Counters>,
    config: LinkConfig,
}

impl LossyLink {
    /// Makes the child namespace and the link, which drops `loss_percent` of the SRTP packets
    /// towards the child at random, with no delay.
    pub fn create(loss_percent: u32) -> Result<Self, ShapedLinkError> {
        Self::with_config(LinkConfig::new().random_loss(f64::from(loss_percent.min(100))))
    }

    /// Makes the child namespace and a link that does what `config` says: e.g.
    /// `LinkConfig::new().delay(75 ms).jitter(5 ms).random_loss(2.0)` for a round trip of
    /// 150 ms losing 2 % of the media towards the child.
    pub fn with_config(config: LinkConfig) -> Result<Self, ShapedLinkError> {
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
            counters: Arc::default(),
            config,
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
        let (near_w, far_w) = (clone(&near)?, clone(&far)?);
        let (stop, counters) = (link.stop.clone(), link.counters.clone());
        let towards = LinkModel::new(config, true);
        link.forwarders.push(std::thread::spawn(move || {
            forward(near, far_w, &stop, towards, Some(&counters))
        }));
        let stop = link.stop.clone();
        let back = LinkModel::new(config, false);
        link.forwarders.push(std::thread::spawn(move || {
            forward(far, near_w, &stop, back, None)
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

    /// What the link does.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Packets towards the child lost so far (SRTP only, unless the config loses all).
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// SRTP packets that came to the link towards the child so far (dropped or not).
    pub fn media_packets(&self) -> u64 {
        self.counters.media.load(Ordering::Relaxed)
    }

    /// Bytes of SRTP (whole IP packets, audio and retransmissions included) delivered to the
    /// child so far.
    pub fn media_bytes_delivered(&self) -> u64 {
        self.counters.media_bytes.load(Ordering::Relaxed)
    }

    /// Packets dropped because the link held too many back (none unless a flow is huge).
    pub fn overflowed(&self) -> u64 {
        self.counters.overflow.load(Ordering::Relaxed)
    }

    /// `program` to be run inside the child namespace (through nsenter).
    pub fn command(&self, program: &str) -> Command {
        command_in(&self.holder, program)
    }

    /// Runs `f` on a thread inside the child namespace (setns, as nsenter does), e.g. to open
    /// a socket there: sockets stay in the namespace they were made in.
    pub fn in_child<R: Send>(&self, f: impl FnOnce() -> R + Send) -> std::io::Result<R> {
        let namespace = File::open(format!("/proc/{}/ns/net", self.holder.id()))?;
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    // SAFETY: setns on a namespace file descriptor, for this thread only.
                    let entered = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
                    if entered != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(f())
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
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

/// Copies packets from `from` to `to` as `model` says (each after its delay, or lost), until
/// `stop`. It waits on `from` until a packet comes or the next one held is due, so a packet
/// leaves on time (within the timer's slack) without a busy loop.
fn forward(
    mut from: File,
    mut to: File,
    stop: &AtomicBool,
    mut model: LinkModel,
    counters: Option<&Counters>,
) {
    let mut buffer = vec![0u8; 65536];
    let mut line: DelayLine<Vec<u8>> = DelayLine::new(HELD_AT_MOST);
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        while let Some(packet) = line.pop_due(now) {
            let _ = to.write(&packet);
        }
        let wait = wait_for(line.next_due(), now, IDLE);
        let mut poll = libc::pollfd {
            fd: from.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let timeout = libc::timespec {
            tv_sec: wait.as_secs() as libc::time_t,
            tv_nsec: libc::c_long::from(wait.subsec_nanos() as i32),
        };
        // SAFETY: one valid pollfd for the length given, a valid timespec, no signal mask.
        let ready = unsafe { libc::ppoll(&mut poll, 1, &timeout, std::ptr::null()) };
        if ready <= 0 || poll.revents & libc::POLLIN == 0 {
            continue;
        }
        let Ok(n) = from.read(&mut buffer) else {
            return;
        };
        let packet = &buffer[..n];
        let media = is_srtp(packet);
        if let (Some(c), true) = (counters, media) {
            c.media.fetch_add(1, Ordering::Relaxed);
        }
        let arrived = Instant::now();
        let Some(due) = model.admit(arrived, media) else {
            if let Some(c) = counters {
                c.dropped.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        };
        if let (Some(c), true) = (counters, media) {
            c.media_bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        if line.is_empty() && due <= arrived {
            // No delay: straight through.
            let _ = to.write(packet);
        } else if !line.push(due, packet.to_vec()) {
            if let Some(c) = counters {
                c.overflow.fetch_add(1, Ordering::Relaxed);
            }
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
