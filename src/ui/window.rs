use std::cell::{Cell, OnceCell, RefCell};
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib, CompositeTemplate};

use super::share_panel::ReelcastSharePanel;
use crate::media::{
    AudioOutput, MediaKind, PlaybackState, Player, PlayerError, PlayerEvent, PlayerOptions,
    SeekMode, VideoOutput,
};
use crate::report::{clock, event_json};
use crate::rtc::ShareConfig;
use crate::sharing::{Sharing, SharingEvent, SharingOptions};
use crate::signalling::EmbeddedServerOptions;

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
        pub elapsed_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub remaining_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub mute_button: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub loop_button: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub next_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub audio_button: TemplateChild<gtk::MenuButton>,
        #[template_child]
        pub volume_adjustment: TemplateChild<gtk::Adjustment>,
        #[template_child]
        pub share_revealer: TemplateChild<gtk::Revealer>,
        #[template_child]
        pub share_panel: TemplateChild<ReelcastSharePanel>,
        pub player: OnceCell<Player>,
        /// The share in progress, if any.
        pub sharing: RefCell<Option<Sharing>>,
        /// Counts shares started, so that a stopped share's late events are ignored.
        pub share_generation: Cell<u64>,
        /// Preferences; `None` when the schema is not installed (then defaults apply).
        pub settings: OnceCell<Option<gio::Settings>>,
        /// Sharing options given on the command line; the panel's choices apply on top.
        pub share_defaults: RefCell<Option<SharingOptions>>,
        /// The open source as given (path or URI), for the share's default name.
        pub source: RefCell<Option<String>>,
        /// The current source's streams, for the audio track menu.
        pub streams: RefCell<Vec<crate::media::StreamInfo>>,
        /// The file chooser while it is open: a native dialog is not kept alive by being
        /// shown, and one dropped at once never appears.
        pub chooser: RefCell<Option<gtk::FileChooserNative>>,
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
            ReelcastSharePanel::ensure_type();
            klass.bind_template();
            klass.install_action("win.share", None, |win, _, _| {
                let revealer = &win.imp().share_revealer;
                revealer.set_reveal_child(!revealer.reveals_child());
            });
            klass.install_action("win.start-sharing", None, |win, _, _| {
                win.start_sharing_from_panel()
            });
            klass.install_action("win.stop-sharing", None, |win, _, _| win.stop_sharing());
            klass.install_action("win.copy-link", None, |win, _, _| win.copy_link());
            klass.install_action("win.open", None, |win, _, _| win.choose_files(false));
            klass.install_action("win.add-to-queue", None, |win, _, _| win.choose_files(true));
            klass.install_action("win.next", None, |win, _, _| {
                win.player().skip_to_next();
            });
            klass.install_action(
                "win.audio-stream",
                Some(glib::VariantTy::INT32),
                |win, _, index| {
                    let Some(index) = index.and_then(|v| v.get::<i32>()) else {
                        return;
                    };
                    if let Err(e) = win.player().select_audio(index.max(0) as usize) {
                        win.show_player_error(&e);
                    }
                },
            );
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
                gtk::gdk::Key::s,
                gtk::gdk::ModifierType::CONTROL_MASK,
                "win.share",
            );
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
            klass.add_binding_action(
                gtk::gdk::Key::n,
                gtk::gdk::ModifierType::empty(),
                "win.next",
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
    pub fn new(
        app: &adw::Application,
        json: bool,
        settings: Option<gio::Settings>,
    ) -> Result<Self, PlayerError> {
        let window: Self = glib::Object::builder().property("application", app).build();
        let imp = window.imp();
        imp.json.set(json);
        let _ = imp.settings.set(settings);

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
        window.listen(player.subscribe(), Self::on_player_event);
        let _ = imp.player.set(player);

        window.connect_controls();
        window.connect_drop();
        window.apply_settings();
        Ok(window)
    }

    /// Loop on or off, as the loop button shows.
    pub fn set_looping(&self, looping: bool) {
        self.imp().loop_button.set_active(looping);
        self.player().set_looping(looping);
    }

    pub fn player(&self) -> &Player {
        self.imp()
            .player
            .get()
            .expect("the player is made in new()")
    }

    fn settings(&self) -> Option<&gio::Settings> {
        self.imp().settings.get().and_then(Option::as_ref)
    }

    /// Local volume from the preferences, and the share form's defaults.
    fn apply_settings(&self) {
        let imp = self.imp();
        if let Some(settings) = self.settings() {
            settings
                .bind("volume", &*imp.volume_adjustment, "value")
                .build();
            imp.share_panel.set_defaults(
                &settings.string("signalling-url"),
                &settings.string("share-name"),
            );
        }
    }

    /// Opens a file path or URI; a failure shows as a toast.
    pub fn open(&self, source: &str) {
        self.open_queue(&[source.to_owned()]);
    }

    /// Opens sources to play one after another (and to share so, while sharing).
    pub fn open_queue(&self, sources: &[String]) {
        let player = self.player();
        match player.open_queue(sources).and_then(|_| player.play()) {
            Ok(()) => self.now_playing(&sources[0]),
            Err(e) => self.show_player_error(&e),
        }
    }

    fn now_playing(&self, source: &str) {
        let imp = self.imp();
        imp.window_title
            .set_subtitle(&crate::share_cli::share_name(source));
        imp.source.replace(Some(source.to_owned()));
        self.refresh_queue_controls();
    }

    /// Next shows with a queue, and works while there is a next file (or with loop on).
    fn refresh_queue_controls(&self) {
        let imp = self.imp();
        let (queue, current) = self.player().queue();
        imp.next_button.set_visible(queue.len() > 1);
        imp.next_button
            .set_sensitive(current + 1 < queue.len() || self.player().is_looping());
    }

    /// One menu entry per audio stream when there are several (languages, commentary).
    fn offer_audio_streams(&self, streams: &[crate::media::StreamInfo]) {
        let audio: Vec<_> = streams
            .iter()
            .filter(|s| s.kind == MediaKind::Audio)
            .collect();
        let button = &self.imp().audio_button;
        button.set_visible(audio.len() > 1);
        if audio.len() < 2 {
            return;
        }
        let current = self.player().current_audio();
        let menu = gio::Menu::new();
        for (i, stream) in audio.iter().enumerate() {
            let mut label = match &stream.language {
                Some(language) => format!("Audio {} ({language})", i + 1),
                None => format!("Audio {}", i + 1),
            };
            if current == Some(i) {
                label.push_str(" ✓");
            }
            menu.append(
                Some(&label),
                Some(&gio::Action::print_detailed_name(
                    "win.audio-stream",
                    Some(&(i as i32).to_variant()),
                )),
            );
        }
        button.set_menu_model(Some(&menu));
    }

    fn show_player_error(&self, error: &PlayerError) {
        let name = self
            .imp()
            .source
            .borrow()
            .as_deref()
            .map(crate::share_cli::share_name);
        let summary = match name {
            Some(name) => format!("Cannot play {name}"),
            None => "Cannot play this".to_owned(),
        };
        self.show_error(&summary, &error.to_string());
    }

    /// A toast with a short summary; the whole message on demand.
    fn show_error(&self, summary: &str, details: &str) {
        tracing::warn!("{details}");
        let toast = adw::Toast::builder()
            .title(glib::markup_escape_text(summary))
            .button_label("Details")
            .timeout(10)
            .build();
        let window = self.downgrade();
        let (summary, details) = (summary.to_owned(), details.to_owned());
        toast.connect_button_clicked(move |_| {
            if let Some(window) = window.upgrade() {
                let dialog = adw::MessageDialog::new(Some(&window), Some(&summary), Some(&details));
                dialog.add_response("close", "_Close");
                dialog.present();
            }
        });
        self.imp().toast_overlay.add_toast(toast);
    }

    /// Lets the person pick files: to open (a new queue) or to add to the end of the queue.
    fn choose_files(&self, add: bool) {
        let filter = gtk::FileFilter::new();
        filter.set_name(Some("Videos and audio"));
        filter.add_mime_type("video/*");
        filter.add_mime_type("audio/*");
        let (title, accept) = if add {
            ("Add to the Queue", "_Add")
        } else {
            ("Open a Video", "_Open")
        };
        let chooser = gtk::FileChooserNative::new(
            Some(title),
            Some(self),
            gtk::FileChooserAction::Open,
            Some(accept),
            Some("_Cancel"),
        );
        chooser.add_filter(&filter);
        // Several files play one after another.
        chooser.set_select_multiple(true);
        let window = self.downgrade();
        chooser.connect_response(move |chooser, response| {
            if let Some(window) = window.upgrade() {
                window.imp().chooser.take();
            }
            if response != gtk::ResponseType::Accept {
                return;
            }
            let uris: Vec<String> = chooser
                .files()
                .iter::<gio::File>()
                .filter_map(Result::ok)
                .map(|f| f.uri().to_string())
                .collect();
            match (window.upgrade(), uris.is_empty()) {
                (Some(window), false) if add => window.add_to_queue(&uris),
                (Some(window), false) => window.open_queue(&uris),
                _ => {}
            }
        });
        chooser.show();
        self.imp().chooser.replace(Some(chooser));
    }

    /// Adds sources to the end of the queue (with nothing open, plays them).
    pub fn add_to_queue(&self, sources: &[String]) {
        let player = self.player();
        let was_open = player.uri().is_some();
        match player.append(sources) {
            Ok(_) if !was_open => match player.play() {
                Ok(()) => self.now_playing(&sources[0]),
                Err(e) => self.show_player_error(&e),
            },
            Ok(length) => {
                self.refresh_queue_controls();
                let added = match sources.len() {
                    1 => format!(
                        "{} added to the queue",
                        crate::share_cli::share_name(&sources[0])
                    ),
                    n => format!("{n} files added to the queue"),
                };
                let toast = adw::Toast::new(&added);
                toast.set_timeout(3);
                self.imp().toast_overlay.add_toast(toast);
                tracing::info!(length, "queue extended");
            }
            Err(e) => self.show_player_error(&e),
        }
    }

    /// Files dropped anywhere on the window open (several: one after another).
    fn connect_drop(&self) {
        let target = gtk::DropTarget::new(
            gtk::gdk::FileList::static_type(),
            gtk::gdk::DragAction::COPY,
        );
        let window = self.downgrade();
        target.connect_drop(move |_, value, _, _| {
            let (Some(window), Ok(files)) = (window.upgrade(), value.get::<gtk::gdk::FileList>())
            else {
                return false;
            };
            let uris: Vec<String> = files.files().iter().map(|f| f.uri().to_string()).collect();
            if uris.is_empty() {
                return false;
            }
            window.open_queue(&uris);
            true
        });
        self.add_controller(target);
    }

    fn toggle_play(&self) {
        let player = self.player();
        let result = match player.state() {
            PlaybackState::Playing => player.pause(),
            _ => player.play(),
        };
        if let Err(e) = result {
            self.show_player_error(&e);
        }
    }

    fn seek_by(&self, seconds: f64) {
        let player = self.player();
        if let Some(position) = player.position() {
            let target = (position.as_secs_f64() + seconds).max(0.0);
            let _ = player.seek(Duration::from_secs_f64(target), SeekMode::Accurate);
        }
    }

    /// Shares as the command line asked, through the same action as the Start Sharing
    /// button: the panel shows the choice, and the command line's ports, CA file and limits
    /// apply.
    pub fn share_with(&self, options: SharingOptions) {
        self.imp()
            .share_panel
            .set_choice(options.signalling.as_deref(), &options.name);
        self.imp().share_defaults.replace(Some(options));
        let _ = WidgetExt::activate_action(self, "win.start-sharing", None);
    }

    /// Starts sharing with what the panel's form says and the preferences.
    fn start_sharing_from_panel(&self) {
        let choice = self.imp().share_panel.choice();
        if choice.signalling.as_deref() == Some("") {
            self.show_error(
                "Enter the signalling server's address",
                "Sharing through a signalling server needs its ws:// or wss:// address.",
            );
            return;
        }
        let name = if choice.name.is_empty() {
            self.imp()
                .source
                .borrow()
                .as_deref()
                .map(crate::share_cli::share_name)
                .unwrap_or_else(|| "Reelcast".to_owned())
        } else {
            choice.name
        };
        let options = match self.imp().share_defaults.borrow().clone() {
            Some(defaults) => SharingOptions {
                signalling: choice.signalling,
                name,
                ..defaults
            },
            None => SharingOptions {
                signalling: choice.signalling,
                name,
                ca_file: None,
                embedded: EmbeddedServerOptions::default(),
                config: self.share_config(),
            },
        };
        self.start_sharing(options);
    }

    fn share_config(&self) -> ShareConfig {
        let mut config = ShareConfig::default();
        if let Some(settings) = self.settings() {
            if let Ok(codec) = settings.string("video-codec").parse() {
                config.video_codec = codec;
            }
            config.max_video_bitrate = settings.uint("max-bitrate").saturating_mul(1000);
            config.start_video_bitrate = config.start_video_bitrate.min(config.max_video_bitrate);
            let positive = |v: u32| (v > 0).then_some(v);
            config.limits = crate::rtc::VideoLimits {
                max_height: positive(settings.uint("max-height")),
                max_frame_rate: positive(settings.uint("max-frame-rate")),
            };
            let stun = settings.string("stun-server");
            config.stun_server = (!stun.is_empty()).then(|| stun.to_string());
            let turn = settings.string("turn-server");
            config.turn_servers = turn.split_whitespace().map(str::to_owned).collect();
        }
        config
    }

    /// Starts a share; its state shows in the panel, which opens.
    fn start_sharing(&self, options: SharingOptions) {
        let imp = self.imp();
        if let Some(old) = imp.sharing.take() {
            stop_in_background(old);
        }
        let sharing = match Sharing::start(self.player(), options) {
            Ok(s) => s,
            Err(e) => {
                self.show_error("Cannot start sharing", &e.to_string());
                return;
            }
        };
        let events = sharing.subscribe();
        imp.sharing.replace(Some(sharing));
        imp.share_panel.show_live();
        imp.share_revealer.set_reveal_child(true);
        // Events of a share stopped since are not this one's.
        let generation = imp.share_generation.get() + 1;
        imp.share_generation.set(generation);
        self.listen(events, move |window, event| {
            if window.imp().share_generation.get() == generation {
                window.on_sharing_event(event);
            }
        });
    }

    /// Brings events from other threads to the main loop, for as long as the window lives.
    fn listen<T: 'static>(&self, events: flume::Receiver<T>, on: impl Fn(&Self, &T) + 'static) {
        let window = self.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(event) = events.recv_async().await {
                let Some(window) = window.upgrade() else {
                    break;
                };
                on(&window, &event);
            }
        });
    }

    fn on_sharing_event(&self, event: &SharingEvent) {
        let imp = self.imp();
        if imp.json.get() {
            if let Ok(line) = serde_json::to_string(event) {
                println!("{line}");
            }
        }
        imp.share_panel.apply(event);
        match event {
            SharingEvent::Error { message } | SharingEvent::Refused { message } => {
                self.show_error("Sharing problem", message)
            }
            SharingEvent::ViewerJoined { .. } => {
                let toast = adw::Toast::builder()
                    .title("A viewer joined")
                    .timeout(3)
                    .build();
                imp.toast_overlay.add_toast(toast);
            }
            _ => {}
        }
    }

    fn stop_sharing(&self) {
        let imp = self.imp();
        if let Some(sharing) = imp.sharing.take() {
            stop_in_background(sharing);
        }
        imp.share_generation.set(imp.share_generation.get() + 1);
        imp.share_panel.show_setup();
    }

    fn copy_link(&self) {
        if let Some(link) = self.imp().share_panel.link() {
            self.clipboard().set_text(&link);
            let toast = adw::Toast::builder()
                .title("Link copied")
                .timeout(2)
                .build();
            self.imp().toast_overlay.add_toast(toast);
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
                window.update_volume_icon();
            }
        });
        let window = self.downgrade();
        imp.volume_adjustment
            .connect_value_changed(move |adjustment| {
                if let Some(window) = window.upgrade() {
                    window.player().set_volume(adjustment.value());
                    window.update_volume_icon();
                }
            });
        let window = self.downgrade();
        imp.loop_button.connect_toggled(move |button| {
            if let Some(window) = window.upgrade() {
                window.player().set_looping(button.is_active());
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

    fn update_volume_icon(&self) {
        let imp = self.imp();
        let volume = imp.volume_adjustment.value();
        let icon = if imp.mute_button.is_active() || volume <= 0.0 {
            "audio-volume-muted-symbolic"
        } else if volume < 0.34 {
            "audio-volume-low-symbolic"
        } else if volume < 0.67 {
            "audio-volume-medium-symbolic"
        } else {
            "audio-volume-high-symbolic"
        };
        imp.mute_button.set_icon_name(icon);
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
        imp.elapsed_label.set_label(&clock(position));
        let remaining = duration
            .map(|d| format!("-{}", clock(d.saturating_sub(position))))
            .unwrap_or_else(|| "–".into());
        imp.remaining_label.set_label(&remaining);
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
                imp.streams.replace(streams.clone());
                self.offer_audio_streams(streams);
            }
            PlayerEvent::AudioSelected(_) => {
                let streams = imp.streams.borrow().clone();
                self.offer_audio_streams(&streams);
            }
            PlayerEvent::Advanced { location, .. } => self.now_playing(location),
            // The share, if any, goes on: the person can open another file.
            PlayerEvent::Error(e) => {
                imp.stack.set_visible_child_name("empty");
                self.show_player_error(e);
            }
            _ => {}
        }
    }
}

/// Tearing a share down waits for its pipeline to stop, which can take a moment with many
/// viewers: not on the main loop, so the window stays responsive.
fn stop_in_background(sharing: Sharing) {
    sharing.stop();
    let _ = std::thread::Builder::new()
        .name("sharing-stop".into())
        .spawn(move || drop(sharing));
}
