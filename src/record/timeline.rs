//! Where each encoded buffer goes in the file, decided without I/O: the file's time 0 is the
//! first video keyframe (or the first audio, for a file without video), everything before
//! it is dropped (sound that comes before the keyframe is held until it is known whether it
//! is before it), each track's times only go forward, and a track that falls silent (a
//! source without that kind, a pause) is told to the muxer as a gap so the other one is
//! written on. Times are nanoseconds of the share's running time, given by the caller.

use std::time::Duration;

/// A track of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Track {
    Video,
    Audio,
}

impl Track {
    fn index(self) -> usize {
        match self {
            Track::Video => 0,
            Track::Audio => 1,
        }
    }

    const ALL: [Track; 2] = [Track::Video, Track::Audio];
}

/// What to do with one buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Drop,
    /// Keep it and give it again once the file has [`started`](Timeline::started): sound
    /// that came before the keyframe that starts the file, which may still be of an instant
    /// after it (a video encoder that takes longer gives its keyframe after the sound of the
    /// same instant).
    Hold,
    /// Write it at this time of the file (nanoseconds from its start).
    Write {
        pts: u64,
    },
}

/// A track silent this long is written on as a gap: longer than any pause between the
/// buffers of a flowing track (an encoder's latency, a burst), short enough that a muxer
/// waiting for it holds little (a Matroska muxer waits for every track).
pub const QUIET: Duration = Duration::from_millis(500);

/// A gap ends this far behind now, so a buffer still inside an encoder finds its place free.
pub const MARGIN: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Copy, Default)]
struct TrackState {
    /// The least file time its next buffer may have.
    next: u64,
    /// Running time of its last real buffer.
    heard: Option<u64>,
    /// File time its real media reaches.
    end: u64,
}

/// The file's timeline; see the module's doc.
#[derive(Debug, Clone)]
pub struct Timeline {
    tracks: [Option<TrackState>; 2],
    /// The running time of the file's time 0, once known.
    origin: Option<u64>,
    /// Before the start: when the first sound and the first keyframe came, and whether a
    /// keyframe is to be asked for.
    first_sound: Option<u64>,
    first_keyframe: Option<u64>,
    keyframe_wanted: bool,
    /// When a keyframe was last asked for (a request can be lost: an encoder that has just
    /// made one of its own may forget it).
    asked_at: Option<u64>,
}

/// How long a file with sound waits for its sound to begin after its first keyframe; past
/// it, the file starts without (a source whose sound never comes).
pub const SOUND_WITHIN: Duration = Duration::from_secs(1);

/// A keyframe the start waits for is asked for again this often.
const ASK_AGAIN: Duration = Duration::from_millis(300);

impl Timeline {
    /// A file with these tracks (at least one).
    pub fn new(tracks: &[Track]) -> Self {
        let mut all = [None, None];
        for track in tracks {
            all[track.index()] = Some(TrackState::default());
        }
        Self {
            tracks: all,
            origin: None,
            first_sound: None,
            first_keyframe: None,
            keyframe_wanted: false,
            asked_at: None,
        }
    }

    pub fn has(&self, track: Track) -> bool {
        self.tracks[track.index()].is_some()
    }

    /// True once the file has begun (its first keyframe came).
    pub fn started(&self) -> bool {
        self.origin.is_some()
    }

    /// Where a buffer of `track` at `running` goes.
    pub fn buffer(
        &mut self,
        track: Track,
        running: u64,
        duration: Option<u64>,
        keyframe: bool,
    ) -> Decision {
        if !self.has(track) {
            return Decision::Drop;
        }
        let origin = match self.origin {
            Some(origin) => origin,
            None => match self.start(track, running, keyframe) {
                Some(origin) => origin,
                // Dropped, the sound of the file's first instants was lost and an MP4 muxer
                // moved the sound after it to the start: 60 ms before its picture with H.264.
                None if track == Track::Audio => return Decision::Hold,
                None => return Decision::Drop,
            },
        };
        let Some(at) = running.checked_sub(origin) else {
            return Decision::Drop;
        };
        let state = self.tracks[track.index()].as_mut().expect("checked");
        state.heard = Some(running);
        // Sound for a stretch the file already has (a gap written, or a source that starts
        // its sound where the last one ended) is dropped: moved up, it would pile onto one
        // instant. A late frame moves up to where the gap ended: times never go back, and
        // a keyframe is never lost.
        if track == Track::Audio && at < state.next {
            return Decision::Drop;
        }
        let pts = at.max(state.next);
        state.next = pts + 1;
        state.end = state.end.max(pts + duration.unwrap_or(0));
        Decision::Write { pts }
    }

    /// Whether the file's start waits for a keyframe that should be asked for now (asked
    /// once: the sound began after the keyframe that came).
    pub fn keyframe_wanted(&mut self) -> bool {
        std::mem::take(&mut self.keyframe_wanted)
    }

    /// The file's time 0, if this buffer starts it. Video starts the file at a keyframe, as
    /// any player needs, and with sound at the first keyframe once the sound has begun: both
    /// tracks then begin together (an MP4 muxer moves a track that begins late to the
    /// start). Without video, the first sound starts it.
    fn start(&mut self, track: Track, running: u64, keyframe: bool) -> Option<u64> {
        let with_sound = self.has(Track::Audio);
        match track {
            Track::Audio if !self.has(Track::Video) => {}
            Track::Audio => {
                self.first_sound.get_or_insert(running);
                // A keyframe came before the sound: the next one starts the file. It is
                // asked for, and again while it does not come.
                let ask_again = self
                    .asked_at
                    .is_none_or(|at| running.saturating_sub(at) >= ASK_AGAIN.as_nanos() as u64);
                if self.first_keyframe.is_some() && ask_again {
                    self.keyframe_wanted = true;
                    self.asked_at = Some(running);
                }
                return None;
            }
            Track::Video if !keyframe => return None,
            Track::Video => {
                let first = *self.first_keyframe.get_or_insert(running);
                let sound_began = self.first_sound.is_some_and(|s| s <= running);
                let waited = running.saturating_sub(first) >= SOUND_WITHIN.as_nanos() as u64;
                if with_sound && !sound_began && !waited {
                    return None;
                }
            }
        }
        self.origin = Some(running);
        Some(running)
    }

    /// The gaps to write now, at running time `now`: (track, file time, duration) for each
    /// track silent for [`QUIET`], up to [`MARGIN`] before now.
    pub fn gaps(&mut self, now: u64) -> Vec<(Track, u64, u64)> {
        let Some(origin) = self.origin else {
            return Vec::new();
        };
        let quiet = QUIET.as_nanos() as u64;
        let Some(until) = now
            .checked_sub(origin)
            .and_then(|t| t.checked_sub(MARGIN.as_nanos() as u64))
        else {
            return Vec::new();
        };
        let mut gaps = Vec::new();
        for track in Track::ALL {
            let Some(state) = self.tracks[track.index()].as_mut() else {
                continue;
            };
            let heard = state.heard.unwrap_or(origin);
            if now.saturating_sub(heard) < quiet || until <= state.next {
                continue;
            }
            gaps.push((track, state.next, until - state.next));
            state.next = until;
        }
        gaps
    }

    /// How long the file's media lasts so far.
    pub fn duration(&self) -> Duration {
        let end = self.tracks.iter().flatten().map(|t| t.end).max();
        Duration::from_nanos(end.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn the_file_starts_at_the_first_video_keyframe_and_audio_before_it_is_dropped() {
        let mut t = Timeline::new(&[Track::Video, Track::Audio]);
        assert_eq!(
            t.buffer(Track::Audio, 1000 * MS, Some(20 * MS), true),
            Decision::Hold
        );
        assert_eq!(
            t.buffer(Track::Video, 1010 * MS, None, false),
            Decision::Drop
        );
        assert_eq!(
            t.buffer(Track::Video, 1040 * MS, None, true),
            Decision::Write { pts: 0 }
        );
        assert_eq!(
            t.buffer(Track::Audio, 1020 * MS, Some(20 * MS), true),
            Decision::Drop
        );
        assert_eq!(
            t.buffer(Track::Audio, 1060 * MS, Some(20 * MS), true),
            Decision::Write { pts: 20 * MS }
        );
        assert!(t.started());
    }

    #[test]
    fn sound_held_before_the_start_is_written_from_the_keyframe_on() {
        // The sound of 1000-1080 ms comes before the keyframe of 1040 ms (a slower video
        // encoder); given again once the file has begun, what is after the keyframe is
        // written at its own time.
        let mut t = Timeline::new(&[Track::Video, Track::Audio]);
        let held: Vec<u64> = (0..5).map(|i| (1000 + 20 * i) * MS).collect();
        for &running in &held {
            assert_eq!(
                t.buffer(Track::Audio, running, Some(20 * MS), true),
                Decision::Hold
            );
        }
        assert_eq!(
            t.buffer(Track::Video, 1040 * MS, None, true),
            Decision::Write { pts: 0 }
        );
        let again: Vec<Decision> = held
            .iter()
            .map(|&running| t.buffer(Track::Audio, running, Some(20 * MS), true))
            .collect();
        assert_eq!(
            again,
            [
                Decision::Drop,
                Decision::Drop,
                Decision::Write { pts: 0 },
                Decision::Write { pts: 20 * MS },
                Decision::Write { pts: 40 * MS },
            ]
        );
        // Video before the start is never held: a player needs its keyframe first.
        let mut u = Timeline::new(&[Track::Video, Track::Audio]);
        assert_eq!(u.buffer(Track::Video, 0, None, false), Decision::Drop);
    }

    #[test]
    fn a_file_with_sound_starts_at_a_keyframe_after_the_sound_began() {
        let mut t = Timeline::new(&[Track::Video, Track::Audio]);
        // The keyframe asked for comes before the sound: it cannot start the file.
        assert_eq!(t.buffer(Track::Video, 0, None, true), Decision::Drop);
        assert!(!t.keyframe_wanted());
        assert_eq!(
            t.buffer(Track::Audio, 60 * MS, Some(20 * MS), true),
            Decision::Hold
        );
        assert!(t.keyframe_wanted(), "the next keyframe is asked for");
        assert!(!t.keyframe_wanted(), "once");
        t.buffer(Track::Audio, 80 * MS, Some(20 * MS), true);
        assert!(!t.keyframe_wanted(), "not again at once");
        t.buffer(Track::Audio, 400 * MS, Some(20 * MS), true);
        assert!(t.keyframe_wanted(), "again while it does not come");
        assert_eq!(t.buffer(Track::Video, 66 * MS, None, false), Decision::Drop);
        assert_eq!(
            t.buffer(Track::Video, 410 * MS, None, true),
            Decision::Write { pts: 0 }
        );
        assert_eq!(
            t.buffer(Track::Audio, 420 * MS, Some(20 * MS), true),
            Decision::Write { pts: 10 * MS }
        );
        // Sound that never comes: the file starts without it after SOUND_WITHIN.
        let mut u = Timeline::new(&[Track::Video, Track::Audio]);
        assert_eq!(u.buffer(Track::Video, 0, None, true), Decision::Drop);
        let late = SOUND_WITHIN.as_nanos() as u64;
        assert_eq!(
            u.buffer(Track::Video, late, None, true),
            Decision::Write { pts: 0 }
        );
    }

    #[test]
    fn a_file_without_video_starts_with_its_first_audio() {
        let mut t = Timeline::new(&[Track::Audio]);
        assert_eq!(
            t.buffer(Track::Audio, 500 * MS, Some(20 * MS), true),
            Decision::Write { pts: 0 }
        );
        assert_eq!(t.buffer(Track::Video, 510 * MS, None, true), Decision::Drop);
        assert_eq!(t.duration(), Duration::from_millis(20));
    }

    #[test]
    fn flowing_tracks_have_no_gaps_and_a_silent_one_is_gapped_up_to_the_margin() {
        let mut t = Timeline::new(&[Track::Video, Track::Audio]);
        t.buffer(Track::Audio, 0, Some(20 * MS), true);
        t.buffer(Track::Video, 0, None, true);
        let mut now = 0;
        for i in 0..50 {
            now = i * 20 * MS;
            t.buffer(Track::Video, now, None, i % 30 == 0);
            t.buffer(Track::Audio, now, Some(20 * MS), true);
            assert!(t.gaps(now + 5 * MS).is_empty(), "{i}");
        }
        // Audio stops (a file without sound); video goes on.
        let stop = now;
        for i in 1..=50 {
            now = stop + i * 20 * MS;
            t.buffer(Track::Video, now, None, false);
            let gaps = t.gaps(now);
            if now - stop < QUIET.as_nanos() as u64 {
                assert!(gaps.is_empty(), "too soon at {i}");
            } else {
                for (track, _, _) in &gaps {
                    assert_eq!(*track, Track::Audio);
                }
            }
        }
        let gaps = t.gaps(now + 200 * MS);
        let (_, at, len) = gaps[0];
        assert_eq!(at + len, now + 200 * MS - MARGIN.as_nanos() as u64);
        // Audio comes back for a stretch the gap already covers: dropped, never piled up;
        // from where the gap ended it is written at its own time.
        let back = t.buffer(Track::Audio, now - 400 * MS, Some(20 * MS), true);
        assert_eq!(back, Decision::Drop);
        let after = t.buffer(Track::Audio, now, Some(20 * MS), true);
        assert_eq!(after, Decision::Write { pts: now });
        // A late frame moves up to the gap's end instead: a keyframe is never lost.
        let mut v = Timeline::new(&[Track::Video, Track::Audio]);
        v.buffer(Track::Audio, 0, Some(20 * MS), true);
        v.buffer(Track::Video, 0, None, true);
        v.buffer(Track::Audio, 0, Some(20 * MS), true);
        v.buffer(Track::Video, 1900 * MS, None, false);
        let (_, at, len) = v.gaps(2000 * MS)[0];
        assert_eq!(
            v.buffer(Track::Audio, 1000 * MS, Some(20 * MS), true),
            Decision::Drop
        );
        let mut w = Timeline::new(&[Track::Video, Track::Audio]);
        w.buffer(Track::Audio, 0, Some(20 * MS), true);
        w.buffer(Track::Video, 0, None, true);
        w.buffer(Track::Audio, 0, Some(20 * MS), true);
        w.buffer(Track::Audio, 1900 * MS, Some(20 * MS), true);
        let (track, gap_at, gap_len) = w.gaps(2000 * MS)[0];
        assert_eq!(track, Track::Video);
        assert_eq!(
            w.buffer(Track::Video, 1000 * MS, None, true),
            Decision::Write {
                pts: gap_at + gap_len
            }
        );
        let _ = (at, len);
    }

    #[test]
    fn times_of_a_track_never_go_back() {
        let mut t = Timeline::new(&[Track::Video]);
        t.buffer(Track::Video, 100 * MS, None, true);
        assert_eq!(
            t.buffer(Track::Video, 90 * MS, None, false),
            Decision::Drop,
            "before the start"
        );
        let a = t.buffer(Track::Video, 150 * MS, None, false);
        let b = t.buffer(Track::Video, 140 * MS, None, false);
        match (a, b) {
            (Decision::Write { pts: a }, Decision::Write { pts: b }) => assert!(b > a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nothing_is_gapped_before_the_file_starts() {
        let mut t = Timeline::new(&[Track::Video, Track::Audio]);
        assert!(t.gaps(10_000 * MS).is_empty());
    }
}
