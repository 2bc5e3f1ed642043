//! [`JanusMachine`] driven through join, publish, unpublish, republish, failure and stop,
//! with Janus's replies written by hand.

use serde_json::{json, Value};

use super::*;

fn target(pin: Option<&str>) -> JanusTarget {
    JanusTarget {
        websocket: "ws://127.0.0.1:8188/".into(),
        room: json!(1234),
        pin: pin.map(crate::signalling::secret::Secret::new),
        display: None,
    }
}

fn sent(actions: &[Action]) -> Vec<&Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(v) => Some(v),
            _ => None,
        })
        .collect()
}

fn emitted(actions: &[Action]) -> Vec<&SignallingEvent> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Emit(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn requested(actions: &[Action]) -> Option<String> {
    emitted(actions).into_iter().find_map(|e| match e {
        SignallingEvent::SessionRequested { session, .. } => Some(session.clone()),
        _ => None,
    })
}

/// Replies to the one request in `actions` with `reply` (its transaction filled in).
fn reply(m: &mut JanusMachine, actions: &[Action], mut reply: Value, now: Instant) -> Vec<Action> {
    let request = sent(actions);
    assert_eq!(request.len(), 1, "{actions:?}");
    reply["transaction"] = request[0]["transaction"].clone();
    m.on_text(&reply.to_string(), now)
}

/// A machine in room 1234 (session 11, handle 22), and the share's first session.
fn joined(now: Instant) -> (JanusMachine, String) {
    let mut m = JanusMachine::new(target(None), "Movie".into());
    let create = m.start(now);
    assert_eq!(sent(&create)[0]["janus"], "create");
    let attach = reply(
        &mut m,
        &create,
        json!({"janus": "success", "data": {"id": 11}}),
        now,
    );
    assert_eq!(sent(&attach)[0]["janus"], "attach");
    assert_eq!(sent(&attach)[0]["session_id"], 11);
    let join = reply(
        &mut m,
        &attach,
        json!({"janus": "success", "data": {"id": 22}}),
        now,
    );
    let body = &sent(&join)[0]["body"];
    assert_eq!(body["request"], "join");
    assert_eq!(body["room"], 1234);
    assert_eq!(body["display"], "Movie");
    // The ack is not the reply.
    let mut ack = json!({"janus": "ack"});
    ack["transaction"] = sent(&join)[0]["transaction"].clone();
    assert!(m.on_text(&ack.to_string(), now).is_empty());
    let done = reply(
        &mut m,
        &join,
        json!({"janus": "event", "plugindata": {"data": {"videoroom": "joined", "id": 77}}}),
        now,
    );
    assert_eq!(
        emitted(&done)[0],
        &SignallingEvent::State(SignallingState::Registered {
            peer_id: "77".into()
        })
    );
    let session = requested(&done).expect("a session for the share");
    assert_eq!(session, "janus-11");
    (m, session)
}

fn offer(session: &str) -> PublishRequest {
    PublishRequest::Offer {
        session: session.into(),
        sdp: "v=0\r\n".into(),
    }
}

fn end(session: &str, failed: bool) -> PublishRequest {
    PublishRequest::End {
        session: session.into(),
        failed,
    }
}

#[test]
fn joins_publishes_and_relays_the_answer_and_candidates() {
    let now = Instant::now();
    let (mut m, session) = joined(now);
    let out = m.on_request(offer(&session), now);
    let publish = sent(&out)[0];
    assert_eq!(publish["body"]["request"], "publish");
    assert_eq!(publish["jsep"]["type"], "offer");
    assert_eq!(
        (publish["session_id"].clone(), publish["handle_id"].clone()),
        (json!(11), json!(22))
    );
    // A second offer (the kinds changed) renegotiates.
    let out = m.on_request(offer(&session), now);
    assert_eq!(sent(&out)[0]["body"]["request"], "configure");
    let answer = json!({"janus": "event", "plugindata": {"data": {"videoroom": "event"}},
                        "jsep": {"type": "answer", "sdp": "v=0 answer"}});
    assert_eq!(
        m.on_text(&answer.to_string(), now),
        [Action::Emit(SignallingEvent::RemoteSdp {
            session: session.clone(),
            kind: SdpKind::Answer,
            sdp: "v=0 answer".into()
        })]
    );
    let trickle =
        json!({"janus": "trickle", "candidate": {"sdpMLineIndex": 1, "candidate": "candidate:1"}});
    assert_eq!(
        m.on_text(&trickle.to_string(), now),
        [Action::Emit(SignallingEvent::RemoteIce {
            session: session.clone(),
            mline: 1,
            candidate: "candidate:1".into()
        })]
    );
    let out = m.on_request(PublishRequest::Gathered { session }, now);
    assert_eq!(sent(&out)[0]["candidate"], json!({"completed": true}));
}

#[test]
fn the_end_unpublishes_and_playing_again_waits_for_the_hangup() {
    let now = Instant::now();
    let (mut m, first) = joined(now);
    m.on_request(offer(&first), now);
    let out = m.on_request(end(&first, false), now);
    assert_eq!(sent(&out)[0]["body"]["request"], "unpublish");
    assert!(emitted(&out).is_empty(), "the share ended it itself");
    // Played again at once: the new publication waits for Janus to hang up the last.
    assert!(m.on_request(PublishRequest::Resume, now).is_empty());
    assert_eq!(m.deadline(), Some(now + UNPUBLISH_WITHIN));
    let out = m.on_text(r#"{"janus":"hangup","reason":"Close PC"}"#, now);
    let second = requested(&out).expect("published again after the hangup");
    assert_eq!(second, "janus-11-1");
    assert!(
        !out.iter().any(|a| matches!(a, Action::End(_))),
        "the room is kept"
    );
    let out = m.on_request(offer(&second), now);
    assert_eq!(sent(&out)[0]["body"]["request"], "publish");
    // An old session's requests are not this publication's.
    assert!(m.on_request(offer(&first), now).is_empty());
}

#[test]
fn without_a_hangup_publishing_again_waits_only_so_long() {
    let now = Instant::now();
    let (mut m, first) = joined(now);
    m.on_request(offer(&first), now);
    m.on_request(end(&first, false), now);
    m.on_request(PublishRequest::Resume, now);
    assert!(requested(&m.on_tick(now + Duration::from_secs(1))).is_none());
    let out = m.on_tick(now + UNPUBLISH_WITHIN);
    assert_eq!(requested(&out).as_deref(), Some("janus-11-1"));
    // The late hangup, before the new publication's offer, is then nothing lost.
    let out = m.on_text(r#"{"janus":"hangup","reason":"Close PC"}"#, now);
    assert!(!out.iter().any(|a| matches!(a, Action::End(_))), "{out:?}");
}

#[test]
fn resuming_after_an_end_without_an_offer_publishes_at_once() {
    let now = Instant::now();
    let (mut m, first) = joined(now);
    assert!(
        sent(&m.on_request(end(&first, false), now)).is_empty(),
        "nothing to unpublish"
    );
    let out = m.on_request(PublishRequest::Resume, now);
    assert_eq!(requested(&out).as_deref(), Some("janus-11-1"));
    // Resuming while published does nothing.
    assert!(m.on_request(PublishRequest::Resume, now).is_empty());
}

#[test]
fn a_failed_media_connection_leaves_the_room_to_join_afresh() {
    let now = Instant::now();
    let (mut m, session) = joined(now);
    m.on_request(offer(&session), now);
    let out = m.on_request(end(&session, true), now);
    let requests: Vec<_> = sent(&out)
        .iter()
        .map(|v| (v["janus"].clone(), v["body"]["request"].clone()))
        .collect();
    assert_eq!(
        requests,
        [
            (json!("message"), json!("leave")),
            (json!("destroy"), Value::Null)
        ]
    );
    assert!(
        emitted(&out).is_empty(),
        "the share ended that session itself"
    );
    assert!(
        matches!(&out[..], [.., Action::Close, Action::End(Ended::Lost(_))]),
        "{out:?}"
    );
    assert_eq!(m.deadline(), None);
}

#[test]
fn an_unexpected_hangup_or_expiry_ends_the_connection_and_the_session() {
    let now = Instant::now();
    // Before any offer there is no publication to hang up.
    let (mut m, _) = joined(now);
    assert!(m
        .on_text(r#"{"janus":"hangup","reason":"late"}"#, now)
        .is_empty());
    for frame in [
        r#"{"janus":"hangup","reason":"DTLS alert"}"#,
        r#"{"janus":"timeout"}"#,
    ] {
        let (mut m, session) = joined(now);
        m.on_request(offer(&session), now);
        let out = m.on_text(frame, now);
        assert_eq!(
            out[0],
            Action::Emit(SignallingEvent::SessionEnded { session })
        );
        assert!(matches!(out[1], Action::End(Ended::Lost(_))), "{out:?}");
    }
}

#[test]
fn refusals_are_said_in_plain_words() {
    let now = Instant::now();
    let mut m = JanusMachine::new(target(Some("wrong")), "Movie".into());
    let out = m.start(now);
    let out = reply(
        &mut m,
        &out,
        json!({"janus": "success", "data": {"id": 1}}),
        now,
    );
    let out = reply(
        &mut m,
        &out,
        json!({"janus": "success", "data": {"id": 2}}),
        now,
    );
    assert_eq!(sent(&out)[0]["body"]["pin"], "wrong");
    let refused = json!({"janus": "event", "plugindata": {"data":
        {"videoroom": "event", "error_code": 433, "error": "Unauthorized"}}});
    assert_eq!(
        reply(&mut m, &out, refused, now),
        [Action::End(Ended::Refused(
            "wrong pin for room 1234".into()
        ))]
    );
    // Janus's own refusal, before the room.
    let mut m = JanusMachine::new(target(None), "Movie".into());
    let out = m.start(now);
    let error = json!({"janus": "error", "error": {"code": 403, "reason": "Unauthorized request"}});
    assert!(matches!(
        &reply(&mut m, &out, error, now)[..],
        [Action::End(Ended::Refused(_))]
    ));
}

#[test]
fn a_silent_janus_is_lost_and_a_live_one_kept_alive() {
    let now = Instant::now();
    let mut m = JanusMachine::new(target(None), "Movie".into());
    m.start(now);
    // Not the reply: another transaction.
    assert!(m
        .on_text(
            r#"{"janus":"success","transaction":"x","data":{"id":1}}"#,
            now
        )
        .is_empty());
    assert_eq!(m.deadline(), Some(now + REPLY_WITHIN));
    assert!(matches!(
        &m.on_tick(now + REPLY_WITHIN)[..],
        [Action::End(Ended::Lost(_))]
    ));

    let (mut m, session) = joined(now);
    m.on_request(offer(&session), now);
    let at = now + KEEPALIVE_EVERY;
    assert_eq!(m.deadline(), Some(at));
    assert_eq!(sent(&m.on_tick(at))[0]["janus"], "keepalive");
    assert_eq!(m.deadline(), Some(at + KEEPALIVE_EVERY));
    // A lost websocket ends the share's session too.
    assert_eq!(
        m.on_lost("closed".into()),
        [
            Action::Emit(SignallingEvent::SessionEnded { session }),
            Action::End(Ended::Lost("closed".into()))
        ]
    );
}

#[test]
fn stopping_leaves_politely() {
    let now = Instant::now();
    let (mut m, session) = joined(now);
    let out = m.on_request(PublishRequest::Stop, now);
    assert_eq!(sent(&out).len(), 2, "leave and destroy");
    assert!(
        matches!(
            &out[..],
            [.., Action::Close, Action::Emit(SignallingEvent::SessionEnded { session: s }), Action::End(Ended::Stopped)] if *s == session
        ),
        "{out:?}"
    );
}

#[test]
fn a_publication_without_an_offer_is_said_and_the_room_joined_afresh() {
    let now = Instant::now();
    let (mut m, session) = joined(now);
    assert_eq!(m.deadline(), Some(now + OFFER_WITHIN));
    let out = m.on_tick(now + OFFER_WITHIN);
    let requests: Vec<_> = sent(&out)
        .iter()
        .map(|v| v["body"]["request"].clone())
        .collect();
    assert_eq!(requests[0], json!("leave"), "{out:?}");
    assert_eq!(
        emitted(&out),
        [&SignallingEvent::SessionEnded { session }],
        "the share drops what it may have of that session"
    );
    assert!(
        matches!(&out[..], [.., Action::End(Ended::Lost(why))] if why.contains("no offer within 10 s")),
        "{out:?}"
    );
}
