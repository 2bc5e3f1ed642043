//! The I/O-free half of a websocket backend: a [`Conversation`] reads frames and the share's
//! requests and says what to do ([`Action`]); the websocket task does it.

use std::time::Instant;

use serde_json::Value;

use super::ended::{Ended, StopRequest};
use super::events::SignallingEvent;
use super::signaller::MAX_MESSAGE_SIZE;

/// What a conversation asks its task to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Send this message as a text frame.
    Send(Value),
    /// Tell the share.
    Emit(SignallingEvent),
    /// Close the websocket (politely, after the goodbyes).
    Close,
    /// The connection is over.
    End(Ended),
}

/// One connection's protocol, as a state machine. Time comes in as `now`, so tests drive it
/// without a clock or a server.
pub(crate) trait Conversation {
    type Request: StopRequest;
    /// The connection is open.
    fn start(&mut self, now: Instant) -> Vec<Action>;
    /// A text frame from the far side.
    fn on_text(&mut self, text: &str, now: Instant) -> Vec<Action>;
    /// A text frame over [`MAX_MESSAGE_SIZE`]: not acted on. By default dropped; a backend
    /// that can tell whose it is ends that one session, never the connection.
    fn on_oversized(&mut self, text: &str, _now: Instant) -> Vec<Action> {
        tracing::warn!(
            bytes = text.len(),
            "signalling message over {MAX_MESSAGE_SIZE} bytes dropped"
        );
        Vec::new()
    }
    fn on_request(&mut self, request: Self::Request, now: Instant) -> Vec<Action>;
    /// [`Conversation::deadline`] has passed.
    fn on_tick(&mut self, now: Instant) -> Vec<Action>;
    /// The websocket failed: ends the conversation.
    fn on_lost(&mut self, why: String) -> Vec<Action>;
    /// When to call [`Conversation::on_tick`], if ever.
    fn deadline(&self) -> Option<Instant>;
}
