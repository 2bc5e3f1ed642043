//! [`Admission`]: how many connections one port of the embedded server holds, in total and
//! per address, and the accept loop that keeps taking connections through errors (a full
//! file table, EMFILE, passes; the port never dies).

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Connections one port holds at once: far more than the viewers a share can take (16 by
/// default), far fewer than the 1,024 files a process may have open.
pub const MAX_CONNECTIONS: usize = 256;
/// Connections one address holds at once on one port: a browser opens a few per page.
pub const MAX_PER_ADDRESS: usize = 32;
/// After an accept error (a full file table), the pause before trying again: short enough to
/// be back at once, long enough not to spin on a listener that stays readable.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

#[derive(Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// The connection counts of one port.
#[derive(Clone)]
pub(crate) struct Admission {
    counts: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_address: usize,
}

/// A place taken by one connection, given back when dropped.
pub(crate) struct Ticket {
    counts: Arc<Mutex<Counts>>,
    address: IpAddr,
}

impl Admission {
    pub(crate) fn new(max_total: usize, max_per_address: usize) -> Self {
        Self {
            counts: Arc::default(),
            max_total,
            max_per_address,
        }
    }

    /// A place for a connection from `address`, unless the port or that address is full.
    pub(crate) fn admit(&self, address: IpAddr) -> Option<Ticket> {
        let address = canonical(address);
        let mut counts = self.counts.lock().unwrap();
        let from_there = counts.per_address.get(&address).copied().unwrap_or(0);
        if counts.total >= self.max_total || from_there >= self.max_per_address {
            return None;
        }
        counts.total += 1;
        counts.per_address.insert(address, from_there + 1);
        Some(Ticket {
            counts: self.counts.clone(),
            address,
        })
    }
}

/// An IPv4 client on an IPv6 socket is the same client as on an IPv4 one.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap();
        counts.total -= 1;
        if let Some(n) = counts.per_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

/// Accepts connections on `listener` for as long as the task runs: each admitted one goes to
/// `serve` on a task of its own, with its ticket; one over the caps is closed at once. An
/// accept error is logged (once until the next success) and waited out.
pub(crate) async fn accept_forever<F, Fut>(
    listener: TcpListener,
    admission: Admission,
    what: &'static str,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr, Ticket) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut failing = false;
    let mut refused_since_logged = 0u64;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if failing {
                    tracing::info!("{what}: accepting connections again");
                    failing = false;
                }
                match admission.admit(peer.ip()) {
                    Some(ticket) => {
                        tokio::spawn(serve(stream, peer, ticket));
                    }
                    None => {
                        // Closed unread: the peer sees the connection end at once.
                        drop(stream);
                        if refused_since_logged.is_multiple_of(100) {
                            tracing::warn!(
                                "{what}: connection from {} refused, too many connections \
                                 (at most {} in all, {} per address)",
                                peer.ip(),
                                admission.max_total,
                                admission.max_per_address
                            );
                        }
                        refused_since_logged += 1;
                    }
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!("{what}: cannot accept a connection ({e}); trying again");
                    failing = true;
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_in_total_and_per_address_free_on_drop() {
        let admission = Admission::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert!(admission.admit(a).is_none(), "per address");
        let _third = admission.admit(b).unwrap();
        assert!(admission.admit(b).is_none(), "in total");
        drop(first);
        assert!(admission.admit(a).is_some());
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_eq!(canonical(mapped), b);
    }
}
