//! Shares stopped on their own threads, whose far side (a Janus room, a WHIP endpoint, the
//! signalling server) must hear the goodbye before the process ends: the window hands each
//! one here, and the app waits for them, bounded, once its main loop is over.

use std::cell::RefCell;
use std::time::Instant;

use crate::sharing::GOODBYE_WITHIN;

thread_local! {
    static PENDING: RefCell<Vec<flume::Receiver<()>>> = const { RefCell::new(Vec::new()) };
}

/// A goodbye under way (from [`crate::sharing::Sharing::stop_in_background`]).
pub(crate) fn keep(told: flume::Receiver<()>) {
    PENDING.with(|pending| pending.borrow_mut().push(told));
}

/// Waits for every goodbye under way, at most [`GOODBYE_WITHIN`] in all.
pub(crate) fn wait() {
    let deadline = Instant::now() + GOODBYE_WITHIN;
    for told in PENDING.with(|pending| pending.take()) {
        let _ = told.recv_deadline(deadline);
    }
}
