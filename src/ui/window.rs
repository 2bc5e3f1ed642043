//! The player window: the video, its controls, the share panel, and errors as toasts. It
//! owns the player and the share, and feeds the share model the share's events.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::{gettext, ngettext};
use gtk::{gio, glib, CompositeTemplate};

use super::player_controls::ReelcastPlayerControls;
use super::record_row::recording_path;
use super::settings::ShareSettings;
use super::share_model::{Notice, ShareModel};
use super::share_panel::ReelcastSharePanel;
use super::turn_settings::{migrate_in_background, share_turn_problem, turn_problem_reason};
use crate::media::{
    share_name, AudioOutput, MediaKind, Player, PlayerError, PlayerEvent, PlayerOptions,
    SubtitlePreferences, VideoOutput, SUBTITLE_EXTENSIONS,
};
use crate::report::JsonLines;
use crate::sharing::{ShareChoices, Sharing, SharingEvent, SharingOptions, GOODBYE_WITHIN};

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
        pub empty_page: TemplateChild<adw::StatusPage>,
        #[template_child]
        pub picture: TemplateChild<gtk::Picture>,
        #[template_child]
        pub controls: TemplateChild<ReelcastPlayerControls>,
        #[template_child]
        pub share_revealer: TemplateChild<gtk::Revealer>,
        #[template_child]
        pub share_panel: TemplateChild<ReelcastSharePanel>,
        pub player: OnceCell<Rc<Player>>,
        /// The share as the panel shows it.
        pub share_model: ShareModel,
        /// The share in progress, if any.
        pub sharing: RefCell<Option<Sharing>>,
        /// Counts shares started, so that a stopped share's late events are ignored.
        pub share_generation: Cell<u64>,
        /// Preferences; `None` when the schema is not installed (then defaults apply).
        pub settings: OnceCell<Option<gio::Settings>>,
        /// Sharing choices given on the command line; the panel's choices apply on top.
        pub share_defaults: RefCell<Option<ShareChoices>>,
        /// The open source as given (path or URI), for the share's default name.
        pub source: RefCell<Option<String>>,
        /// The current source's streams, for the audio track menu.
        pub streams: RefCell<Vec<crate::media::StreamInfo>>,
        /// The file chooser while it is open: a native dialog is not kept alive by being
        /// shown, and one dropped at once never appears.
        pub chooser: RefCell<Option<gtk::FileChooserNative>>,
        /// The last source's failure, for the page shown when nothing is left to play.
        pub last_error: RefCell<Option<String>>,
        /// `--json`: player and share events as JSON lines (for scripts and tests).
        pub json: RefCell<Option<JsonLines>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ReelcastWindow {
        const NAME: &'static str = "ReelcastWindow";
        type Type = super::ReelcastWindow;
        type ParentType = adw::ApplicationWindow;

        fn class_init(klass: &mut Self::Class) {
            ReelcastSharePanel::ensure_type();
            ReelcastPlayerControls::ensure_type();
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
            klass.install_action("win.new-link", None, |win, _, _| win.new_link());
            klass.install_action("win.record", None, |win, _, _| win.toggle_recording());
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
            // -1: subtitles off.
            klass.install_action(
                "win.subtitles",
                Some(glib::VariantTy::INT32),
                |win, _, index| {
                    let Some(index) = index.and_then(|v| v.get::<i32>()) else {
                        return;
                    };
                    let index = usize::try_from(index).ok();
                    if let Err(e) = win.player().select_subtitles(index) {
                        win.show_player_error(&e);
                    }
                },
            );
            klass.install_action("win.load-subtitles", None, |win, _, _| {
                win.choose_subtitles()
            });
            klass.install_action("win.play-pause", None, |win, _, _| {
                if let Err(e) = win.imp().controls.toggle_play() {
                    win.show_player_error(&e);
                }
            });
            klass.install_action("win.toggle-mute", None, |win, _, _| {
                win.imp().controls.toggle_mute()
            });
            klass.install_action("win.seek-forward", None, |win, _, _| {
                win.imp().controls.seek_by(10.0)
            });
            klass.install_action("win.seek-backward", None, |win, _, _| {
                win.imp().controls.seek_by(-10.0)
            });
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
    impl WindowImpl for ReelcastWindow {
        // Closing ends the share the way Stop Sharing does: the viewers and the server are
        // told before the process ends.
        fn close_request(&self) -> glib::Propagation {
            self.obj().stop_sharing();
            self.parent_close_request()
        }
    }
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
        imp.json.replace(json.then(JsonLines::default));
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
        let player = Rc::new(player);
        imp.controls.set_player(player.clone());
        let _ = imp.player.set(player);
        imp.share_panel.bind(&imp.share_model);
        let weak = window.downgrade();
        imp.share_panel.record_row().follow(move || {
            let window = weak.upgrade()?;
            let sharing = window.imp().sharing.borrow();
            sharing.as_ref()?.recording()
        });

        window.connect_drop();
        window.apply_settings();
        Ok(window)
    }

    /// Loop on or off, as the loop button shows.
    pub fn set_looping(&self, looping: bool) {
        self.imp().controls.set_looping(looping);
    }

    /// Plays at `speed` (0.5 to 2), as the speed menu shows.
    pub fn set_speed(&self, speed: f64) {
        if let Err(e) = self.imp().controls.set_speed(speed) {
            self.show_player_error(&e);
        }
    }

    pub fn player(&self) -> &Player {
        self.imp()
            .player
            .get()
            .expect("the player is made in new()")
    }

    /// The share as the panel shows it.
    pub fn share_model(&self) -> &ShareModel {
        &self.imp().share_model
    }

    fn settings(&self) -> Option<&gio::Settings> {
        self.imp().settings.get().and_then(Option::as_ref)
    }

    /// Local volume from the preferences, and the share form's defaults.
    fn apply_settings(&self) {
        let imp = self.imp();
        if let Some(settings) = self.settings() {
            imp.controls.bind_volume(settings);
            let player = Rc::downgrade(imp.player.get().expect("the player comes first"));
            settings.connect_changed(Some("share-subtitles"), move |settings, key| {
                if let Some(player) = player.upgrade() {
                    player.set_share_subtitles(settings.boolean(key));
                }
            });
            let share = ShareSettings::read(settings);
            imp.share_panel.set_defaults(&share, settings);
            // An older version kept TURN passwords in the key: into the keyring with them.
            let window = self.downgrade();
            migrate_in_background(settings.clone(), move |summary, details| {
                if let Some(window) = window.upgrade() {
                    window.show_error(summary, details);
                }
            });
        }
    }

    /// Subtitles as the command line asked; whether viewers get them follows the
    /// preferences unless `share` says otherwise for this run.
    pub fn set_subtitles(&self, prefs: &SubtitlePreferences, share: Option<bool>) {
        let player = self.player();
        if let Err(e) = player.set_subtitle_preferences(prefs.clone()) {
            self.show_player_error(&e);
        }
        match (share, self.settings()) {
            (Some(share), _) => player.set_share_subtitles(share),
            (None, Some(settings)) => {
                player.set_share_subtitles(settings.boolean("share-subtitles"))
            }
            (None, None) => {}
        }
    }

    /// Shows a subtitle file with what plays, where it is.
    fn load_subtitles(&self, uri: &str) {
        if let Err(e) = self.player().load_subtitles(uri) {
            self.show_error(&gettext("Cannot show these subtitles"), &e.to_string());
        }
    }

    /// Lets the person pick a subtitle file for what plays.
    fn choose_subtitles(&self) {
        let filter = gtk::FileFilter::new();
        filter.set_name(Some(&gettext("Subtitles")));
        for extension in SUBTITLE_EXTENSIONS {
            filter.add_suffix(extension);
        }
        let chooser = gtk::FileChooserNative::new(
            Some(&gettext("Load Subtitles")),
            Some(self),
            gtk::FileChooserAction::Open,
            Some(&gettext("_Open")),
            Some(&gettext("_Cancel")),
        );
        chooser.add_filter(&filter);
        let window = self.downgrade();
        chooser.connect_response(move |chooser, response| {
            let Some(window) = window.upgrade() else {
                return;
            };
            window.imp().chooser.take();
            if response == gtk::ResponseType::Accept {
                if let Some(file) = chooser.file() {
                    window.load_subtitles(&file.uri());
                }
            }
        });
        chooser.show();
        self.imp().chooser.replace(Some(chooser));
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
        self.show_empty_page(None);
        imp.window_title.set_subtitle(&share_name(source));
        imp.source.replace(Some(source.to_owned()));
        imp.controls.refresh_queue();
    }

    fn show_player_error(&self, error: &PlayerError) {
        let name = self.imp().source.borrow().as_deref().map(share_name);
        let summary = match name {
            Some(name) => gettext("Cannot play {name}").replace("{name}", &name),
            None => gettext("Cannot play this"),
        };
        self.show_error(&summary, &error.to_string());
    }

    /// The page without video: an invitation to open a file, or with `failure` (the last
    /// error), what could not be played.
    fn show_empty_page(&self, failure: Option<&str>) {
        let imp = self.imp();
        let page = &imp.empty_page;
        match failure {
            Some(failure) => {
                page.set_icon_name(Some("dialog-warning-symbolic"));
                page.set_title(&gettext("Nothing Left to Play"));
                let hint = gettext("Open another video or drop one here");
                let description = if failure.is_empty() {
                    hint
                } else {
                    format!("{failure}\n{hint}")
                };
                page.set_description(Some(&glib::markup_escape_text(&description)));
                imp.stack.set_visible_child_name("empty");
            }
            None => {
                page.set_icon_name(Some("video-x-generic-symbolic"));
                page.set_title(&gettext("Open a Video or Drop One Here"));
                page.set_description(Some(&gettext("Then press Share to watch it together")));
            }
        }
    }

    /// A toast with a short summary; the whole message on demand.
    /// Shows `toast` over the window (the preferences' problems once they are closed).
    pub(crate) fn add_toast(&self, toast: adw::Toast) {
        self.imp().toast_overlay.add_toast(toast);
    }

    fn show_error(&self, summary: &str, details: &str) {
        tracing::warn!("{details}");
        let toast = adw::Toast::builder()
            .title(glib::markup_escape_text(summary))
            .button_label(gettext("Details"))
            .timeout(10)
            .build();
        let window = self.downgrade();
        let (summary, details) = (summary.to_owned(), details.to_owned());
        toast.connect_button_clicked(move |_| {
            if let Some(window) = window.upgrade() {
                let dialog = adw::MessageDialog::new(Some(&window), Some(&summary), Some(&details));
                dialog.add_response("close", &gettext("_Close"));
                dialog.present();
            }
        });
        self.imp().toast_overlay.add_toast(toast);
    }

    /// Lets the person pick files: to open (a new queue) or to add to the end of the queue.
    fn choose_files(&self, add: bool) {
        let filter = gtk::FileFilter::new();
        filter.set_name(Some(&gettext("Videos and audio")));
        filter.add_mime_type("video/*");
        filter.add_mime_type("audio/*");
        let (title, accept) = if add {
            (gettext("Add to the Queue"), gettext("_Add"))
        } else {
            (gettext("Open a Video"), gettext("_Open"))
        };
        let chooser = gtk::FileChooserNative::new(
            Some(&title),
            Some(self),
            gtk::FileChooserAction::Open,
            Some(&accept),
            Some(&gettext("_Cancel")),
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
                self.imp().controls.refresh_queue();
                let added = match sources.len() {
                    1 => gettext("{name} added to the queue")
                        .replace("{name}", &share_name(&sources[0])),
                    n => ngettext(
                        "{count} file added to the queue",
                        "{count} files added to the queue",
                        u32::try_from(n).unwrap_or(u32::MAX),
                    )
                    .replace("{count}", &n.to_string()),
                };
                let toast = adw::Toast::new(&added);
                toast.set_timeout(3);
                self.imp().toast_overlay.add_toast(toast);
                tracing::info!(length, "queue extended");
            }
            Err(e) => self.show_player_error(&e),
        }
    }

    /// Files dropped anywhere on the window open (several: one after another); a subtitle
    /// file dropped while something plays becomes its subtitles.
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
            if let [uri] = uris.as_slice() {
                if is_subtitle_file(uri) && window.player().uri().is_some() {
                    window.load_subtitles(uri);
                    return true;
                }
            }
            window.open_queue(&uris);
            true
        });
        self.add_controller(target);
    }

    /// Shares as the command line asked, through the same action as the Start Sharing
    /// button: the panel shows the choice, and the command line's ports, CA file and limits
    /// apply.
    pub fn share_with(&self, choices: ShareChoices) {
        let name = SharingOptions::from(&ShareChoices {
            source: self
                .imp()
                .source
                .borrow()
                .clone()
                .or(choices.source.clone()),
            ..choices.clone()
        })
        .name;
        self.imp()
            .share_panel
            .set_choice(choices.signalling.as_deref(), &name, choices.host);
        self.imp().share_defaults.replace(Some(choices));
        let _ = WidgetExt::activate_action(self, "win.start-sharing", None);
    }

    /// Starts sharing with what the panel's form says and the preferences.
    fn start_sharing_from_panel(&self) {
        let choice = self.imp().share_panel.choice();
        if choice.signalling.as_deref() == Some("") {
            self.show_error(
                &gettext("Enter the signalling server's address"),
                &gettext("Sharing through a signalling server needs its ws:// or wss:// address."),
            );
            return;
        }
        let panel = move |base: ShareChoices, source: Option<String>| ShareChoices {
            signalling: choice.signalling,
            name: Some(choice.name),
            host: choice.host,
            source: source.or(base.source.clone()),
            ..base
        };
        let source = self.imp().source.borrow().clone();
        // The command line's choices, else the preferences; the panel's on top.
        let base = self.imp().share_defaults.borrow().clone();
        let preferences = self.settings().map(ShareSettings::read);
        let (base, preferences) = match (base, preferences) {
            (Some(base), _) => (base, None),
            (None, Some(p)) if p.needs_passwords() => (ShareChoices::default(), Some(p)),
            (None, p) => (p.map(|p| p.choices()).unwrap_or_default(), None),
        };
        let Some(preferences) = preferences else {
            return self.start_sharing(SharingOptions::from(&panel(base, source)));
        };
        // TURN passwords come from the keyring, on the networking runtime; the share starts
        // when they are there, without the servers the keyring could not give.
        let window = self.downgrade();
        let generation = self.imp().share_generation.get();
        glib::spawn_future_local(async move {
            let (base, problems) = preferences.choices_with_passwords().await;
            let Some(window) = window.upgrade() else {
                return;
            };
            // Stopped or started again meanwhile.
            if window.imp().share_generation.get() != generation {
                return;
            }
            window.start_sharing(SharingOptions::from(&panel(base, source)));
            for problem in &problems {
                let (summary, why) = (
                    share_turn_problem(problem),
                    turn_problem_reason(&problem.error),
                );
                // Scripts (--json) get it as the share's other problems.
                if let Some(json) = &*window.imp().json.borrow() {
                    let message = format!("{summary}: {why}");
                    json.write(&SharingEvent::Error {
                        message,
                        viewer: None,
                    });
                }
                window.show_error(&summary, &why);
            }
        });
    }

    /// Starts a share; its state shows in the panel, which opens.
    fn start_sharing(&self, options: SharingOptions) {
        let imp = self.imp();
        if let Some(old) = imp.sharing.take() {
            stop_in_background(old);
        }
        let max_viewers = options.config.max_viewers;
        let sharing = match Sharing::start(self.player(), options) {
            Ok(s) => s,
            Err(e) => {
                self.show_error(&gettext("Cannot start sharing"), &e.to_string());
                return;
            }
        };
        let events = sharing.subscribe();
        imp.sharing.replace(Some(sharing));
        imp.share_model.start(max_viewers);
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
        if let Some(json) = &*imp.json.borrow() {
            json.write(event);
        }
        let toast = match imp.share_model.apply(event) {
            Some(Notice::Problem { message }) => {
                return self.show_error(&gettext("Sharing problem"), &message)
            }
            Some(Notice::ViewerWatching { label }) => {
                gettext("{viewer} is watching").replace("{viewer}", &label)
            }
            Some(Notice::RecordingSaved { name }) => {
                gettext("Recording saved as {name}").replace("{name}", &name)
            }
            Some(Notice::ViewerTurnedAway { max }) => ngettext(
                "A viewer was turned away: the share takes {max} viewer at most",
                "A viewer was turned away: the share takes {max} viewers at most",
                max,
            )
            .replace("{max}", &max.to_string()),
            None => return,
        };
        let toast = adw::Toast::builder().title(toast).timeout(3).build();
        imp.toast_overlay.add_toast(toast);
    }

    fn stop_sharing(&self) {
        let imp = self.imp();
        if let Some(sharing) = imp.sharing.take() {
            stop_in_background(sharing);
        }
        imp.share_generation.set(imp.share_generation.get() + 1);
        imp.share_model.stop();
    }

    /// Record starts a file in the chosen folder (the Videos folder by default); pressed
    /// again, it finishes it.
    fn toggle_recording(&self) {
        let started = {
            let sharing = self.imp().sharing.borrow();
            let Some(sharing) = sharing.as_ref() else {
                return;
            };
            if sharing.recording().is_some() {
                return sharing.stop_recording();
            }
            let folder = self.settings().map(|s| s.string("recording-folder"));
            let codec = sharing.video_codec().to_string();
            sharing.start_recording(&recording_path(folder.as_deref(), &codec))
        };
        if let Err(e) = started {
            self.show_error(&gettext("Cannot record"), &e.to_string());
        }
    }

    fn copy_link(&self) {
        let link = self.imp().share_model.link();
        if !link.is_empty() {
            self.clipboard().set_text(&link);
            let toast = adw::Toast::builder()
                .title(gettext("Link copied"))
                .timeout(2)
                .build();
            self.imp().toast_overlay.add_toast(toast);
        }
    }

    /// A new secret for the link; the old link's viewers are dropped. The new link comes back
    /// as an event, which the model shows (and the QR code follows).
    fn new_link(&self) {
        if let Some(sharing) = self.imp().sharing.borrow().as_ref() {
            sharing.new_link();
            let toast = adw::Toast::builder()
                .title(gettext(
                    "New link made; the old one no longer opens the share",
                ))
                .timeout(3)
                .build();
            self.imp().toast_overlay.add_toast(toast);
        }
    }

    fn on_player_event(&self, event: &PlayerEvent) {
        let imp = self.imp();
        if let Some(json) = &*imp.json.borrow() {
            json.write(event);
        }
        if let PlayerEvent::StreamsKnown(streams) = event {
            imp.streams.replace(streams.clone());
        }
        imp.controls.on_player_event(event, &imp.streams.borrow());
        match event {
            PlayerEvent::StreamsKnown(streams) => {
                let has_video = streams.iter().any(|s| s.kind == MediaKind::Video);
                imp.stack
                    .set_visible_child_name(if has_video { "video" } else { "empty" });
            }
            PlayerEvent::Advanced { location, .. } => self.now_playing(location),
            // The share, if any, goes on: the person can open another file.
            PlayerEvent::Error(e) => {
                imp.stack.set_visible_child_name("empty");
                imp.last_error.replace(Some(e.to_string()));
                self.show_player_error(e);
            }
            PlayerEvent::SubtitlesFailed(e) => {
                self.show_error(&gettext("Cannot show these subtitles"), &e.to_string())
            }
            // The queue is over with a failure: the page says what failed, and the window
            // waits for another file (the share, if any, goes on).
            PlayerEvent::NothingToPlay => {
                let error = imp.last_error.take();
                self.show_empty_page(Some(error.as_deref().unwrap_or_default()));
                imp.window_title.set_subtitle("");
                imp.controls.refresh_queue();
            }
            _ => {}
        }
    }
}

fn is_subtitle_file(uri: &str) -> bool {
    let extension = uri.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    extension.is_some_and(|e| SUBTITLE_EXTENSIONS.contains(&e.as_str()))
}

/// Tearing a share down waits for its pipeline to stop, which can take a moment with many
/// viewers: not on the main loop, so the window stays responsive.
/// Stops `sharing` off the main loop; the app waits for its goodbye before the process ends.
fn stop_in_background(sharing: Sharing) {
    super::goodbyes::keep(sharing.stop_in_background(GOODBYE_WITHIN));
}
