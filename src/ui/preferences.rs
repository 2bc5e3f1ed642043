//! The preferences window: every row is bound to a GSettings key, so changes are saved as
//! they are made and the next share uses them.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib, CompositeTemplate};

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
        pub stun_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub turn_row: TemplateChild<adw::EntryRow>,
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
        settings.bind("turn-server", &*imp.turn_row, "text").build();
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
}
