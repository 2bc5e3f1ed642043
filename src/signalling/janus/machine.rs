//! [`JanusMachine`]: one connection's conversation with a Janus VideoRoom, without I/O. Joins
//! (create → attach → join), publishes the share's session, unpublishes when the video ends
//! and publishes again once Janus has hung up the last publication, and leaves when the media
//! connection fails (the task then joins afresh after the backoff).

use std::time::{Duration, Instant};

use super::target::JanusTarget;
use super::wire::{decode_janus, JanusIncoming, JanusRequest, VideoRoomRequest};
use crate::rtc::SdpKind;
use crate::signalling::conversation::{Action, Conversation};
use crate::signalling::ended::{Ended, StopRequest};
use crate::signalling::events::{SignallingEvent, SignallingState};
use crate::signalling::publisher::PublishRequest;

/// Janus ends a session silent for 60 s (its default `session_timeout`).
const KEEPALIVE_EVERY: Duration = Duration::from_secs(25);
/// How long publishing again waits for Janus to close the last publication's connection.
const UNPUBLISH_WITHIN: Duration = Duration::from_secs(3);
/// How long a request may wait for its reply.
const REPLY_WITHIN: Duration = Duration::from_secs(10);
/// How long the share may take to make the offer of a publication it was asked for.
const OFFER_WITHIN: Duration = Duration::from_secs(10);

/// Our ids at Janus: its session and our videoroom plugin handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ids {
    session: u64,
    handle: u64,
}

/// A step of joining, each one request waiting for its reply.
#[derive(Debug)]
enum Joining {
    Create,
    Attach { session: u64 },
    Join { ids: Ids },
}

/// In the room: what is published, and whether publishing again waits for a hangup.
#[derive(Debug)]
struct Room {
    ids: Ids,
    /// The share's session of the latest publication: answers and candidates go to it.
    session: String,
    /// Whether the share still has that session (not after it ended or Janus refused it).
    live: bool,
    /// Whether an offer went out for it (so the next one renegotiates).
    published: bool,
    /// Publications after the first, for their session names.
    republished: u32,
    /// An unpublish is out: publishing again waits for its hangup until then.
    unpublishing: Option<Instant>,
    /// The media resumed while unpublishing: publish once the hangup comes (or the bound).
    resume_waiting: bool,
    keepalive_at: Instant,
    /// The share was asked for a publication's session and has made no offer yet: by then.
    offer_by: Option<Instant>,
}

#[derive(Debug)]
enum Phase {
    Joining {
        step: Joining,
        transaction: String,
        by: Instant,
    },
    InRoom(Room),
    Done,
}

pub(crate) struct JanusMachine {
    target: JanusTarget,
    display: String,
    transactions: u64,
    phase: Phase,
    out: Vec<Action>,
}

impl JanusMachine {
    pub(crate) fn new(target: JanusTarget, display: String) -> Self {
        Self {
            target,
            display,
            transactions: 0,
            phase: Phase::Done,
            out: Vec::new(),
        }
    }

    fn transaction(&mut self) -> String {
        self.transactions += 1;
        format!("reelcast-{}", self.transactions)
    }

    /// Sends a request of the joining steps and waits for its reply.
    fn request(&mut self, step: Joining, now: Instant) {
        let (request, session, handle) = match &step {
            Joining::Create => (JanusRequest::Create, None, None),
            Joining::Attach { session } => (
                JanusRequest::Attach {
                    plugin: "janus.plugin.videoroom",
                },
                Some(*session),
                None,
            ),
            Joining::Join { ids } => {
                let body = VideoRoomRequest::Join {
                    ptype: "publisher",
                    room: self.target.room.clone(),
                    display: self.display.clone(),
                    pin: self.target.pin.as_ref().map(|p| p.expose().to_owned()),
                };
                let join = JanusRequest::Message { body, jsep: None };
                (join, Some(ids.session), Some(ids.handle))
            }
        };
        let transaction = self.transaction();
        self.out
            .push(Action::Send(request.encode(&transaction, session, handle)));
        self.phase = Phase::Joining {
            step,
            transaction,
            by: now + REPLY_WITHIN,
        };
    }

    /// Sends a request for our plugin handle; its events come as they come.
    fn send(&mut self, ids: Ids, request: JanusRequest) {
        let transaction = self.transaction();
        let message = request.encode(&transaction, Some(ids.session), Some(ids.handle));
        self.out.push(Action::Send(message));
    }

    fn emit(&mut self, event: SignallingEvent) {
        self.out.push(Action::Emit(event));
    }

    /// Ends the connection: the share learns its session is gone, if it still had one.
    fn end(&mut self, ended: Ended) {
        if let Phase::InRoom(room) = &self.phase {
            if room.live {
                let session = room.session.clone();
                self.emit(SignallingEvent::SessionEnded { session });
            }
        }
        self.phase = Phase::Done;
        self.out.push(Action::End(ended));
    }

    /// Leaves the room and ends the Janus session, as a polite publisher does.
    fn leave(&mut self, ids: Ids) {
        self.send(
            ids,
            JanusRequest::Message {
                body: VideoRoomRequest::Leave,
                jsep: None,
            },
        );
        let transaction = self.transaction();
        let destroy = JanusRequest::Destroy.encode(&transaction, Some(ids.session), None);
        self.out.push(Action::Send(destroy));
        self.out.push(Action::Close);
    }

    /// The reply to a joining step.
    fn on_reply(&mut self, step: Joining, reply: JanusIncoming, now: Instant) {
        match (step, reply) {
            (Joining::Create, JanusIncoming::Success { id: Some(id), .. }) => {
                self.request(Joining::Attach { session: id }, now)
            }
            (Joining::Attach { session }, JanusIncoming::Success { id: Some(id), .. }) => {
                let ids = Ids {
                    session,
                    handle: id,
                };
                self.request(Joining::Join { ids }, now)
            }
            (Joining::Join { ids }, JanusIncoming::Joined { publisher_id, .. }) => {
                tracing::info!(room = %self.target.room, %publisher_id, "joined the Janus room");
                self.emit(SignallingEvent::State(SignallingState::Registered {
                    peer_id: publisher_id,
                }));
                let session = format!("janus-{}", ids.session);
                self.emit(SignallingEvent::session_requested(&session, Vec::new()));
                self.phase = Phase::InRoom(Room {
                    ids,
                    session,
                    live: true,
                    published: false,
                    republished: 0,
                    unpublishing: None,
                    resume_waiting: false,
                    keepalive_at: now + KEEPALIVE_EVERY,
                    offer_by: Some(now + OFFER_WITHIN),
                });
            }
            (Joining::Join { .. }, JanusIncoming::Refused { code, error, .. }) => {
                let why = describe_refusal(&self.target, code, &error);
                self.end(Ended::Refused(why));
            }
            (step, other) => {
                let what = match step {
                    Joining::Create => "create",
                    Joining::Attach { .. } => "attach",
                    Joining::Join { .. } => "join",
                };
                self.end(Ended::Lost(format!(
                    "unexpected answer to {what}: {other:?}"
                )));
            }
        }
    }

    /// A frame in the room.
    fn in_room(&mut self, mut room: Room, incoming: JanusIncoming, now: Instant) {
        match incoming {
            JanusIncoming::Answer { sdp, .. } => self.emit(SignallingEvent::RemoteSdp {
                session: room.session.clone(),
                kind: SdpKind::Answer,
                sdp,
            }),
            JanusIncoming::Refused { code, error, .. } => {
                // A refused publish (say, no codec in common): the room stays joined, the
                // share learns its viewer is gone.
                let why = describe_refusal(&self.target, code, &error);
                self.emit(SignallingEvent::Error(why));
                self.emit(SignallingEvent::SessionEnded {
                    session: room.session.clone(),
                });
                room.live = false;
                room.published = false;
            }
            JanusIncoming::Trickle { mline, candidate } => self.emit(SignallingEvent::RemoteIce {
                session: room.session.clone(),
                mline,
                candidate,
            }),
            // The answer to our own unpublish: nothing lost, and the way is clear to publish
            // again.
            JanusIncoming::Hangup { .. } if room.unpublishing.is_some() => {
                room.unpublishing = None;
                if std::mem::take(&mut room.resume_waiting) {
                    self.publish_again(&mut room, now);
                }
            }
            // No publication of ours to hang up: a late hangup of the last one.
            JanusIncoming::Hangup { .. } if !room.live || !room.published => {}
            JanusIncoming::Hangup { reason } => {
                self.phase = Phase::InRoom(room);
                return self.end(Ended::Lost(format!("Janus hung up ({reason})")));
            }
            JanusIncoming::Timeout => {
                self.phase = Phase::InRoom(room);
                return self.end(Ended::Lost("the Janus session expired".into()));
            }
            JanusIncoming::Error { code, reason, .. } => {
                self.phase = Phase::InRoom(room);
                return self.end(Ended::Lost(format!("Janus error {code}: {reason}")));
            }
            _ => {}
        }
        self.phase = Phase::InRoom(room);
    }

    /// A request of the share in the room.
    fn request_in_room(&mut self, mut room: Room, request: PublishRequest, now: Instant) {
        let ours = |s: &str| s == room.session;
        match request {
            PublishRequest::Offer { session, sdp } if ours(&session) => {
                // The first offer publishes; later ones (the kinds changed) renegotiate the
                // same publisher.
                let body = if room.published {
                    VideoRoomRequest::Configure {
                        audio: true,
                        video: true,
                    }
                } else {
                    VideoRoomRequest::Publish {
                        audio: true,
                        video: true,
                    }
                };
                room.published = true;
                room.offer_by = None;
                self.send(room.ids, JanusRequest::offer(body, sdp));
            }
            PublishRequest::Candidate {
                session,
                mline,
                candidate,
            } if ours(&session) => {
                self.send(room.ids, JanusRequest::candidate(mline, candidate));
            }
            PublishRequest::Gathered { session } if ours(&session) => {
                self.send(room.ids, JanusRequest::end_of_candidates());
            }
            PublishRequest::End {
                session,
                failed: true,
            } if ours(&session) => {
                // The media connection failed: join afresh after a pause, as after a lost
                // connection.
                room.live = false;
                let ids = room.ids;
                self.phase = Phase::InRoom(room);
                self.leave(ids);
                return self.end(Ended::Lost("the media connection to Janus failed".into()));
            }
            PublishRequest::End {
                session,
                failed: false,
            } if ours(&session) => {
                // The video ended: stay in the room, unpublished, until it plays again.
                room.live = false;
                if std::mem::take(&mut room.published) {
                    room.unpublishing = Some(now + UNPUBLISH_WITHIN);
                    let unpublish = JanusRequest::Message {
                        body: VideoRoomRequest::Unpublish,
                        jsep: None,
                    };
                    self.send(room.ids, unpublish);
                }
            }
            PublishRequest::Resume if !room.live => {
                if room.unpublishing.is_some() {
                    room.resume_waiting = true;
                } else {
                    self.publish_again(&mut room, now);
                }
            }
            PublishRequest::Stop => {
                let ids = room.ids;
                self.phase = Phase::InRoom(room);
                self.leave(ids);
                return self.end(Ended::Stopped);
            }
            // For a session of an earlier publication.
            _ => {}
        }
        self.phase = Phase::InRoom(room);
    }

    /// Asks the share for the session of the next publication.
    fn publish_again(&mut self, room: &mut Room, now: Instant) {
        room.offer_by = Some(now + OFFER_WITHIN);
        room.republished += 1;
        room.session = format!("janus-{}-{}", room.ids.session, room.republished);
        room.live = true;
        self.emit(SignallingEvent::session_requested(
            &room.session,
            Vec::new(),
        ));
    }

    fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.out)
    }
}

impl Conversation for JanusMachine {
    type Request = PublishRequest;

    fn start(&mut self, now: Instant) -> Vec<Action> {
        self.request(Joining::Create, now);
        self.take()
    }

    fn on_text(&mut self, text: &str, now: Instant) -> Vec<Action> {
        let incoming = match decode_janus(text) {
            Ok(incoming) => incoming,
            Err(e) => {
                tracing::warn!("malformed Janus message dropped ({e}): {text:.200}");
                return Vec::new();
            }
        };
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Joining {
                step,
                transaction,
                by,
            } => {
                let reply_to_us = incoming.transaction() == Some(transaction.as_str());
                match incoming {
                    _ if !reply_to_us => {}
                    JanusIncoming::Ack { .. } => {}
                    JanusIncoming::Error { code, reason, .. } => {
                        self.phase = Phase::Joining {
                            step,
                            transaction,
                            by,
                        };
                        self.end(core_error(code, &reason));
                        return self.take();
                    }
                    reply => {
                        self.on_reply(step, reply, now);
                        return self.take();
                    }
                }
                self.phase = Phase::Joining {
                    step,
                    transaction,
                    by,
                };
            }
            Phase::InRoom(room) => self.in_room(room, incoming, now),
            Phase::Done => {}
        }
        self.take()
    }

    fn on_request(&mut self, request: PublishRequest, now: Instant) -> Vec<Action> {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::InRoom(room) => self.request_in_room(room, request, now),
            // Not in the room yet: requests are for an earlier connection's session.
            phase @ Phase::Joining { .. } => {
                self.phase = phase;
                if request.is_stop() {
                    self.out.push(Action::Close);
                    self.end(Ended::Stopped);
                }
            }
            Phase::Done => {}
        }
        self.take()
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Action> {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Joining { by, .. } if now >= by => {
                let why = format!("no answer from Janus within {} s", REPLY_WITHIN.as_secs());
                self.end(Ended::Lost(why));
            }
            Phase::InRoom(room) if room.live && room.offer_by.is_some_and(|by| now >= by) => {
                // Whatever held the share's offer, the person hears of it and the room is
                // joined afresh after a pause, instead of a publication that silently never
                // starts.
                let ids = room.ids;
                self.phase = Phase::InRoom(room);
                self.leave(ids);
                let why = format!(
                    "the share made no offer within {} s",
                    OFFER_WITHIN.as_secs()
                );
                self.end(Ended::Lost(why));
            }
            Phase::InRoom(mut room) => {
                if room.resume_waiting && room.unpublishing.is_some_and(|by| now >= by) {
                    tracing::warn!("Janus did not close the last publication within {UNPUBLISH_WITHIN:?}; publishing anyway");
                    room.unpublishing = None;
                    room.resume_waiting = false;
                    self.publish_again(&mut room, now);
                }
                if now >= room.keepalive_at {
                    room.keepalive_at = now + KEEPALIVE_EVERY;
                    self.send(room.ids, JanusRequest::Keepalive);
                }
                self.phase = Phase::InRoom(room);
            }
            phase => self.phase = phase,
        }
        self.take()
    }

    fn on_lost(&mut self, why: String) -> Vec<Action> {
        if !matches!(self.phase, Phase::Done) {
            self.end(Ended::Lost(why));
        }
        self.take()
    }

    fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Joining { by, .. } => Some(*by),
            Phase::InRoom(room) => {
                let republish = room.unpublishing.filter(|_| room.resume_waiting);
                let offer = room.offer_by.filter(|_| room.live);
                [republish, offer]
                    .into_iter()
                    .flatten()
                    .chain([room.keepalive_at])
                    .min()
            }
            Phase::Done => None,
        }
    }
}

/// Janus's own errors (not the videoroom's): those a new try cannot mend are refusals.
fn core_error(code: i64, reason: &str) -> Ended {
    match code {
        // Unauthorized (an API secret or token is required), no such plugin.
        403 | 460 => Ended::Refused(format!("Janus refused: {reason} (error {code})")),
        _ => Ended::Lost(format!("Janus error {code}: {reason}")),
    }
}

/// The VideoRoom's refusals in plain words.
fn describe_refusal(target: &JanusTarget, code: i64, error: &str) -> String {
    let room = target.room_name();
    match code {
        426 => format!("there is no room {room} on this Janus server"),
        433 if target.pin.is_some() => format!("wrong pin for room {room}"),
        // Unauthorized without a pin, or "Missing mandatory element (pin)".
        433 | 429 if target.pin.is_none() && (code == 433 || error.contains("pin")) => {
            format!("room {room} needs a pin: set REELCAST_JANUS_PIN or use --janus-pin-file")
        }
        432 => format!("room {room} is full (no more publishers allowed)"),
        _ => format!("Janus refused: {error} (error {code})"),
    }
}

#[cfg(test)]
mod tests;
