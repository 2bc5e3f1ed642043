//! The share panel beside the video: where to share, then the share's state, its link and
//! its viewers with their numbers. A view only: the window owns the share and feeds this
//! panel its events.

use std::cell::RefCell;
use std::collections::HashMap;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{glib, CompositeTemplate};

use crate::rtc::{ConnectionState, ViewerStats};
use crate::sharing::SharingEvent;

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(resource = "/io/github/reelcast/Reelcast/ui/share_panel.ui")]
    pub struct ReelcastSharePanel {
        #[template_child]
        pub stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub local_check: TemplateChild<gtk::CheckButton>,
        #[template_child]
        pub server_check: TemplateChild<gtk::CheckButton>,
        #[template_child]
        pub url_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub name_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub status_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub status_icon: TemplateChild<gtk::Image>,
        #[template_child]
        pub link_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub viewer_list: TemplateChild<gtk::ListBox>,
        pub viewers: RefCell<HashMap<String, adw::ActionRow>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ReelcastSharePanel {
        const NAME: &'static str = "ReelcastSharePanel";
        type Type = super::ReelcastSharePanel;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for ReelcastSharePanel {}
    /// A side panel, not half the window: its natural width is capped so the video keeps
    /// the room (long labels wrap instead).
    const NATURAL_WIDTH: i32 = 360;

    impl WidgetImpl for ReelcastSharePanel {
        fn measure(&self, orientation: gtk::Orientation, for_size: i32) -> (i32, i32, i32, i32) {
            let (min, natural, min_baseline, natural_baseline) =
                self.parent_measure(orientation, for_size);
            if orientation == gtk::Orientation::Horizontal {
                (
                    min,
                    natural.min(NATURAL_WIDTH.max(min)),
                    min_baseline,
                    natural_baseline,
                )
            } else {
                (min, natural, min_baseline, natural_baseline)
            }
        }
    }
    impl BoxImpl for ReelcastSharePanel {}
}

glib::wrapper! {
    pub struct ReelcastSharePanel(ObjectSubclass<imp::ReelcastSharePanel>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

/// Where the person chose to share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareChoice {
    /// `None`: on this computer (the embedded default).
    pub signalling: Option<String>,
    pub name: String,
}

impl Default for ReelcastSharePanel {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl ReelcastSharePanel {
    /// Fills in the form from the preferences.
    pub fn set_defaults(&self, signalling_url: &str, name: &str) {
        let imp = self.imp();
        imp.url_row.set_text(signalling_url);
        imp.name_row.set_text(name);
    }

    /// Shows a choice made elsewhere (the command line).
    pub fn set_choice(&self, signalling: Option<&str>, name: &str) {
        let imp = self.imp();
        match signalling {
            Some(_) => imp.server_check.set_active(true),
            None => imp.local_check.set_active(true),
        }
        if let Some(url) = signalling {
            imp.url_row.set_text(url);
        }
        imp.name_row.set_text(name);
    }

    pub fn choice(&self) -> ShareChoice {
        let imp = self.imp();
        let url = imp.url_row.text().trim().to_owned();
        ShareChoice {
            signalling: (imp.server_check.is_active()).then_some(url),
            name: imp.name_row.text().trim().to_owned(),
        }
    }

    /// Back to the form (the share stopped).
    pub fn show_setup(&self) {
        let imp = self.imp();
        imp.stack.set_visible_child_name("setup");
        for (_, row) in imp.viewers.borrow_mut().drain() {
            imp.viewer_list.remove(&row);
        }
    }

    pub fn show_live(&self) {
        let imp = self.imp();
        imp.link_row.set_visible(false);
        self.set_status("Connecting…", "network-transmit-receive-symbolic", None);
        imp.stack.set_visible_child_name("live");
    }

    /// The viewer link, when sharing on this computer.
    pub fn link(&self) -> Option<String> {
        let row = &self.imp().link_row;
        row.is_visible()
            .then(|| row.subtitle().map(|s| s.to_string()))
            .flatten()
    }

    fn set_status(&self, title: &str, icon: &str, subtitle: Option<&str>) {
        let imp = self.imp();
        imp.status_row.set_title(title);
        imp.status_row.set_subtitle(subtitle.unwrap_or(""));
        imp.status_icon.set_icon_name(Some(icon));
    }

    pub fn apply(&self, event: &SharingEvent) {
        let imp = self.imp();
        match event {
            SharingEvent::ViewerUrl { url, .. } => {
                imp.link_row.set_subtitle(url);
                imp.link_row.set_visible(true);
            }
            SharingEvent::Connecting => {
                self.set_status("Connecting…", "network-transmit-receive-symbolic", None)
            }
            SharingEvent::Registered { .. } => self.set_status(
                "Sharing",
                "emblem-ok-symbolic",
                Some("Viewers can join now"),
            ),
            SharingEvent::Reconnecting { retry_in_ms, .. } => self.set_status(
                "Reconnecting",
                "network-error-symbolic",
                Some(&format!(
                    "Next try in {:.0} s; viewers keep watching",
                    (*retry_in_ms as f64 / 1000.0).ceil()
                )),
            ),
            SharingEvent::Error { message } => {
                imp.status_row.set_subtitle(message);
            }
            SharingEvent::Refused { message } => {
                self.set_status("Refused", "dialog-error-symbolic", Some(message))
            }
            SharingEvent::ViewerJoined { viewer } => {
                self.viewer_row(viewer).set_subtitle("Joining…");
            }
            SharingEvent::ViewerState { viewer, state } => {
                if *state != ConnectionState::Connected {
                    self.viewer_row(viewer)
                        .set_subtitle(&format!("{state:?}").to_lowercase());
                }
            }
            SharingEvent::Stats { stats } => {
                self.viewer_row(&stats.viewer)
                    .set_subtitle(&describe_stats(stats));
            }
            SharingEvent::ViewerLeft { viewer, .. } => {
                if let Some(row) = imp.viewers.borrow_mut().remove(viewer) {
                    imp.viewer_list.remove(&row);
                }
            }
        }
    }

    fn viewer_row(&self, viewer: &str) -> adw::ActionRow {
        let imp = self.imp();
        if let Some(row) = imp.viewers.borrow().get(viewer) {
            return row.clone();
        }
        let number = imp.viewers.borrow().len() + 1;
        let row = adw::ActionRow::builder()
            .title(format!("Viewer {number}"))
            .tooltip_text(viewer)
            .build();
        row.add_prefix(&gtk::Image::from_icon_name("avatar-default-symbolic"));
        imp.viewer_list.append(&row);
        imp.viewers
            .borrow_mut()
            .insert(viewer.to_owned(), row.clone());
        row
    }
}

/// One line a person can read: codec, bitrate, frame rate, round trip, loss.
fn describe_stats(stats: &ViewerStats) -> String {
    let mut parts = Vec::new();
    if let Some(codec) = stats.video_codec {
        parts.push(codec.to_string().to_uppercase());
    }
    parts.push(format!("{:.1} Mbit/s", stats.bitrate as f64 / 1e6));
    parts.push(format!("{:.0} fps", stats.frame_rate));
    if let Some(rtt) = stats.rtt {
        parts.push(format!("RTT {:.0} ms", rtt * 1000.0));
    }
    if let Some(loss) = stats.packet_loss {
        parts.push(format!("loss {:.0} %", loss * 100.0));
    }
    parts.join(" · ")
}
