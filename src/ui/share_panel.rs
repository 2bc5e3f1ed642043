//! The share panel beside the video: where to share, then the share's state, its link and
//! its viewers with their numbers. A view only: it binds to a [`ShareModel`], which the
//! window feeds.

use std::cell::{Cell, RefCell};
use std::net::{IpAddr, Ipv4Addr};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib, CompositeTemplate};

use super::qr_texture::qr_texture;
use super::record_row::ReelcastRecordRow;
use super::settings::ShareSettings;
use super::share_model::{ShareModel, ShareState};
use super::share_viewer::ShareViewer;
use crate::sharing::{local_networks, LocalNetwork, NetworkKind};

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
        pub network_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub network_names: TemplateChild<gtk::StringList>,
        /// What each of `network_names` stands for, in its order.
        pub networks: RefCell<Vec<Audience>>,
        /// The interface the person picked: kept while it is away (a Wi-Fi not joined yet).
        pub wanted_network: RefCell<String>,
        /// Where the pick is kept (the preferences), once given.
        pub settings: RefCell<Option<gio::Settings>>,
        /// Set while the list is rebuilt, so that rebuilding is not taken for a pick.
        pub refreshing: Cell<bool>,
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

    impl ObjectImpl for ReelcastSharePanel {
        fn constructed(&self) {
            self.parent_constructed();
            let panel = self.obj().downgrade();
            self.network_row.connect_selected_notify(move |_| {
                if let Some(panel) = panel.upgrade() {
                    panel.network_picked();
                }
            });
            self.obj().refresh_networks();
        }
    }
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
    /// The address the embedded server listens on and its link names.
    pub host: IpAddr,
}

/// Who can open the link of a share from this computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    ThisComputer,
    Network(LocalNetwork),
    /// An address the command line gave (`--host`) that no interface has now.
    Address(IpAddr),
}

impl Audience {
    fn host(&self) -> IpAddr {
        match self {
            Audience::ThisComputer => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Audience::Network(network) => network.address,
            Audience::Address(address) => *address,
        }
    }

    fn interface(&self) -> &str {
        match self {
            Audience::Network(network) => &network.interface,
            _ => "",
        }
    }

    /// As a person knows it: the kind of network, its interface and the address people open.
    fn label(&self) -> String {
        let (format, network) = match self {
            Audience::ThisComputer => return gettext("This Computer Only"),
            Audience::Address(address) => return address.to_string(),
            Audience::Network(network) => match network.kind {
                NetworkKind::Wireless => (gettext("Wi-Fi ({interface}): {address}"), network),
                NetworkKind::Wired => (gettext("Wired ({interface}): {address}"), network),
                NetworkKind::Virtual => {
                    (gettext("Virtual network ({interface}): {address}"), network)
                }
            },
        };
        format
            .replace("{interface}", &network.interface)
            .replace("{address}", &network.address.to_string())
    }
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

    /// Fills in the form from the preferences, where the network picked is kept from now on.
    pub fn set_defaults(&self, share: &ShareSettings, settings: &gio::Settings) {
        let imp = self.imp();
        imp.url_row
            .set_text(share.choices.signalling.as_deref().unwrap_or_default());
        imp.name_row
            .set_text(share.choices.name.as_deref().unwrap_or_default());
        imp.wanted_network
            .replace(settings.string("share-network").to_string());
        imp.settings.replace(Some(settings.clone()));
        self.refresh_networks();
    }

    /// Shows a choice made elsewhere (the command line).
    pub fn set_choice(&self, signalling: Option<&str>, name: &str, host: IpAddr) {
        let imp = self.imp();
        match signalling {
            Some(_) => imp.server_check.set_active(true),
            None => imp.local_check.set_active(true),
        }
        if let Some(url) = signalling {
            imp.url_row.set_text(url);
        }
        imp.name_row.set_text(name);
        self.refresh_networks();
        let found = imp.networks.borrow().iter().position(|a| a.host() == host);
        let at = found.unwrap_or_else(|| {
            imp.networks.borrow_mut().push(Audience::Address(host));
            imp.network_names.append(&host.to_string());
            imp.networks.borrow().len() - 1
        });
        // The command line's choice is for this run: the preferences keep theirs.
        imp.refreshing.set(true);
        imp.network_row.set_selected(at as u32);
        imp.refreshing.set(false);
    }

    pub fn choice(&self) -> ShareChoice {
        let imp = self.imp();
        let url = imp.url_row.text().trim().to_owned();
        let host = imp
            .networks
            .borrow()
            .get(imp.network_row.selected() as usize)
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), Audience::host);
        ShareChoice {
            signalling: (imp.server_check.is_active()).then_some(url),
            name: imp.name_row.text().trim().to_owned(),
            host,
        }
    }

    /// Lists the networks this computer is on now, the person's pick still chosen if it is
    /// there (else this computer only, until it comes back).
    pub fn refresh_networks(&self) {
        let imp = self.imp();
        let mut audiences = vec![Audience::ThisComputer];
        audiences.extend(local_networks().into_iter().map(Audience::Network));
        let wanted = imp.wanted_network.borrow().clone();
        let at = audiences
            .iter()
            .position(|a| !wanted.is_empty() && a.interface() == wanted)
            .unwrap_or(0);
        let labels: Vec<String> = audiences.iter().map(Audience::label).collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        imp.refreshing.set(true);
        imp.network_names
            .splice(0, imp.network_names.n_items(), &labels);
        imp.networks.replace(audiences);
        imp.network_row.set_selected(at as u32);
        imp.refreshing.set(false);
    }

    /// The person picked a network: kept for the next share, and in the preferences.
    fn network_picked(&self) {
        let imp = self.imp();
        if imp.refreshing.get() {
            return;
        }
        let selected = imp.network_row.selected() as usize;
        let Some(interface) = imp
            .networks
            .borrow()
            .get(selected)
            .map(|a| a.interface().to_owned())
        else {
            return;
        };
        imp.wanted_network.replace(interface.clone());
        if let Some(settings) = imp.settings.borrow().as_ref() {
            if let Err(e) = settings.set_string("share-network", &interface) {
                tracing::warn!("the network picked is not kept: {e}");
            }
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
        // Back at the form: the networks may have changed since (a Wi-Fi joined or left).
        let panel = self.downgrade();
        model.connect_notify_local(Some("state"), move |model, _| {
            if let (Some(panel), ShareState::Idle) = (panel.upgrade(), model.state()) {
                panel.refresh_networks();
            }
        });
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
