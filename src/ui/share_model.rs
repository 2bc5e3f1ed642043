//! The share as the window shows it: a GObject with the share's state and a list model of
//! its viewers, fed the sharing layer's events. The share panel binds to it; the rules of
//! what a person sees (refused viewers, labels numbered as the sharing layer's
//! [`ViewerNumbers`] does for the terminal too) live here, testable without a display.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use gettextrs::{gettext, ngettext};
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gio, glib};

use super::share_viewer::{ShareViewer, ViewerState};
use crate::sharing::{SharingEvent, ViewerNumbers};

/// Where the share is, as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, glib::Enum)]
#[enum_type(name = "ReelcastShareState")]
pub enum ShareState {
    /// Not sharing: the panel shows its form.
    #[default]
    Idle,
    Connecting,
    /// Registered: viewers can find the share.
    Sharing,
    /// Signalling was lost; viewers keep watching while it comes back.
    Reconnecting,
    /// The server or SFU refused the share for good.
    Refused,
}

/// What the person should be told of once, beside what the panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A viewer's video is up.
    ViewerWatching {
        label: String,
    },
    /// A viewer asked to join a full share and was turned away.
    ViewerTurnedAway {
        max: u32,
    },
    Problem {
        message: String,
    },
    /// A recording's file is finished.
    RecordingSaved {
        name: String,
    },
}

mod imp {
    use super::*;

    #[derive(glib::Properties)]
    #[properties(wrapper_type = super::ShareModel)]
    pub struct ShareModel {
        #[property(get, builder(ShareState::default()))]
        pub state: Cell<ShareState>,
        /// A line under the state: what comes next, or the last problem.
        #[property(get)]
        pub detail: RefCell<String>,
        /// The page viewers open, when sharing on this computer; empty otherwise.
        #[property(get)]
        pub link: RefCell<String>,
        /// [`ShareViewer`]s, in the order they joined.
        #[property(get)]
        pub viewers: gio::ListStore,
        /// Most viewers at once; the share refuses more.
        #[property(get, set)]
        pub max_viewers: Cell<u32>,
        /// Viewers gone or turned away: their late events must not bring them back.
        pub gone: RefCell<HashSet<String>>,
        /// The "Viewer N" of those shown, numbered as the terminal numbers them.
        pub numbers: RefCell<ViewerNumbers>,
    }

    impl Default for ShareModel {
        fn default() -> Self {
            Self {
                state: Cell::default(),
                detail: RefCell::default(),
                link: RefCell::default(),
                viewers: gio::ListStore::new::<ShareViewer>(),
                max_viewers: Cell::new(u32::MAX),
                gone: RefCell::default(),
                numbers: RefCell::default(),
            }
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ShareModel {
        const NAME: &'static str = "ReelcastShareModel";
        type Type = super::ShareModel;
    }

    #[glib::derived_properties]
    impl ObjectImpl for ShareModel {}
}

glib::wrapper! {
    pub struct ShareModel(ObjectSubclass<imp::ShareModel>);
}

impl Default for ShareModel {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl ShareModel {
    /// A new share is starting: no viewers, no link yet.
    pub fn start(&self, max_viewers: usize) {
        self.clear();
        self.set_max_viewers(u32::try_from(max_viewers).unwrap_or(u32::MAX));
        self.set_status(ShareState::Connecting, "");
    }

    /// The share stopped: back to idle.
    pub fn stop(&self) {
        self.clear();
        self.set_status(ShareState::Idle, "");
    }

    fn clear(&self) {
        let imp = self.imp();
        imp.viewers.remove_all();
        imp.gone.borrow_mut().clear();
        imp.numbers.borrow_mut().clear();
        self.set_link("");
    }

    /// The viewer with this session id, if it is shown.
    pub fn viewer(&self, id: &str) -> Option<ShareViewer> {
        self.imp()
            .viewers
            .iter::<ShareViewer>()
            .filter_map(Result::ok)
            .find(|v| v.id() == id)
    }

    /// Takes one event of the share in; returns what to tell the person beside.
    pub fn apply(&self, event: &SharingEvent) -> Option<Notice> {
        match event {
            SharingEvent::ViewerUrl { url, .. } => self.set_link(url),
            SharingEvent::Connecting => self.set_status(ShareState::Connecting, ""),
            SharingEvent::Registered { .. } => {
                self.set_status(ShareState::Sharing, &gettext("Viewers can join now"))
            }
            SharingEvent::Reconnecting { retry_in_ms, .. } => {
                let seconds = retry_in_ms.div_ceil(1000);
                let detail = ngettext(
                    "Next try in {seconds} second; viewers keep watching",
                    "Next try in {seconds} seconds; viewers keep watching",
                    u32::try_from(seconds).unwrap_or(u32::MAX),
                )
                .replace("{seconds}", &seconds.to_string());
                self.set_status(ShareState::Reconnecting, &detail);
            }
            SharingEvent::Error { message, viewer } => {
                // A viewer's problem says who, by the name people see.
                let message = match viewer.as_deref().and_then(|v| self.viewer(v)) {
                    Some(row) => format!("{}: {message}", row.label()),
                    None => message.clone(),
                };
                self.set_detail(&message);
                return Some(Notice::Problem { message });
            }
            SharingEvent::Refused { message } => {
                self.set_status(ShareState::Refused, message);
                return Some(Notice::Problem {
                    message: message.clone(),
                });
            }
            SharingEvent::ViewerJoined { viewer, name } => {
                return self.viewer_asked(viewer, name.as_deref())
            }
            SharingEvent::ViewerNamed { viewer, name } => {
                if let Some(row) = self.viewer(viewer) {
                    row.set_display_name(name.as_deref());
                }
            }
            SharingEvent::ViewerState { viewer, state } => {
                if let Some(row) = self.known_viewer(viewer) {
                    let was_watching = row.state() == ViewerState::Watching;
                    row.set_state(ViewerState::from(*state));
                    return self.watching_now(&row, was_watching);
                }
            }
            SharingEvent::Stats { stats } => {
                if let Some(row) = self.known_viewer(&stats.viewer) {
                    let was_watching = row.state() == ViewerState::Watching;
                    row.apply_stats(stats);
                    return self.watching_now(&row, was_watching);
                }
            }
            SharingEvent::ViewerLeft { viewer, .. } => self.forget(viewer),
            // The Record row reads how far a recording has come itself.
            SharingEvent::RecordingStarted { .. } => {}
            SharingEvent::RecordingStopped {
                error: Some(message),
                ..
            } => {
                return Some(Notice::Problem {
                    message: message.clone(),
                })
            }
            SharingEvent::RecordingStopped { path, .. } => {
                let name = std::path::Path::new(path).file_name();
                let name = name.map_or(path.clone(), |n| n.to_string_lossy().into_owned());
                return Some(Notice::RecordingSaved { name });
            }
        }
        None
    }

    /// A viewer asks to join. The share refuses one over its limit without a word to the
    /// viewer list, so the model applies the same rule: a full share turns it away.
    fn viewer_asked(&self, id: &str, name: Option<&str>) -> Option<Notice> {
        if self.imp().gone.borrow().contains(id) {
            return None;
        }
        if let Some(row) = self.viewer(id) {
            // Added already by the share's first numbers; the request brings the name.
            row.set_display_name(name);
            return None;
        }
        if self.imp().viewers.n_items() >= self.max_viewers() {
            self.imp().gone.borrow_mut().insert(id.to_owned());
            return Some(Notice::ViewerTurnedAway {
                max: self.max_viewers(),
            });
        }
        self.add_viewer(id).set_display_name(name);
        None
    }

    /// A viewer the share reports on: shown, or added if its request came second (the
    /// share's and the signaller's events travel apart). `None` for one already gone.
    fn known_viewer(&self, id: &str) -> Option<ShareViewer> {
        if self.imp().gone.borrow().contains(id) {
            return None;
        }
        Some(self.viewer(id).unwrap_or_else(|| self.add_viewer(id)))
    }

    fn add_viewer(&self, id: &str) -> ShareViewer {
        let number = self.imp().numbers.borrow_mut().number(id);
        let viewer = ShareViewer::new(id, number);
        self.imp().viewers.append(&viewer);
        viewer
    }

    fn forget(&self, id: &str) {
        let imp = self.imp();
        imp.gone.borrow_mut().insert(id.to_owned());
        imp.numbers.borrow_mut().release(id);
        let viewers = &imp.viewers;
        if let Some(position) = viewers
            .iter::<ShareViewer>()
            .position(|v| v.is_ok_and(|v| v.id() == id))
        {
            viewers.remove(position as u32);
        }
    }

    fn watching_now(&self, viewer: &ShareViewer, was_watching: bool) -> Option<Notice> {
        (!was_watching && viewer.state() == ViewerState::Watching).then(|| Notice::ViewerWatching {
            label: viewer.label(),
        })
    }

    fn set_status(&self, state: ShareState, detail: &str) {
        if self.state() != state {
            self.imp().state.set(state);
            self.notify_state();
        }
        self.set_detail(detail);
    }

    fn set_detail(&self, detail: &str) {
        if *self.imp().detail.borrow() != detail {
            self.imp().detail.replace(detail.to_owned());
            self.notify_detail();
        }
    }

    fn set_link(&self, link: &str) {
        if *self.imp().link.borrow() != link {
            self.imp().link.replace(link.to_owned());
            self.notify_link();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtc::{ConnectionState, ViewerStats};

    fn joined(viewer: &str) -> SharingEvent {
        SharingEvent::ViewerJoined {
            viewer: viewer.into(),
            name: None,
        }
    }

    fn left(viewer: &str) -> SharingEvent {
        SharingEvent::ViewerLeft {
            viewer: viewer.into(),
            reason: "the viewer left".into(),
        }
    }

    fn connected(viewer: &str) -> SharingEvent {
        SharingEvent::ViewerState {
            viewer: viewer.into(),
            state: ConnectionState::Connected,
        }
    }

    fn labels(model: &ShareModel) -> Vec<String> {
        model
            .viewers()
            .iter::<ShareViewer>()
            .map(|v| v.unwrap().label())
            .collect()
    }

    /// Bug: with `len() + 1`, after Viewer 1 left the next viewer was a second "Viewer 3".
    #[test]
    fn labels_stay_unique_after_someone_leaves() {
        let model = ShareModel::default();
        model.start(16);
        for id in ["a", "b", "c"] {
            model.apply(&joined(id));
        }
        assert_eq!(labels(&model), ["Viewer 1", "Viewer 2", "Viewer 3"]);
        model.apply(&left("a"));
        model.apply(&joined("d"));
        model.apply(&joined("e"));
        let shown = labels(&model);
        let unique: HashSet<_> = shown.iter().collect();
        assert_eq!(
            unique.len(),
            shown.len(),
            "a label is on screen twice: {shown:?}"
        );
        assert_eq!(shown, ["Viewer 2", "Viewer 3", "Viewer 1", "Viewer 4"]);
    }

    /// Bug: a viewer the share refused over `--max-viewers` stayed "Joining…" for ever, with
    /// an "A viewer joined" toast.
    #[test]
    fn a_viewer_over_the_limit_is_turned_away_not_joining() {
        let model = ShareModel::default();
        model.start(1);
        assert_eq!(model.apply(&joined("first")), None);
        assert_eq!(
            model.apply(&connected("first")),
            Some(Notice::ViewerWatching {
                label: "Viewer 1".into()
            })
        );
        assert_eq!(
            model.apply(&joined("second")),
            Some(Notice::ViewerTurnedAway { max: 1 })
        );
        assert_eq!(labels(&model), ["Viewer 1"]);
        assert!(model.viewer("second").is_none());
        // Once the first leaves, a new viewer gets in.
        model.apply(&left("first"));
        model.apply(&joined("third"));
        assert_eq!(labels(&model), ["Viewer 1"]);
        assert_eq!(model.viewer("third").unwrap().summary(), "Joining…");
    }

    #[test]
    fn stats_show_as_one_line_and_late_events_of_a_gone_viewer_are_ignored() {
        let model = ShareModel::default();
        model.start(4);
        let rung = |height, bitrate| crate::rtc::RungStats {
            index: 0,
            width: height * 16 / 9,
            height,
            bitrate,
        };
        let stats = |viewer: &str| SharingEvent::Stats {
            stats: ViewerStats {
                viewer: viewer.into(),
                connection: ConnectionState::Connected,
                video_codec: Some(crate::rtc::Codec::Vp8),
                bitrate: 2_100_000,
                frame_rate: 30.0,
                rtt: Some(0.012),
                packet_loss: Some(0.0),
                nack_count: 0,
                keyframe_requests: 0,
                target_bitrate: 2_000_000,
                rung: Some(rung(480, 1_000_000)),
                published: Vec::new(),
            },
        };
        // The share's numbers may arrive before the signaller's request.
        assert!(matches!(
            model.apply(&stats("x")),
            Some(Notice::ViewerWatching { .. })
        ));
        model.apply(&joined("x"));
        let viewer = model.viewer("x").unwrap();
        assert_eq!(
            viewer.summary(),
            "VP8 · 480p · 2.1 Mbit/s (link 2.0) · 30 fps · RTT 12 ms · loss 0 %"
        );
        // An SFU is sent every rung: each with its bitrate.
        let mut sfu = stats("sfu");
        if let SharingEvent::Stats { stats } = &mut sfu {
            stats.rung = None;
            stats.target_bitrate = 0;
            stats.published = vec![rung(720, 2_100_000), rung(480, 1_000_000)];
        }
        model.apply(&joined("sfu"));
        model.apply(&sfu);
        assert_eq!(
            model.viewer("sfu").unwrap().summary(),
            "VP8 · simulcast 720p 2.1 + 480p 1.0 Mbit/s · 2.1 Mbit/s · 30 fps · RTT 12 ms · loss 0 %"
        );
        model.apply(&left("sfu"));
        model.apply(&left("x"));
        model.apply(&stats("x"));
        assert_eq!(model.viewers().n_items(), 0);
    }

    /// The panel names viewers as the terminal does: the name each gave, or "Viewer N".
    #[test]
    fn viewers_are_labelled_with_the_names_they_gave() {
        let model = ShareModel::default();
        model.start(4);
        model.apply(&SharingEvent::ViewerJoined {
            viewer: "a".into(),
            name: Some("Ana".into()),
        });
        model.apply(&joined("b"));
        // The share's numbers came first; the request then brings the name.
        model.apply(&connected("c"));
        model.apply(&SharingEvent::ViewerJoined {
            viewer: "c".into(),
            name: Some("Cy".into()),
        });
        assert_eq!(labels(&model), ["Ana", "Viewer 2", "Cy"]);
        model.apply(&SharingEvent::ViewerNamed {
            viewer: "b".into(),
            name: Some("Bo".into()),
        });
        model.apply(&SharingEvent::ViewerNamed {
            viewer: "a".into(),
            name: None,
        });
        assert_eq!(labels(&model), ["Viewer 1", "Bo", "Cy"]);
    }

    #[test]
    fn the_state_follows_signalling() {
        let model = ShareModel::default();
        assert_eq!(model.state(), ShareState::Idle);
        model.start(16);
        assert_eq!(model.state(), ShareState::Connecting);
        model.apply(&SharingEvent::Registered {
            peer_id: "p".into(),
        });
        assert_eq!(model.state(), ShareState::Sharing);
        model.apply(&SharingEvent::Reconnecting {
            attempt: 1,
            retry_in_ms: 1500,
        });
        assert_eq!(model.state(), ShareState::Reconnecting);
        assert_eq!(
            model.detail(),
            "Next try in 2 seconds; viewers keep watching"
        );
        let refused = model.apply(&SharingEvent::Refused {
            message: "no such room".into(),
        });
        assert_eq!(model.state(), ShareState::Refused);
        assert!(matches!(refused, Some(Notice::Problem { .. })));
        model.stop();
        assert_eq!(model.state(), ShareState::Idle);
    }
}
