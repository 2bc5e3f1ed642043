//! One viewer of the share as the panel shows it: a GObject whose properties rows bind to.

use std::cell::{Cell, RefCell};

use gettextrs::gettext;
use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use crate::rtc::{ConnectionState, ViewerStats};
use crate::sharing::viewer_label;

/// Where a viewer's connection is, as a person reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, glib::Enum)]
#[enum_type(name = "ReelcastViewerState")]
pub enum ViewerState {
    /// Asked to join; nothing from its connection yet.
    #[default]
    Joining,
    Connecting,
    Watching,
    Disconnected,
    Failed,
}

impl From<ConnectionState> for ViewerState {
    fn from(state: ConnectionState) -> Self {
        match state {
            ConnectionState::New | ConnectionState::Connecting => Self::Connecting,
            ConnectionState::Connected => Self::Watching,
            ConnectionState::Disconnected => Self::Disconnected,
            ConnectionState::Failed | ConnectionState::Closed => Self::Failed,
        }
    }
}

mod imp {
    use super::*;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::ShareViewer)]
    pub struct ShareViewer {
        /// The signalling session's id.
        #[property(get, construct_only)]
        pub id: RefCell<String>,
        /// "Viewer N": N is unique among the viewers shown.
        #[property(get, construct_only)]
        pub number: Cell<u32>,
        /// The display name the viewer gave, or "Viewer N".
        #[property(get)]
        pub label: RefCell<String>,
        #[property(get, set, builder(ViewerState::default()))]
        pub state: Cell<ViewerState>,
        /// The video codec it receives, upper case; empty until known.
        #[property(get)]
        pub codec: RefCell<String>,
        /// Bits per second sent to it.
        #[property(get)]
        pub bitrate: Cell<u64>,
        #[property(get)]
        pub fps: Cell<f64>,
        /// Round trip in seconds; negative until known.
        #[property(get)]
        pub rtt: Cell<f64>,
        /// Fraction of packets lost; negative until known.
        #[property(get)]
        pub loss: Cell<f64>,
        /// What it is sent: its rung's size ("480p"), or to an SFU every rung published
        /// with its bitrate ("simulcast 720p 2.1 + 480p 1.0 + 240p 0.3 Mbit/s").
        #[property(get)]
        pub sizes: RefCell<String>,
        /// What its link carries, as its estimator says, in bits per second; 0 unknown.
        #[property(get)]
        pub estimate: Cell<u32>,
        /// One line with the state or the numbers.
        #[property(get)]
        pub summary: RefCell<String>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ShareViewer {
        const NAME: &'static str = "ReelcastShareViewer";
        type Type = super::ShareViewer;
    }

    #[glib::derived_properties]
    impl ObjectImpl for ShareViewer {
        fn constructed(&self) {
            self.parent_constructed();
            let obj = self.obj();
            self.label.replace(obj.label_for(None));
            self.rtt.set(-1.0);
            self.loss.set(-1.0);
            obj.connect_state_notify(|viewer| viewer.refresh_summary());
            obj.refresh_summary();
        }
    }
}

glib::wrapper! {
    pub struct ShareViewer(ObjectSubclass<imp::ShareViewer>);
}

impl ShareViewer {
    pub fn new(id: &str, number: u32) -> Self {
        glib::Object::builder()
            .property("id", id)
            .property("number", number)
            .build()
    }

    /// The viewer gave a display name (already cleaned by signalling), changed it or took it
    /// back: the label follows.
    pub fn set_display_name(&self, name: Option<&str>) {
        let label = self.label_for(name);
        if *self.imp().label.borrow() != label {
            self.imp().label.replace(label);
            self.notify_label();
        }
    }

    /// The name it gave, or "Viewer N" with the number the share model gave it.
    fn label_for(&self, name: Option<&str>) -> String {
        viewer_label(name, self.number(), &gettext("Viewer {number}"))
    }

    /// The last second's numbers; the connection state comes with them.
    pub fn apply_stats(&self, stats: &ViewerStats) {
        let imp = self.imp();
        let codec = stats
            .video_codec
            .map(|c| c.to_string().to_uppercase())
            .unwrap_or_default();
        if *imp.codec.borrow() != codec {
            imp.codec.replace(codec);
            self.notify_codec();
        }
        imp.bitrate.set(stats.bitrate);
        self.notify_bitrate();
        let sizes = describe_sizes(stats);
        if *imp.sizes.borrow() != sizes {
            imp.sizes.replace(sizes);
            self.notify_sizes();
        }
        imp.estimate.set(stats.target_bitrate);
        self.notify_estimate();
        imp.fps.set(stats.frame_rate);
        self.notify_fps();
        imp.rtt.set(stats.rtt.unwrap_or(-1.0));
        self.notify_rtt();
        imp.loss.set(stats.packet_loss.unwrap_or(-1.0));
        self.notify_loss();
        // Numbers come while it watches; setting the state refreshes the summary.
        let state = ViewerState::from(stats.connection);
        if self.state() == state {
            self.refresh_summary();
        } else {
            self.set_state(state);
        }
    }

    fn refresh_summary(&self) {
        let summary = match self.state() {
            ViewerState::Joining => gettext("Joining…"),
            ViewerState::Connecting => gettext("Connecting…"),
            ViewerState::Disconnected => gettext("Connection lost; waiting for it to come back"),
            ViewerState::Failed => gettext("Connection failed"),
            ViewerState::Watching if self.imp().bitrate.get() == 0 => gettext("Watching"),
            ViewerState::Watching => self.describe_numbers(),
        };
        if *self.imp().summary.borrow() != summary {
            self.imp().summary.replace(summary);
            self.notify_summary();
        }
    }

    /// Codec, bitrate, frame rate, round trip, loss: "VP8 · 2.1 Mbit/s · 30 fps · …".
    fn describe_numbers(&self) -> String {
        let mut parts = Vec::new();
        let codec = self.codec();
        if !codec.is_empty() {
            parts.push(codec);
        }
        let sizes = self.sizes();
        if !sizes.is_empty() {
            parts.push(sizes);
        }
        let rate = format!("{:.1}", self.bitrate() as f64 / 1e6);
        parts.push(if self.estimate() > 0 {
            gettext("{rate} Mbit/s (link {estimate})")
                .replace("{rate}", &rate)
                .replace(
                    "{estimate}",
                    &format!("{:.1}", self.estimate() as f64 / 1e6),
                )
        } else {
            gettext("{rate} Mbit/s").replace("{rate}", &rate)
        });
        parts.push(gettext("{fps} fps").replace("{fps}", &format!("{:.0}", self.fps())));
        if self.rtt() >= 0.0 {
            parts.push(
                gettext("RTT {ms} ms").replace("{ms}", &format!("{:.0}", self.rtt() * 1000.0)),
            );
        }
        if self.loss() >= 0.0 {
            parts.push(
                gettext("loss {percent} %")
                    .replace("{percent}", &format!("{:.0}", self.loss() * 100.0)),
            );
        }
        parts.join(" · ")
    }
}

/// "480p" for a viewer on one rung; "simulcast 720p 2.1 + 480p 1.0 Mbit/s" for an SFU.
fn describe_sizes(stats: &ViewerStats) -> String {
    if !stats.published.is_empty() {
        let rungs: Vec<String> = stats
            .published
            .iter()
            .map(|r| format!("{}p {:.1}", r.height, r.bitrate as f64 / 1e6))
            .collect();
        return gettext("simulcast {rungs} Mbit/s").replace("{rungs}", &rungs.join(" + "));
    }
    stats
        .rung
        .map(|r| format!("{}p", r.height))
        .unwrap_or_default()
}
