//! The retry policy every backend shares: after a lost connection or a failed session, wait
//! longer each time, from half a second up to 30 s, and start over once registered.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use super::ended::StopRequest;
use super::events::{SignallingEvent, SignallingState};
use crate::util::Broadcast;

/// How long the next reconnection waits: doubles from half a second, capped at 30 s.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 500u64.saturating_mul(1u64 << attempt.min(16));
    Duration::from_millis(ms.min(30_000))
}

/// Counts the tries since the last success.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// A try succeeded (registered, joined, published): the next pause is the shortest.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The pause before the next try, and how the share is told of it.
    pub(crate) fn next(&mut self) -> (Duration, SignallingEvent) {
        let delay = backoff(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        let state = SignallingState::Reconnecting {
            attempt: self.attempt,
            retry_in_ms: delay.as_millis() as u64,
        };
        (delay, SignallingEvent::State(state))
    }

    /// Says when the next try is and waits for it. Returns false if asked to stop meanwhile;
    /// other requests are dropped, being for a connection that is gone.
    pub(crate) async fn wait<R: StopRequest>(
        &mut self,
        events: &Broadcast<SignallingEvent>,
        requests: &mut UnboundedReceiver<R>,
    ) -> bool {
        let (delay, event) = self.next();
        events.send(event);
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return true,
                request = requests.recv() => match request {
                    Some(request) if !request.is_stop() => {}
                    _ => return false,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(10), Duration::from_secs(30));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn each_pause_is_announced_and_a_success_starts_over() {
        let mut b = Backoff::default();
        let retry_in = |(_, e): (Duration, SignallingEvent)| match e {
            SignallingEvent::State(SignallingState::Reconnecting {
                attempt,
                retry_in_ms,
            }) => (attempt, retry_in_ms),
            other => panic!("{other:?}"),
        };
        assert_eq!(retry_in(b.next()), (1, 500));
        assert_eq!(retry_in(b.next()), (2, 1000));
        b.reset();
        assert_eq!(retry_in(b.next()), (1, 500));
    }
}
