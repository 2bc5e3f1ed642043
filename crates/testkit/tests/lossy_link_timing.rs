//! The lossy link measured from outside: UDP probes from its child namespace to an echo on its
//! near end (a ping that looks like RTP, so that the link may lose it as media) take the round
//! trip the link was told (2 × the one-way delay) and are lost as often as it was told. Runs
//! inside scripts/private-net.sh's namespace:
//! `scripts/private-net.sh cargo test --offline -p reelcast-testkit --test lossy_link_timing`.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reelcast_testkit::{in_private_network, LinkConfig, LossyLink};

const MS: Duration = Duration::from_millis(1);

/// What the probes saw: round trips in ms, sorted, and the share lost in %.
#[derive(Debug)]
struct Probes {
    sent: usize,
    rtt_ms: Vec<f64>,
}

impl Probes {
    fn loss_percent(&self) -> f64 {
        (self.sent - self.rtt_ms.len()) as f64 / self.sent as f64 * 100.0
    }

    fn mean(&self) -> f64 {
        self.rtt_ms.iter().sum::<f64>() / self.rtt_ms.len() as f64
    }

    fn summary(&self) -> String {
        let at = |q: f64| self.rtt_ms[((self.rtt_ms.len() - 1) as f64 * q) as usize];
        format!(
            "{} sent, {:.2} % lost, round trip min {:.1} / mean {:.1} / p99 {:.1} / max {:.1} ms",
            self.sent,
            self.loss_percent(),
            at(0.0),
            self.mean(),
            at(0.99),
            at(1.0)
        )
    }
}

/// `count` probes from the child to an echo on the near end, one every `every`. Each is
/// RTP-shaped (version 2, payload type 96), with its number and send time.
fn probe(link: &LossyLink, count: usize, every: Duration) -> Probes {
    let echo = UdpSocket::bind((link.near_address(), 0)).unwrap();
    let to: SocketAddr = echo.local_addr().unwrap();
    echo.set_read_timeout(Some(100 * MS)).unwrap();
    let far = link.far_address();
    let socket = link
        .in_child(|| UdpSocket::bind((far, 0)))
        .unwrap()
        .unwrap();
    socket.set_read_timeout(Some(100 * MS)).unwrap();
    let start = Instant::now();
    let stop = AtomicBool::new(false);
    let mut rtt = vec![None; count];
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut buffer = [0u8; 1500];
            while !stop.load(Ordering::Relaxed) {
                if let Ok((n, from)) = echo.recv_from(&mut buffer) {
                    let _ = echo.send_to(&buffer[..n], from);
                }
            }
        });
        let receiver = s.spawn(|| {
            let mut buffer = [0u8; 1500];
            // Until a second after the last probe went.
            let until = start + every * count as u32 + Duration::from_secs(1);
            while Instant::now() < until {
                let Ok(n) = socket.recv(&mut buffer) else {
                    continue;
                };
                if n < 12 {
                    continue;
                }
                let i = u32::from_be_bytes(buffer[4..8].try_into().unwrap()) as usize;
                let sent_us = u32::from_be_bytes(buffer[8..12].try_into().unwrap());
                let now_us = start.elapsed().as_micros() as u32;
                if let Some(slot) = rtt.get_mut(i) {
                    *slot = Some(f64::from(now_us - sent_us) / 1000.0);
                }
            }
        });
        for i in 0..count {
            std::thread::sleep(
                (start + every * i as u32).saturating_duration_since(Instant::now()),
            );
            let mut packet = [0u8; 200];
            packet[0] = 0x80;
            packet[1] = 96;
            packet[4..8].copy_from_slice(&(i as u32).to_be_bytes());
            let sent_us = start.elapsed().as_micros() as u32;
            packet[8..12].copy_from_slice(&sent_us.to_be_bytes());
            socket.send_to(&packet, to).unwrap();
        }
        receiver.join().unwrap();
        stop.store(true, Ordering::Relaxed);
    });
    let mut rtt_ms: Vec<f64> = rtt.into_iter().flatten().collect();
    rtt_ms.sort_by(f64::total_cmp);
    Probes {
        sent: count,
        rtt_ms,
    }
}

fn link(config: LinkConfig) -> LossyLink {
    assert!(
        in_private_network(),
        "run inside scripts/private-net.sh: the link is made only in a private namespace"
    );
    LossyLink::with_config(config).unwrap_or_else(|e| panic!("{e}"))
}

/// 75 ms each way with ± 5 ms of jitter: a round trip of 150 ms (140-160 ms), and 2 % of the
/// echoes (media towards the child) lost, at random or in bursts.
#[test]
fn a_link_of_75_ms_each_way_losing_2_percent_has_a_round_trip_of_150_ms_and_loses_2_percent() {
    let rtt150 = LinkConfig::new().delay(75 * MS).jitter(5 * MS);
    let random = link(rtt150.random_loss(2.0).seed(1));
    let bursty = link(rtt150.bursty_loss(2.0, 4.0).seed(2));
    // 4000 probes each, every 5 ms: 20 s.
    let count = 4000;
    let (r, b) = std::thread::scope(|s| {
        let r = s.spawn(|| probe(&random, count, 5 * MS));
        let b = s.spawn(|| probe(&bursty, count, 5 * MS));
        (r.join().unwrap(), b.join().unwrap())
    });
    eprintln!(
        "random: {}; the link dropped {}",
        r.summary(),
        random.dropped()
    );
    eprintln!(
        "bursty: {}; the link dropped {}",
        b.summary(),
        bursty.dropped()
    );
    for (name, p, link) in [("random", &r, &random), ("bursty", &b, &bursty)] {
        assert!(p.rtt_ms[0] >= 139.0, "{name}: {}", p.summary());
        assert!(
            (148.0..=156.0).contains(&p.mean()),
            "{name}: {}",
            p.summary()
        );
        // The jitter's bound, and some room for a busy machine's scheduling.
        let p99 = p.rtt_ms[p.rtt_ms.len() * 99 / 100];
        assert!(p99 <= 170.0, "{name}: {}", p.summary());
        // Each echo lost is one the link dropped.
        assert_eq!(link.dropped() as usize, p.sent - p.rtt_ms.len(), "{name}");
        assert_eq!(link.media_packets() as usize, p.sent, "{name}");
    }
    // 4000 echoes: 2 % ± 0.7 at random; bursts of 4 make the share vary more.
    assert!((1.3..=2.7).contains(&r.loss_percent()), "{}", r.summary());
    assert!((0.8..=3.5).contains(&b.loss_percent()), "{}", b.summary());
}

/// The link of the existing tests (`create(loss)`) adds no delay.
#[test]
fn a_link_made_with_a_loss_only_adds_no_delay() {
    let plain = link(LinkConfig::new().random_loss(3.0));
    let p = probe(&plain, 1000, MS);
    eprintln!("{}", p.summary());
    assert!(p.mean() < 5.0, "{}", p.summary());
    assert!((1.5..=4.5).contains(&p.loss_percent()), "{}", p.summary());
    let all = LossyLink::create(3).unwrap();
    assert_eq!(all.config().mean_loss(), 0.03);
}
