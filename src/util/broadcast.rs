//! Events fanned out from one emitter to many subscribers, none of whom can block it.

use std::sync::Mutex;

/// Fans one stream of events out to any number of subscribers.
///
/// Each subscriber gets its own unbounded channel, so a slow reader never blocks the
/// thread that emits (often a GStreamer streaming thread). Subscribers that dropped
/// their receiver are forgotten on the next send.
pub struct Broadcast<T: Clone> {
    senders: Mutex<Vec<flume::Sender<T>>>,
}

impl<T: Clone> Default for Broadcast<T> {
    fn default() -> Self {
        Self {
            senders: Mutex::new(Vec::new()),
        }
    }
}

impl<T: Clone> Broadcast<T> {
    pub fn subscribe(&self) -> flume::Receiver<T> {
        let (tx, rx) = flume::unbounded();
        self.senders.lock().unwrap().push(tx);
        rx
    }

    pub fn send(&self, value: T) {
        let mut senders = self.senders.lock().unwrap();
        senders.retain(|tx| tx.send(value.clone()).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subscriber_gets_every_event_and_dropped_ones_are_forgotten() {
        let hub = Broadcast::default();
        let a = hub.subscribe();
        let b = hub.subscribe();
        hub.send(1);
        drop(b);
        hub.send(2);
        assert_eq!(a.try_iter().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(hub.senders.lock().unwrap().len(), 1);
    }
}
