//! [`WhipMachine`]: a WHIP publisher's life, without I/O. Each session gathers the share's
//! offer and candidates, POSTs them at once, and DELETEs its resource at the end; the video's
//! end waits for it to play again, a failure pauses by the shared backoff before the next.

use std::time::{Duration, Instant};

use super::endpoint::{Posted, WhipError};
use crate::rtc::sdp::with_candidates;
use crate::rtc::SdpKind;
use crate::signalling::ended::{Ended, Next};
use crate::signalling::events::{SignallingEvent, SignallingState};
use crate::signalling::publisher::PublishRequest;
use crate::signalling::retry::Backoff;

/// How long candidates are gathered before the offer goes out without the rest.
const GATHERING_WITHIN: Duration = Duration::from_secs(10);

/// What the machine asks of its task, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Emit(SignallingEvent),
    /// POST this offer, then call [`WhipMachine::on_posted`] with the outcome.
    Post {
        offer: String,
    },
    /// End the session at the endpoint.
    Delete {
        resource: url::Url,
    },
    /// Nothing more to do.
    End,
}

#[derive(Debug)]
enum Phase {
    /// Waiting for the share's offer and its candidates, until `by` once there is an offer.
    Gathering {
        session: String,
        offer: Option<String>,
        candidates: Vec<(u32, String)>,
        by: Instant,
    },
    /// The POST is out.
    Posting {
        session: String,
    },
    /// The endpoint took the offer: the session lives at `resource`.
    Live {
        session: String,
        resource: url::Url,
    },
    /// The video ended: the next session when it plays again.
    AwaitingMedia,
    /// After a failure: the next session then.
    Pausing {
        until: Instant,
    },
    Done,
}

pub(crate) struct WhipMachine {
    /// The URL the person gave, for messages.
    url: String,
    sessions: u32,
    /// ICE servers the endpoint names: asked for before the first offer (OPTIONS), and
    /// updated from each POST's reply for the sessions after it.
    ice_servers: Vec<String>,
    backoff: Backoff,
    phase: Phase,
    out: Vec<Action>,
}

impl WhipMachine {
    pub(crate) fn new(url: String, ice_servers: Vec<String>) -> Self {
        Self {
            url,
            sessions: 0,
            ice_servers,
            backoff: Backoff::default(),
            phase: Phase::Done,
            out: Vec::new(),
        }
    }

    /// Asks the share for the first session.
    pub(crate) fn start(&mut self, now: Instant) -> Vec<Action> {
        self.begin(now);
        self.take()
    }

    pub(crate) fn on_request(&mut self, request: PublishRequest, now: Instant) -> Vec<Action> {
        let phase = std::mem::replace(&mut self.phase, Phase::Done);
        match (phase, request) {
            (Phase::Done, _) => {}
            (phase, PublishRequest::Stop) => {
                if let Phase::Live { resource, .. } = phase {
                    self.out.push(Action::Delete { resource });
                }
                self.stop();
            }
            (
                Phase::Gathering {
                    session,
                    mut offer,
                    mut candidates,
                    by,
                },
                request,
            ) => {
                match request {
                    PublishRequest::Offer { session: s, sdp } if s == session => offer = Some(sdp),
                    PublishRequest::Candidate {
                        session: s,
                        mline,
                        candidate,
                    } if s == session => candidates.push((mline, candidate)),
                    PublishRequest::Gathered { session: s } if s == session && offer.is_some() => {
                        return self.post(session, &offer.unwrap_or_default(), &candidates);
                    }
                    PublishRequest::End { session: s, failed } if s == session => {
                        return self.over(session, ended_by_share(failed), now);
                    }
                    _ => {}
                }
                self.phase = Phase::Gathering {
                    session,
                    offer,
                    candidates,
                    by,
                };
            }
            (Phase::Live { session, resource }, request) => match request {
                // No trickle after the POST: the offer carried the candidates.
                PublishRequest::End { session: s, failed } if s == session => {
                    self.out.push(Action::Delete { resource });
                    return self.over(session, ended_by_share(failed), now);
                }
                _ => self.phase = Phase::Live { session, resource },
            },
            (Phase::AwaitingMedia, PublishRequest::Resume) => self.begin(now),
            // Requests for a session that is gone, or while pausing: dropped.
            (phase, _) => self.phase = phase,
        }
        self.take()
    }

    /// The outcome of [`Action::Post`].
    pub(crate) fn on_posted(
        &mut self,
        posted: Result<Posted, WhipError>,
        now: Instant,
    ) -> Vec<Action> {
        let Phase::Posting { session } = std::mem::replace(&mut self.phase, Phase::Done) else {
            return Vec::new();
        };
        match posted {
            Ok(Posted {
                resource,
                answer,
                ice_servers,
            }) => {
                if !ice_servers.is_empty() {
                    // For the sessions after this one: this one has gathered already.
                    self.ice_servers = ice_servers;
                }
                self.backoff.reset();
                self.emit(SignallingEvent::State(SignallingState::Registered {
                    peer_id: resource.to_string(),
                }));
                self.emit(SignallingEvent::RemoteSdp {
                    session: session.clone(),
                    kind: SdpKind::Answer,
                    sdp: answer,
                });
                self.phase = Phase::Live { session, resource };
                self.take()
            }
            Err(e) if e.is_refusal() => self.over(session, Ended::Refused(e.to_string()), now),
            Err(e) => self.over(session, Ended::Lost(e.to_string()), now),
        }
    }

    pub(crate) fn on_tick(&mut self, now: Instant) -> Vec<Action> {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Gathering {
                session,
                offer: Some(offer),
                candidates,
                by,
            } if now >= by => {
                tracing::warn!(
                    "ICE gathering not done after {GATHERING_WITHIN:?}; offering what there is"
                );
                return self.post(session, &offer, &candidates);
            }
            // The share never made its offer: whatever held it, the person hears of it and
            // a new session is tried, instead of a publication that silently never starts.
            Phase::Gathering {
                session,
                offer: None,
                by,
                ..
            } if now >= by => {
                self.emit(SignallingEvent::Error(format!(
                    "{}: the share made no offer within {} s; publishing again",
                    self.url,
                    GATHERING_WITHIN.as_secs()
                )));
                self.emit(SignallingEvent::SessionEnded {
                    session: session.clone(),
                });
                return self.over(session, Ended::MediaFailed, now);
            }
            Phase::Pausing { until } if now >= until => self.begin(now),
            phase => self.phase = phase,
        }
        self.take()
    }

    /// When to call [`WhipMachine::on_tick`], if ever.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Gathering { by, .. } => Some(*by),
            Phase::Pausing { until } => Some(*until),
            _ => None,
        }
    }

    /// A new session: the share is asked for an offer.
    fn begin(&mut self, now: Instant) {
        self.sessions += 1;
        let session = format!("whip-{}", self.sessions);
        self.emit(SignallingEvent::State(SignallingState::Connecting));
        self.emit(SignallingEvent::session_requested(
            &session,
            self.ice_servers.clone(),
        ));
        self.phase = Phase::Gathering {
            session,
            offer: None,
            candidates: Vec::new(),
            by: now + GATHERING_WITHIN,
        };
    }

    /// The offer with its candidates (the endpoint may not take trickled ones) goes out.
    fn post(&mut self, session: String, offer: &str, candidates: &[(u32, String)]) -> Vec<Action> {
        self.out.push(Action::Post {
            offer: with_candidates(offer, candidates),
        });
        self.phase = Phase::Posting { session };
        self.take()
    }

    /// A session is over: what comes next.
    fn over(&mut self, session: String, ended: Ended, now: Instant) -> Vec<Action> {
        // The share knows of the sessions it ended itself.
        if matches!(ended, Ended::Lost(_) | Ended::Refused(_)) {
            self.emit(SignallingEvent::SessionEnded { session });
        }
        let (next, said) = ended.next(&self.url);
        if let Some(event) = said {
            self.emit(event);
        }
        match next {
            Next::Stop => self.stop(),
            Next::GiveUp => {
                self.phase = Phase::Done;
                self.out.push(Action::End);
            }
            Next::AwaitMedia => self.phase = Phase::AwaitingMedia,
            Next::Retry => {
                let (delay, said) = self.backoff.next();
                self.emit(said);
                self.phase = Phase::Pausing { until: now + delay };
            }
        }
        self.take()
    }

    fn stop(&mut self) {
        self.phase = Phase::Done;
        self.emit(SignallingEvent::State(SignallingState::Stopped));
        self.out.push(Action::End);
    }

    fn emit(&mut self, event: SignallingEvent) {
        self.out.push(Action::Emit(event));
    }

    fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.out)
    }
}

/// How the share ended a session: the video ended, or its media connection failed.
fn ended_by_share(failed: bool) -> Ended {
    if failed {
        Ended::MediaFailed
    } else {
        Ended::Finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signalling::whip::endpoint::StatusError;

    const URL: &str = "whip+http://127.0.0.1:8889/whip";

    fn emitted(actions: &[Action]) -> Vec<&SignallingEvent> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Emit(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    fn requested(actions: &[Action]) -> Option<(String, Vec<String>)> {
        emitted(actions).into_iter().find_map(|e| match e {
            SignallingEvent::SessionRequested {
                session,
                ice_servers,
                ..
            } => Some((session.clone(), ice_servers.clone())),
            _ => None,
        })
    }

    fn resource(n: u32) -> url::Url {
        format!("http://127.0.0.1:8889/whip/session/{n}")
            .parse()
            .unwrap()
    }

    fn posted(n: u32, ice_servers: &[&str]) -> Result<Posted, WhipError> {
        Ok(Posted {
            resource: resource(n),
            answer: "v=0 answer".into(),
            ice_servers: ice_servers.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// Offers for `session` with one candidate and says gathering is done: the POST.
    fn offer(m: &mut WhipMachine, session: &str, now: Instant) -> Vec<Action> {
        let session = session.to_owned();
        let sdp = "v=0\r\nm=video 9 X 96\r\n".to_owned();
        assert!(m
            .on_request(
                PublishRequest::Offer {
                    session: session.clone(),
                    sdp
                },
                now
            )
            .is_empty());
        let candidate = "candidate:1 1 UDP 1 10.99.0.1 5000 typ host".to_owned();
        m.on_request(
            PublishRequest::Candidate {
                session: session.clone(),
                mline: 0,
                candidate,
            },
            now,
        );
        m.on_request(PublishRequest::Gathered { session }, now)
    }

    fn end(session: &str, failed: bool) -> PublishRequest {
        PublishRequest::End {
            session: session.into(),
            failed,
        }
    }

    #[test]
    fn posts_the_offer_with_its_candidates_deletes_at_the_end_and_posts_again() {
        let now = Instant::now();
        let mut m = WhipMachine::new(URL.into(), vec!["stun://a".into()]);
        let out = m.start(now);
        assert_eq!(
            emitted(&out)[0],
            &SignallingEvent::State(SignallingState::Connecting)
        );
        assert_eq!(
            requested(&out),
            Some(("whip-1".into(), vec!["stun://a".into()]))
        );
        let out = offer(&mut m, "whip-1", now);
        let [Action::Post {
            offer: posted_offer,
        }] = &out[..]
        else {
            panic!("{out:?}")
        };
        assert!(
            posted_offer
                .contains("a=candidate:1 1 UDP 1 10.99.0.1 5000 typ host\r\na=end-of-candidates"),
            "{posted_offer}"
        );
        let out = m.on_posted(posted(1, &["stun://b"]), now);
        assert_eq!(
            out,
            [
                Action::Emit(SignallingEvent::State(SignallingState::Registered {
                    peer_id: resource(1).to_string()
                })),
                Action::Emit(SignallingEvent::RemoteSdp {
                    session: "whip-1".into(),
                    kind: SdpKind::Answer,
                    sdp: "v=0 answer".into()
                }),
            ]
        );
        // The video ends: the session is deleted, nothing more until it plays again.
        assert_eq!(
            m.on_request(end("whip-1", false), now),
            [Action::Delete {
                resource: resource(1)
            }]
        );
        assert_eq!(m.deadline(), None);
        let out = m.on_request(PublishRequest::Resume, now);
        // The ICE servers the POST's reply named are the next session's.
        assert_eq!(
            requested(&out),
            Some(("whip-2".into(), vec!["stun://b".into()]))
        );
        assert!(matches!(
            &offer(&mut m, "whip-2", now)[..],
            [Action::Post { .. }]
        ));
    }

    #[test]
    fn a_failure_deletes_then_the_next_session_waits_out_the_backoff() {
        let now = Instant::now();
        let mut m = WhipMachine::new(URL.into(), vec![]);
        m.start(now);
        offer(&mut m, "whip-1", now);
        m.on_posted(posted(1, &[]), now);
        let out = m.on_request(end("whip-1", true), now);
        assert_eq!(
            out[0],
            Action::Delete {
                resource: resource(1)
            }
        );
        assert_eq!(
            emitted(&out),
            [&SignallingEvent::State(SignallingState::Reconnecting {
                attempt: 1,
                retry_in_ms: 500
            })]
        );
        let until = now + Duration::from_millis(500);
        assert_eq!(m.deadline(), Some(until));
        // Requests while pausing are for the session that is gone.
        assert!(m.on_request(PublishRequest::Resume, now).is_empty());
        assert!(m.on_tick(now).is_empty());
        assert_eq!(
            requested(&m.on_tick(until)).map(|r| r.0).as_deref(),
            Some("whip-2")
        );
        // An endpoint that fails: the share learns the session is gone, the pause grows.
        let out = offer(&mut m, "whip-2", until);
        assert!(matches!(&out[..], [Action::Post { .. }]));
        let failed = Err(WhipError::Status(StatusError::new(503, "busy", false)));
        let out = m.on_posted(failed, until);
        assert_eq!(
            emitted(&out),
            [
                &SignallingEvent::SessionEnded {
                    session: "whip-2".into()
                },
                &SignallingEvent::Error(format!("{URL}: the endpoint failed (HTTP 503): busy")),
                &SignallingEvent::State(SignallingState::Reconnecting {
                    attempt: 2,
                    retry_in_ms: 1000
                }),
            ]
        );
    }

    #[test]
    fn a_refusal_ends_for_good() {
        let now = Instant::now();
        let mut m = WhipMachine::new(URL.into(), vec![]);
        m.start(now);
        offer(&mut m, "whip-1", now);
        let refused = Err(WhipError::Status(StatusError::new(401, "", false)));
        let out = m.on_posted(refused, now);
        assert!(matches!(
            emitted(&out)[1],
            SignallingEvent::State(SignallingState::Refused { reason }) if reason.starts_with(URL)
        ));
        assert_eq!(out.last(), Some(&Action::End));
        assert!(m.on_request(PublishRequest::Resume, now).is_empty());
    }

    #[test]
    fn gathering_is_bounded_and_stopping_deletes() {
        let now = Instant::now();
        let mut m = WhipMachine::new(URL.into(), vec![]);
        m.start(now);
        assert_eq!(
            m.deadline(),
            Some(now + GATHERING_WITHIN),
            "the offer is awaited"
        );
        let sdp = "v=0\r\n".to_owned();
        m.on_request(
            PublishRequest::Offer {
                session: "whip-1".into(),
                sdp,
            },
            now,
        );
        assert_eq!(m.deadline(), Some(now + GATHERING_WITHIN));
        assert!(matches!(
            &m.on_tick(now + GATHERING_WITHIN)[..],
            [Action::Post { .. }]
        ));
        m.on_posted(posted(1, &[]), now);
        assert_eq!(
            m.on_request(PublishRequest::Stop, now),
            [
                Action::Delete {
                    resource: resource(1)
                },
                Action::Emit(SignallingEvent::State(SignallingState::Stopped)),
                Action::End
            ]
        );
    }

    #[test]
    fn a_session_without_an_offer_is_said_and_tried_again() {
        let now = Instant::now();
        let mut m = WhipMachine::new(URL.into(), vec![]);
        m.start(now);
        let out = m.on_tick(now + GATHERING_WITHIN);
        let said = emitted(&out);
        assert!(
            matches!(said[0], SignallingEvent::Error(e) if e.contains("no offer within 10 s")),
            "{said:?}"
        );
        assert_eq!(
            said[1],
            &SignallingEvent::SessionEnded {
                session: "whip-1".into()
            }
        );
        assert!(matches!(
            said[2],
            SignallingEvent::State(SignallingState::Reconnecting { .. })
        ));
        // After the pause, a new session is asked for.
        let pause = m.deadline().expect("a pause");
        let again = m.on_tick(pause);
        assert!(emitted(&again)
            .iter()
            .any(|e| matches!(e, SignallingEvent::SessionRequested { session, .. } if session == "whip-2")));
    }
}
