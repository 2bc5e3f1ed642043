//! A slow link to a child network namespace (peers.md §6): a veth pair whose far end lives in a
//! namespace of its own, with a `tc tbf` queue on the near end that can be changed mid-run,
//! lifted and torn down. Only ever made inside the private network namespace of
//! scripts/private-net.sh, so `tc` never touches an interface the run did not make.

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// Names of the near ends (in this namespace) start with this; [`crate::in_private_network`]
/// accepts them, as their far end is in a namespace the run made.
pub const DEVICE_PREFIX: &str = "rcsh";

/// The queue of the recipe: a 16 kbit bucket and 200 ms of queue, then tail drop.
const BURST: &str = "16kbit";
const LATENCY: &str = "200ms";

/// The next link number tried in this process (10.98.N.0/24, device rcshN).
static NEXT: AtomicU8 = AtomicU8::new(0);

#[derive(Debug, thiserror::Error)]
pub enum ShapedLinkError {
    #[error(
        "a shaped link is made only inside a private network namespace (scripts/private-net.sh)"
    )]
    NotPrivate,
    #[error("cannot run {command}: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{command} failed: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("the child namespace did not appear within {0:?}")]
    NoNamespace(Duration),
    #[error("no free link number left (10.98.0-63.0/24 all taken)")]
    Exhausted,
}

/// A veth pair to a child namespace, shaped (or not) on the near end. Dropping it tears both
/// down.
pub struct ShapedLink {
    /// `unshare -n` then `sleep infinity`: its process holds the child namespace.
    holder: Child,
    device: String,
    number: u8,
    rate_kbit: Option<u32>,
}

impl ShapedLink {
    /// Makes the child namespace and the veth pair, addresses on both ends (the child's default
    /// route goes through the link), and the queue at `rate_kbit` (None: unshaped).
    pub fn create(rate_kbit: Option<u32>) -> Result<Self, ShapedLinkError> {
        if !crate::in_private_network() {
            return Err(ShapedLinkError::NotPrivate);
        }
        let mut holder = child_namespace()?;
        let pid = holder.id().to_string();
        // Another process in this namespace may hold a number: try the next one.
        let number = loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            if n >= 64 {
                let _ = holder.kill();
                let _ = holder.wait();
                return Err(ShapedLinkError::Exhausted);
            }
            let device = format!("{DEVICE_PREFIX}{n}");
            let added = run(
                "ip",
                &[
                    "link", "add", &device, "type", "veth", "peer", "name", "vc0", "netns", &pid,
                ],
            );
            match added {
                Ok(()) => break n,
                Err(ShapedLinkError::Failed { stderr, .. }) if stderr.contains("exists") => {}
                Err(e) => {
                    let _ = holder.kill();
                    let _ = holder.wait();
                    return Err(e);
                }
            }
        };
        let mut link = ShapedLink {
            holder,
            device: format!("{DEVICE_PREFIX}{number}"),
            number,
            rate_kbit: None,
        };
        let near = format!("{}/24", link.near_address());
        let far = format!("{}/24", link.far_address());
        let gateway = link.near_address().to_string();
        run("ip", &["addr", "add", &near, "dev", &link.device])?;
        run("ip", &["link", "set", &link.device, "up"])?;
        link.run_inside("ip", &["link", "set", "lo", "up"])?;
        link.run_inside("ip", &["addr", "add", &far, "dev", "vc0"])?;
        link.run_inside("ip", &["link", "set", "vc0", "up"])?;
        link.run_inside("ip", &["route", "add", "default", "via", &gateway])?;
        if let Some(rate) = rate_kbit {
            link.set_rate(rate)?;
        }
        Ok(link)
    }

    /// This end's address: servers that the child's programs must reach listen on it.
    pub fn near_address(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 98, self.number, 1)
    }

    /// The child's address.
    pub fn far_address(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 98, self.number, 2)
    }

    /// The near end's device, where the queue is.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The rate towards the child now, None when unshaped.
    pub fn rate_kbit(&self) -> Option<u32> {
        self.rate_kbit
    }

    /// Shapes what the child receives to `kbit` kbit/s (adds the queue, or changes it mid-run).
    pub fn set_rate(&mut self, kbit: u32) -> Result<(), ShapedLinkError> {
        let rate = format!("{kbit}kbit");
        run(
            "tc",
            &[
                "qdisc",
                "replace",
                "dev",
                &self.device,
                "root",
                "tbf",
                "rate",
                &rate,
                "burst",
                BURST,
                "latency",
                LATENCY,
            ],
        )?;
        self.rate_kbit = Some(kbit);
        Ok(())
    }

    /// Removes the queue: the link runs at the speed of a veth again.
    pub fn lift(&mut self) -> Result<(), ShapedLinkError> {
        if self.rate_kbit.is_none() {
            return Ok(());
        }
        run("tc", &["qdisc", "del", "dev", &self.device, "root"])?;
        self.rate_kbit = None;
        Ok(())
    }

    /// `program` to be run inside the child namespace (through nsenter).
    pub fn command(&self, program: &str) -> Command {
        command_in(&self.holder, program)
    }

    /// The queue's statistics as `tc -s qdisc show` gives them (sent, dropped, backlog).
    /// Bytes the near end has sent towards the child so far (every packet, of any kind).
    /// From `/proc/net/dev`, which shows this namespace's devices (`/sys` shows the one it
    /// was mounted in).
    pub fn sent_bytes(&self) -> Option<u64> {
        let table = std::fs::read_to_string("/proc/net/dev").ok()?;
        let line = table
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(&format!("{}:", self.device)))?;
        // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit.
        line.split_whitespace().nth(8)?.parse().ok()
    }

    pub fn queue_stats(&self) -> Result<String, ShapedLinkError> {
        output("tc", &["-s", "qdisc", "show", "dev", &self.device])
    }

    fn run_inside(&self, program: &str, args: &[&str]) -> Result<(), ShapedLinkError> {
        let mut command = self.command(program);
        command.args(args);
        finish(command, program, args).map(drop)
    }
}

impl Drop for ShapedLink {
    fn drop(&mut self) {
        // Deleting one end deletes the pair; the namespace goes with its last process.
        let _ = run("ip", &["link", "del", &self.device]);
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// A new child network namespace, held by the process returned (`unshare -n`, then `sleep`):
/// the namespace goes when it is killed.
pub(crate) fn child_namespace() -> Result<Child, ShapedLinkError> {
    // It says so once it is in its namespace, then becomes `sleep` (same pid).
    let mut holder = Command::new("unshare")
        .args(["-n", "--", "sh", "-c", "echo ready && exec sleep infinity"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|source| ShapedLinkError::Spawn {
            command: "unshare -n".into(),
            source,
        })?;
    if let Err(e) = wait_for_namespace(&mut holder) {
        let _ = holder.kill();
        let _ = holder.wait();
        return Err(e);
    }
    Ok(holder)
}

/// `program` to be run inside the namespace `holder` holds (through nsenter).
pub(crate) fn command_in(holder: &Child, program: &str) -> Command {
    let mut command = Command::new("nsenter");
    command
        .args(["-t", &holder.id().to_string(), "-n", "--"])
        .arg(program);
    command
}

/// Waits for the holder's line saying it is in its own namespace.
fn wait_for_namespace(holder: &mut Child) -> Result<(), ShapedLinkError> {
    let within = Duration::from_secs(5);
    let stdout = holder
        .stdout
        .take()
        .ok_or(ShapedLinkError::NoNamespace(within))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(within) {
        Ok(line) if line.trim() == "ready" => Ok(()),
        _ => Err(ShapedLinkError::NoNamespace(within)),
    }
}

pub(crate) fn run(program: &str, args: &[&str]) -> Result<(), ShapedLinkError> {
    let mut command = Command::new(program);
    command.args(args);
    finish(command, program, args).map(drop)
}

fn output(program: &str, args: &[&str]) -> Result<String, ShapedLinkError> {
    let mut command = Command::new(program);
    command.args(args);
    finish(command, program, args)
}

fn finish(mut command: Command, program: &str, args: &[&str]) -> Result<String, ShapedLinkError> {
    let name = format!("{program} {}", args.join(" "));
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ShapedLinkError::Spawn {
            command: name.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(ShapedLinkError::Failed {
            command: name,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
