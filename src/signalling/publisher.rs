//! The share's side of a signaller that publishes to one remote peer, an SFU or a media server
//! (Janus, WHIP): to the share that peer is one viewer. Calls become requests for the
//! connection's task, which each protocol runs in its own way.

use tokio::sync::mpsc;

use super::ended::StopRequest;
use super::events::{SignallerEvents, SignallingEvent};
use super::signaller::Signaller;
use crate::rtc::SdpKind;

/// What the share asks of the publishing task.
#[derive(Debug)]
pub(crate) enum PublishRequest {
    Offer {
        session: String,
        sdp: String,
    },
    Candidate {
        session: String,
        mline: u32,
        candidate: String,
    },
    /// All local candidates are out.
    Gathered {
        session: String,
    },
    /// The share ended the session: the video ended (`failed` false; publish again on
    /// [`PublishRequest::Resume`]), or its connection failed (try again after a pause).
    End {
        session: String,
        failed: bool,
    },
    /// The media is live again after the end: publish again.
    Resume,
    Stop,
}

impl StopRequest for PublishRequest {
    fn stop() -> Self {
        PublishRequest::Stop
    }
    fn is_stop(&self) -> bool {
        matches!(self, PublishRequest::Stop)
    }
}

/// A signaller publishing to an SFU or media server: see [`PublisherSignaller::janus`] and
/// [`PublisherSignaller::whip`].
pub struct PublisherSignaller {
    /// The protocol's name, for logs.
    protocol: &'static str,
    requests: mpsc::UnboundedSender<PublishRequest>,
    events: SignallerEvents,
}

impl PublisherSignaller {
    pub(crate) fn new(
        protocol: &'static str,
        requests: mpsc::UnboundedSender<PublishRequest>,
        events: SignallerEvents,
    ) -> Self {
        Self {
            protocol,
            requests,
            events,
        }
    }

    fn request(&self, request: PublishRequest) {
        let _ = self.requests.send(request);
    }
}

impl Signaller for PublisherSignaller {
    fn subscribe(&self) -> flume::Receiver<SignallingEvent> {
        self.events.subscribe()
    }

    fn send_sdp(&self, session: &str, kind: SdpKind, sdp: &str) {
        if kind != SdpKind::Offer {
            tracing::warn!(%session, "{} publishers send offers only; answer dropped", self.protocol);
            return;
        }
        self.request(PublishRequest::Offer {
            session: session.to_owned(),
            sdp: sdp.to_owned(),
        });
    }

    fn send_ice(&self, session: &str, mline: u32, candidate: &str) {
        self.request(PublishRequest::Candidate {
            session: session.to_owned(),
            mline,
            candidate: candidate.to_owned(),
        });
    }

    fn end_of_candidates(&self, session: &str) {
        self.request(PublishRequest::Gathered {
            session: session.to_owned(),
        });
    }

    fn end_session(&self, session: &str) {
        self.request(PublishRequest::End {
            session: session.to_owned(),
            failed: false,
        });
    }

    fn session_failed(&self, session: &str) {
        self.request(PublishRequest::End {
            session: session.to_owned(),
            failed: true,
        });
    }

    fn media_resumed(&self) {
        self.request(PublishRequest::Resume);
    }

    fn stop(&self) {
        self.request(PublishRequest::Stop);
    }
}

impl Drop for PublisherSignaller {
    fn drop(&mut self) {
        self.stop();
    }
}
