//! The preferences window: every row is bound to a GSettings key, so changes are saved as
//! they are made and the next share uses them. The TURN row is the exception: it is applied
//! (Apply, Enter, closing the window), its passwords go to the keyring and the key keeps the
//! addresses only (see `turn_settings`).

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib, CompositeTemplate};

use super::turn_settings::{
    apply_turn_servers, saved_turn_problem, shown_turn_servers, turn_problem_reason, TURN_KEY,
};
use crate::rtc::Codec;

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(resource = "/io/github/reelcast/Reelcast/ui/preferences.ui")]
    pub struct ReelcastPreferences {
        #[template_child]
        pub signalling_url_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub share_name_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub codec_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub size_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub rate_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub bitrate_adjustment: TemplateChild<gtk::Adjustment>,
        #[template_child]
        pub share_subtitles_switch: TemplateChild<gtk::Switch>,
        #[template_child]
        pub simulcast_switch: TemplateChild<gtk::Switch>,
        #[template_child]
        pub stun_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub turn_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub recording_folder_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub recording_folder_button: TemplateChild<gtk::Button>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ReelcastPreferences {
        const NAME: &'static str = "ReelcastPreferences";
        type Type = super::ReelcastPreferences;
        type ParentType = adw::PreferencesWindow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for ReelcastPreferences {}
    impl WidgetImpl for ReelcastPreferences {}
    impl WindowImpl for ReelcastPreferences {}
    impl AdwWindowImpl for ReelcastPreferences {}
    impl PreferencesWindowImpl for ReelcastPreferences {}
}

glib::wrapper! {
    pub struct ReelcastPreferences(ObjectSubclass<imp::ReelcastPreferences>)
        @extends adw::PreferencesWindow, adw::Window, gtk::Window, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Native,
                    gtk::Root, gtk::ShortcutManager;
}

/// Sizes (lines) and frame rates in the order of their combo rows; 0 is "as the file".
const HEIGHTS: [u32; 7] = [0, 2160, 1440, 1080, 720, 480, 360];
const RATES: [u32; 5] = [0, 60, 30, 24, 15];

/// Keeps a combo row and an unsigned key in step; a value not in `choices` shows the nearest.
fn bind_choice(
    settings: &gio::Settings,
    key: &'static str,
    row: &adw::ComboRow,
    choices: &'static [u32],
) {
    let current = settings.uint(key);
    let index = choices
        .iter()
        .enumerate()
        .min_by_key(|(_, c)| c.abs_diff(current))
        .map(|(i, _)| i)
        .unwrap_or(0);
    row.set_selected(index as u32);
    let settings = settings.clone();
    row.connect_selected_notify(move |row| {
        if let Some(value) = choices.get(row.selected() as usize) {
            let _ = settings.set_uint(key, *value);
        }
    });
}

/// Shows `text` in the TURN row as applied: no Apply button for what the row says itself.
fn show_turn_text(row: &adw::EntryRow, text: &str) {
    row.set_show_apply_button(false);
    row.set_text(text);
    row.set_show_apply_button(true);
}

impl ReelcastPreferences {
    pub fn new(parent: &impl IsA<gtk::Window>, settings: &gio::Settings) -> Self {
        let window: Self = glib::Object::builder()
            .property("transient-for", parent)
            .property("modal", true)
            .build();
        let imp = window.imp();
        settings
            .bind("signalling-url", &*imp.signalling_url_row, "text")
            .build();
        settings
            .bind("share-name", &*imp.share_name_row, "text")
            .build();
        settings.bind("stun-server", &*imp.stun_row, "text").build();
        settings
            .bind("share-subtitles", &*imp.share_subtitles_switch, "active")
            .build();
        settings
            .bind("simulcast", &*imp.simulcast_switch, "active")
            .build();
        window.bind_turn_servers(settings);
        window.bind_recording_folder(settings);
        settings
            .bind("max-bitrate", &*imp.bitrate_adjustment, "value")
            .build();
        bind_choice(settings, "max-height", &imp.size_row, &HEIGHTS);
        bind_choice(settings, "max-frame-rate", &imp.rate_row, &RATES);
        let current = settings.string("video-codec");
        // The combo row lists the video codecs in the call layer's order.
        let index = Codec::VIDEO
            .iter()
            .position(|c| c.to_string() == current)
            .unwrap_or(0);
        imp.codec_row.set_selected(index as u32);
        let settings = settings.clone();
        imp.codec_row.connect_selected_notify(move |row| {
            if let Some(codec) = Codec::VIDEO.get(row.selected() as usize) {
                let _ = settings.set_string("video-codec", &codec.to_string());
            }
        });
        window
    }

    /// The row shows where recordings go (the Videos folder while the key is empty); Choose…
    /// picks another folder.
    fn bind_recording_folder(&self, settings: &gio::Settings) {
        let row = self.imp().recording_folder_row.downgrade();
        let show = move |settings: &gio::Settings, _: &str| {
            let folder = settings.string("recording-folder");
            let shown = match folder.as_str() {
                "" => gettextrs::gettext("Your Videos folder"),
                folder => folder.to_owned(),
            };
            if let Some(row) = row.upgrade() {
                row.set_subtitle(&glib::markup_escape_text(&shown));
            }
        };
        show(settings, "");
        settings.connect_changed(Some("recording-folder"), show);
        let window = self.downgrade();
        let settings = settings.clone();
        self.imp()
            .recording_folder_button
            .connect_clicked(move |_| {
                let chooser = gtk::FileChooserNative::new(
                    Some(&gettextrs::gettext("Recordings Folder")),
                    window.upgrade().as_ref(),
                    gtk::FileChooserAction::SelectFolder,
                    None,
                    None,
                );
                let settings = settings.clone();
                // A native dialog must be held while it shows: until its answer.
                let held = std::rc::Rc::new(std::cell::RefCell::new(Some(chooser.clone())));
                chooser.connect_response(move |chooser, response| {
                    let folder = chooser.file().and_then(|f| f.path());
                    if let (gtk::ResponseType::Accept, Some(folder)) = (response, folder) {
                        let _ = settings.set_string("recording-folder", &folder.to_string_lossy());
                    }
                    held.borrow_mut().take();
                });
                chooser.show();
            });
    }

    /// The TURN row shows the key's addresses; what the person types is applied on Apply,
    /// Enter and when the window closes, never shown back with its passwords.
    fn bind_turn_servers(&self, settings: &gio::Settings) {
        let row = &*self.imp().turn_row;
        show_turn_text(row, &shown_turn_servers(&settings.string(TURN_KEY)));
        let apply = {
            let window = self.downgrade();
            let settings = settings.clone();
            move || {
                if let Some(window) = window.upgrade() {
                    window.apply_turn_row(&settings);
                }
            }
        };
        let on_apply = apply.clone();
        row.connect_apply(move |_| on_apply());
        let on_enter = apply.clone();
        row.connect_entry_activated(move |_| on_enter());
        self.connect_close_request(move |_| {
            apply();
            glib::Propagation::Proceed
        });
        // The key changed elsewhere (the passwords moved out at start): show it, unless the
        // person is typing.
        let row_weak = row.downgrade();
        settings.connect_changed(Some(TURN_KEY), move |settings, key| {
            let Some(row) = row_weak.upgrade() else {
                return;
            };
            let shown = shown_turn_servers(&settings.string(key));
            if row.text() == shown_turn_servers(&row.text()) {
                show_turn_text(&row, &shown);
            }
        });
    }

    /// Saves the TURN row if it says something new: passwords into the keyring (on the
    /// networking runtime), the addresses into the key; the row then shows the addresses.
    fn apply_turn_row(&self, settings: &gio::Settings) {
        let row = &*self.imp().turn_row;
        let typed = row.text().to_string();
        if typed == shown_turn_servers(&settings.string(TURN_KEY)) {
            return;
        }
        // At once, so that the password is not left on screen while the keyring works.
        show_turn_text(row, &shown_turn_servers(&typed));
        let window = self.downgrade();
        let parent = self.transient_for();
        let settings = settings.clone();
        glib::spawn_future_local(async move {
            let problems = apply_turn_servers(&settings, &typed).await;
            for problem in problems {
                let toast = adw::Toast::builder()
                    .title(format!(
                        "{} {}",
                        saved_turn_problem(&problem),
                        turn_problem_reason(&problem.error)
                    ))
                    .timeout(10)
                    .build();
                // The preferences while they are open, else the window under them.
                match window.upgrade().filter(|w| w.is_visible()) {
                    Some(window) => window.add_toast(toast),
                    None => {
                        if let Some(parent) = parent
                            .as_ref()
                            .and_then(|p| p.downcast_ref::<super::window::ReelcastWindow>())
                        {
                            parent.add_toast(toast);
                        }
                    }
                }
            }
        });
    }
}
