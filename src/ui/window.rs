use std::cell::{Cell, OnceCell};
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib, CompositeTemplate};

use crate::media::{
    AudioOutput, MediaKind, PlaybackState, Player, PlayerError, PlayerEvent, PlayerOptions,
    SeekMode, VideoOutput,
};
use crate::report::{clock, event_json};

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(resource = "/io/github/reelcast/Reelcast/ui/window.ui")]
    pub struct ReelcastWindow {
        #[template_child]
        pub toast_overlay: TemplateChild<adw::ToastOverlay>,
        #[template_child]
        pub window_title: TemplateChild<adw::WindowTitle>,
        #[template_child]
        pub stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub picture: TemplateChild<gtk::Picture>,
        #[template_child]
        pub play_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub seek_scale: TemplateChild<gtk::Scale>,
        #[template_child]
        pub seek_adjustment: TemplateChild<gtk::Adjustment>,
        #[template_child]
        pub time_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub mute_button: TemplateChild<gtk::ToggleButton>,
        pub player: OnceCell<Player>,
        /// Print player events as JSON lines (for scripts and tests).
        pub json: Cell<bool>,
        /// Set while the seek bar is moved by the position timer, not by the person.
        pub updating_position: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ReelcastWindow {
        const NAME: &'static str = "ReelcastWindow";
        type Type = super::ReelcastWindow;
        type ParentType = adw::ApplicationWindow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.install_action("win.open", None, |win, _, _| win.choose_file());
            klass.install_action("win.play-pause", None, |win, _, _| win.toggle_play());
            klass.install_action("win.toggle-mute", None, |win, _, _| {
                let button = &win.imp().mute_button;
                button.set_active(!button.is_active());
            });
            klass.install_action("win.seek-forward", None, |win, _, _| win.seek_by(10.0));
            klass.install_action("win.seek-backward", None, |win, _, _| win.seek_by(-10.0));
            klass.install_action("win.fullscreen", None, |win, _, _| {
                win.set_fullscreened(!win.is_fullscreen());
            });
            klass.add_binding_action(
                gtk::gdk::Key::space,
                gtk::gdk::ModifierType::empty(),
                "win.play-pause",
            );
            klass.add_binding_action(
                gtk::gdk::Key::m,
                gtk::gdk::ModifierType::empty(),
                "win.toggle-mute",
            );
            klass.add_binding_action(
                gtk::gdk::Key::f,
                gtk::gdk::ModifierType::empty(),
                "win.fullscreen",
            );
            klass.add_binding_action(
                gtk::gdk::Key::Right,
                gtk::gdk::ModifierType::empty(),
                "win.seek-forward",
            );
            klass.add_binding_action(
                gtk::gdk::Key::Left,
                gtk::gdk::ModifierType::empty(),
                "win.seek-backward",
            );
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for ReelcastWindow {}
    impl WidgetImpl for ReelcastWindow {}
    impl WindowImpl for ReelcastWindow {}
    impl ApplicationWindowImpl for ReelcastWindow {}
    impl AdwApplicationWindowImpl for ReelcastWindow {}
}

glib::wrapper! {
    /// The player window: the video, its controls, and errors as toasts.
    pub struct ReelcastWindow(ObjectSubclass<imp::ReelcastWindow>)
        @extends adw::ApplicationWindow, gtk::ApplicationWindow, gtk::Window, gtk::Widget,
        @implements gio::ActionGroup, gio::ActionMap, gtk::Accessible, gtk::Buildable,
                    gtk::ConstraintTarget, gtk::Native, gtk::Root, gtk::ShortcutManager;
}

impl ReelcastWindow {
    pub fn new(app: &adw::Application, json: bool) -> Result<Self, PlayerError> {
        let window: Self = glib::Object::builder().property("application", app).build();
        let imp = window.imp();
        imp.json.set(json);

        let sink = gst::ElementFactory::make("gtk4paintablesink")
            .build()
            .map_err(|_| {
                PlayerError::Pipeline("the element 'gtk4paintablesink' is missing".into())
            })?;
        let paintable = sink.property::<gtk::gdk::Paintable>("paintable");
        imp.picture.set_paintable(Some(&paintable));
        let player = Player::new(PlayerOptions {
            video: VideoOutput::Sink(sink),
            audio: AudioOutput::Device,
        })?;
        window.watch_player(player.subscribe());
        let _ = imp.player.set(player);

        window.connect_controls();
        Ok(window)
    }

    pub fn player(&self) -> &Player {
        self.imp()
            .player
            .get()
            .expect("the player is made in new()")
    }

    /// Opens a file path or URI; a failure shows as a toast.
    pub fn open(&self, source: &str) {
        let player = self.player();
        match player.open(source).and_then(|_| player.play()) {
            Ok(()) => {
                let name = std::path::Path::new(source)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| source.to_owned());
                self.imp().window_title.set_subtitle(&name);
            }
            Err(e) => self.show_error(&e),
        }
    }

    fn show_error(&self, error: &PlayerError) {
        tracing::warn!("{error}");
        let toast = adw::Toast::builder()
            .title(error.to_string())
            .timeout(8)
            .build();
        self.imp().toast_overlay.add_toast(toast);
    }

    fn choose_file(&self) {
        let filter = gtk::FileFilter::new();
        filter.set_name(Some("Videos and audio"));
        filter.add_mime_type("video/*");
        filter.add_mime_type("audio/*");
        let chooser = gtk::FileChooserNative::new(
            Some("Open a Video"),
            Some(self),
            gtk::FileChooserAction::Open,
            Some("_Open"),
            Some("_Cancel"),
        );
        chooser.add_filter(&filter);
        let window = self.downgrade();
        chooser.connect_response(move |chooser, response| {
            if response == gtk::ResponseType::Accept {
                if let (Some(window), Some(file)) = (window.upgrade(), chooser.file()) {
                    window.open(&file.uri());
                }
            }
        });
        chooser.show();
    }

    fn toggle_play(&self) {
        let player = self.player();
        let result = match player.state() {
            PlaybackState::Playing => player.pause(),
            _ => player.play(),
        };
        if let Err(e) = result {
            self.show_error(&e);
        }
    }

    fn seek_by(&self, seconds: f64) {
        let player = self.player();
        if let Some(position) = player.position() {
            let target = (position.as_secs_f64() + seconds).max(0.0);
            let _ = player.seek(Duration::from_secs_f64(target), SeekMode::Accurate);
        }
    }

    fn connect_controls(&self) {
        let imp = self.imp();
        let window = self.downgrade();
        imp.seek_scale.connect_change_value(move |_, _, value| {
            if let Some(window) = window.upgrade() {
                if !window.imp().updating_position.get() {
                    let _ = window
                        .player()
                        .seek(Duration::from_secs_f64(value.max(0.0)), SeekMode::Fast);
                }
            }
            glib::Propagation::Proceed
        });
        let window = self.downgrade();
        imp.mute_button.connect_toggled(move |button| {
            if let Some(window) = window.upgrade() {
                window.player().set_muted(button.is_active());
                button.set_icon_name(if button.is_active() {
                    "audio-volume-muted-symbolic"
                } else {
                    "audio-volume-high-symbolic"
                });
            }
        });
        // The position is polled for display only; nothing waits on it.
        let window = self.downgrade();
        glib::timeout_add_local(Duration::from_millis(250), move || {
            let Some(window) = window.upgrade() else {
                return glib::ControlFlow::Break;
            };
            window.refresh_position();
            glib::ControlFlow::Continue
        });
    }

    fn refresh_position(&self) {
        let imp = self.imp();
        let player = self.player();
        let position = player.position().unwrap_or_default();
        let duration = player.duration();
        imp.updating_position.set(true);
        if let Some(d) = duration {
            imp.seek_adjustment.set_upper(d.as_secs_f64().max(1.0));
        }
        imp.seek_adjustment.set_value(position.as_secs_f64());
        imp.updating_position.set(false);
        let total = duration.map(clock).unwrap_or_else(|| "–".into());
        imp.time_label
            .set_label(&format!("{} / {total}", clock(position)));
    }

    fn watch_player(&self, events: flume::Receiver<PlayerEvent>) {
        let window = self.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(event) = events.recv_async().await {
                let Some(window) = window.upgrade() else {
                    break;
                };
                window.on_player_event(&event);
            }
        });
    }

    fn on_player_event(&self, event: &PlayerEvent) {
        let imp = self.imp();
        if imp.json.get() {
            println!("{}", event_json(event));
        }
        match event {
            PlayerEvent::StateChanged(state) => {
                imp.play_button.set_icon_name(match state {
                    PlaybackState::Playing => "media-playback-pause-symbolic",
                    _ => "media-playback-start-symbolic",
                });
            }
            PlayerEvent::StreamsKnown(streams) => {
                let has_video = streams.iter().any(|s| s.kind == MediaKind::Video);
                imp.stack
                    .set_visible_child_name(if has_video { "video" } else { "empty" });
            }
            PlayerEvent::Error(e) => {
                imp.stack.set_visible_child_name("empty");
                self.show_error(e);
            }
            _ => {}
        }
    }
}
