//! The share panel beside the video: where to share, then the share's state, its link and
//! its viewers with their numbers. A view only: it binds to a [`ShareModel`], which the
//! window feeds.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{glib, CompositeTemplate};

use super::qr_texture::qr_texture;
use super::record_row::ReelcastRecordRow;
use super::share_model::{ShareModel, ShareState};
use super::share_viewer::ShareViewer;

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
        pub qr_picture: TemplateChild<gtk::Picture>,
        #[template_child]
        pub qr_note: TemplateChild<gtk::Label>,
        #[template_child]
        pub viewer_list: TemplateChild<gtk::ListBox>,
        #[template_child]
        pub record_row: TemplateChild<ReelcastRecordRow>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ReelcastSharePanel {
        const NAME: &'static str = "ReelcastSharePanel";
        type Type = super::ReelcastSharePanel;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            ReelcastRecordRow::ensure_type();
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
    pub fn record_row(&self) -> &ReelcastRecordRow {
        &self.imp().record_row
    }

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

    /// Shows `model`: the form while it is idle, then its state, link and viewers.
    pub fn bind(&self, model: &ShareModel) {
        let imp = self.imp();
        model
            .bind_property("state", &*imp.stack, "visible-child-name")
            .transform_to(|_, state: ShareState| {
                Some(if state == ShareState::Idle {
                    "setup"
                } else {
                    "live"
                })
            })
            .sync_create()
            .build();
        model
            .bind_property("state", &*imp.status_row, "title")
            .transform_to(|_, state: ShareState| Some(status_title(state)))
            .sync_create()
            .build();
        model
            .bind_property("state", &*imp.status_icon, "icon-name")
            .transform_to(|_, state: ShareState| Some(status_icon(state)))
            .sync_create()
            .build();
        model
            .bind_property("detail", &*imp.status_row, "subtitle")
            .sync_create()
            .build();
        model
            .bind_property("link", &*imp.link_row, "subtitle")
            .sync_create()
            .build();
        model
            .bind_property("link", &*imp.link_row, "visible")
            .transform_to(|_, link: String| Some(!link.is_empty()))
            .sync_create()
            .build();
        let (picture, note) = (imp.qr_picture.downgrade(), imp.qr_note.downgrade());
        let show_code = move |model: &ShareModel| {
            let (Some(picture), Some(note)) = (picture.upgrade(), note.upgrade()) else {
                return;
            };
            let link = model.link();
            let texture = (!link.is_empty()).then(|| qr_texture(&link)).flatten();
            picture.set_visible(texture.is_some());
            picture.set_paintable(texture.as_ref());
            // A phone cannot open this computer's loopback address: say so under the code.
            note.set_visible(texture.is_some() && links_to_loopback(&link));
        };
        show_code(model);
        model.connect_notify_local(Some("link"), move |model, _| show_code(model));
        imp.viewer_list
            .bind_model(Some(&model.viewers()), viewer_row);
    }
}

/// Whether `link` names this computer's loopback address (`127.0.0.1`, `[::1]`, `localhost`).
fn links_to_loopback(link: &str) -> bool {
    let Ok(url) = url::Url::parse(link) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A row whose title and line follow the viewer.
fn viewer_row(item: &glib::Object) -> gtk::Widget {
    let row = adw::ActionRow::new();
    row.add_prefix(&gtk::Image::from_icon_name("avatar-default-symbolic"));
    if let Some(viewer) = item.downcast_ref::<ShareViewer>() {
        row.set_tooltip_text(Some(&viewer.id()));
        // A display name is remote input: shown as text, never read as markup.
        row.set_use_markup(false);
        viewer
            .bind_property("label", &row, "title")
            .sync_create()
            .build();
        viewer
            .bind_property("summary", &row, "subtitle")
            .sync_create()
            .build();
    }
    row.upcast()
}

fn status_title(state: ShareState) -> String {
    match state {
        ShareState::Idle => gettext("Not Sharing"),
        ShareState::Connecting => gettext("Connecting…"),
        ShareState::Sharing => gettext("Sharing"),
        ShareState::Reconnecting => gettext("Reconnecting"),
        ShareState::Refused => gettext("Refused"),
    }
}

fn status_icon(state: ShareState) -> &'static str {
    match state {
        ShareState::Idle | ShareState::Connecting => "network-transmit-receive-symbolic",
        ShareState::Sharing => "emblem-ok-symbolic",
        ShareState::Reconnecting => "network-error-symbolic",
        ShareState::Refused => "dialog-error-symbolic",
    }
}
