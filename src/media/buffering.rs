//! Buffering of network sources, as a player should do it: a source that is not live pauses
//! while its buffer fills and goes on at 100 %; a live one plays on (pausing it would only
//! lose data). A pure state machine; the control thread carries out what it says.

/// What to do with playbin after a BUFFERING message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Nothing,
    /// The buffer ran low while playing: wait in PAUSED until it is full.
    Pause,
    /// The buffer is full again and the person wants it to play.
    Resume,
}

/// Whether the current source is filling its buffer.
#[derive(Debug, Default)]
pub(crate) struct Buffering {
    filling: bool,
}

impl Buffering {
    /// Follows a BUFFERING message of `percent`. `live`: the source is live; `wants_playing`:
    /// the person asked to play (and did not pause since).
    pub(crate) fn update(&mut self, percent: u8, live: bool, wants_playing: bool) -> Action {
        if live {
            self.filling = false;
            return Action::Nothing;
        }
        match (percent < 100, self.filling) {
            (true, false) => {
                self.filling = true;
                if wants_playing {
                    Action::Pause
                } else {
                    Action::Nothing
                }
            }
            (false, true) => {
                self.filling = false;
                if wants_playing {
                    Action::Resume
                } else {
                    Action::Nothing
                }
            }
            _ => Action::Nothing,
        }
    }

    /// True while the buffer fills: playing waits for it.
    pub(crate) fn is_filling(&self) -> bool {
        self.filling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_playing_source_pauses_while_it_fills_and_goes_on_when_full() {
        let mut b = Buffering::default();
        assert_eq!(b.update(10, false, true), Action::Pause);
        assert!(b.is_filling());
        assert_eq!(b.update(45, false, true), Action::Nothing);
        assert_eq!(b.update(100, false, true), Action::Resume);
        assert!(!b.is_filling());
        assert_eq!(b.update(100, false, true), Action::Nothing);
    }

    #[test]
    fn a_paused_source_stays_paused_when_full() {
        let mut b = Buffering::default();
        assert_eq!(b.update(0, false, false), Action::Nothing);
        assert!(b.is_filling());
        assert_eq!(b.update(100, false, false), Action::Nothing);
        assert!(!b.is_filling());
    }

    #[test]
    fn a_live_source_never_pauses_for_its_buffer() {
        let mut b = Buffering::default();
        assert_eq!(b.update(5, true, true), Action::Nothing);
        assert!(!b.is_filling());
        assert_eq!(b.update(100, true, true), Action::Nothing);
    }
}
