//! The in-process signalling double and the network guard for WebRTC tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reelcast::rtc::{SdpKind, Share, ShareEvent};
use reelcast_testkit::Receiver;

pub type Receivers = Arc<Mutex<HashMap<String, Arc<Receiver>>>>;

/// Passes the share's offers and candidates to the receivers and their answers back.
pub fn wire(share: &Arc<Share>, receivers: Receivers) {
    let events = share.subscribe();
    let share = Arc::downgrade(share);
    std::thread::spawn(move || {
        while let Ok(event) = events.recv() {
            let Some(share) = share.upgrade() else {
                return;
            };
            match event {
                ShareEvent::LocalDescription { viewer, sdp, .. } => {
                    let receiver = receivers.lock().unwrap().get(&viewer).cloned();
                    if let Some(receiver) = receiver {
                        let answer = receiver.answer(&sdp).expect("the receiver answers");
                        let _ = share.set_remote_description(&viewer, SdpKind::Answer, &answer);
                    }
                }
                ShareEvent::LocalCandidate {
                    viewer,
                    mline,
                    candidate,
                } => {
                    let receiver = receivers.lock().unwrap().get(&viewer).cloned();
                    if let Some(receiver) = receiver {
                        receiver.add_candidate(mline, &candidate);
                    }
                }
                _ => {}
            }
        }
    });
}

/// Fails unless the test runs in the private network namespace of scripts/test.sh, so that
/// WebRTC traffic cannot reach any other machine or interface.
pub fn assert_private_network() {
    assert!(
        reelcast_testkit::in_private_network(),
        "network tests run only in a private network namespace: use scripts/test.sh"
    );
}
