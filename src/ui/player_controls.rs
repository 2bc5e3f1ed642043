//! The player's controls under the video: play/pause, time and seek bar, buffering, next,
//! the audio track and speed menus, loop, mute and volume. It follows the player's events and never waits on
//! the player's bus thread.

use std::cell::{Cell, OnceCell};
use std::rc::Rc;
use std::time::Duration;

use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::prelude::*;
use gtk::{gio, glib, CompositeTemplate};

use crate::media::{
    MediaKind, PlaybackState, Player, PlayerError, PlayerEvent, SeekMode, StreamInfo,
    SubtitleState, SubtitleTrack,
};
use crate::report::clock;

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(resource = "/io/github/reelcast/Reelcast/ui/player_controls.ui")]
    pub struct ReelcastPlayerControls {
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
        pub subtitles_button: TemplateChild<gtk::MenuButton>,
        #[template_child]
        pub speed_button: TemplateChild<gtk::MenuButton>,
        #[template_child]
        pub buffering_label: TemplateChild<gtk::Label>,
        /// `controls.speed`: the speed menu's choice, a radio action.
        pub speed_action: OnceCell<gio::SimpleAction>,
        #[template_child]
        pub volume_adjustment: TemplateChild<gtk::Adjustment>,
        pub player: OnceCell<Rc<Player>>,
        /// As the player's last state event said: asking the player would wait on it.
        pub playing: Cell<bool>,
        /// Set while the seek bar is moved by the position timer, not by the person.
        pub updating_position: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ReelcastPlayerControls {
        const NAME: &'static str = "ReelcastPlayerControls";
        type Type = super::ReelcastPlayerControls;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for ReelcastPlayerControls {}
    impl WidgetImpl for ReelcastPlayerControls {}
    impl BoxImpl for ReelcastPlayerControls {}
}

glib::wrapper! {
    pub struct ReelcastPlayerControls(ObjectSubclass<imp::ReelcastPlayerControls>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for ReelcastPlayerControls {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl ReelcastPlayerControls {
    /// Drives `player` from now on; call once.
    pub fn set_player(&self, player: Rc<Player>) {
        let imp = self.imp();
        if imp.player.set(player).is_err() {
            return;
        }
        self.add_speed_action();
        let controls = self.downgrade();
        imp.seek_scale.connect_change_value(move |_, _, value| {
            if let Some(controls) = controls.upgrade() {
                if !controls.imp().updating_position.get() {
                    let _ = controls
                        .player()
                        .seek(Duration::from_secs_f64(value.max(0.0)), SeekMode::Fast);
                }
            }
            glib::Propagation::Proceed
        });
        let controls = self.downgrade();
        imp.mute_button.connect_toggled(move |button| {
            if let Some(controls) = controls.upgrade() {
                controls.player().set_muted(button.is_active());
                controls.update_volume_icon();
            }
        });
        let controls = self.downgrade();
        imp.volume_adjustment
            .connect_value_changed(move |adjustment| {
                if let Some(controls) = controls.upgrade() {
                    controls.player().set_volume(adjustment.value());
                    controls.update_volume_icon();
                }
            });
        let controls = self.downgrade();
        imp.loop_button.connect_toggled(move |button| {
            if let Some(controls) = controls.upgrade() {
                controls.player().set_looping(button.is_active());
                controls.refresh_queue();
            }
        });
        // The position is polled for display only; nothing waits on it.
        let controls = self.downgrade();
        glib::timeout_add_local(Duration::from_millis(250), move || {
            let Some(controls) = controls.upgrade() else {
                return glib::ControlFlow::Break;
            };
            controls.refresh_position();
            glib::ControlFlow::Continue
        });
    }

    /// The speed menu's action, `controls.speed` (a double: 0.5 to 2).
    fn add_speed_action(&self) {
        let action = gio::SimpleAction::new_stateful(
            "speed",
            Some(glib::VariantTy::DOUBLE),
            &1.0f64.to_variant(),
        );
        let controls = self.downgrade();
        action.connect_change_state(move |_, value| {
            let (Some(controls), Some(speed)) =
                (controls.upgrade(), value.and_then(|v| v.get::<f64>()))
            else {
                return;
            };
            // The menu follows the player's event, so it shows what plays.
            if let Err(e) = controls.player().set_speed(speed) {
                tracing::warn!("{e}");
            }
        });
        let group = gio::SimpleActionGroup::new();
        group.add_action(&action);
        self.insert_action_group("controls", Some(&group));
        let _ = self.imp().speed_action.set(action);
        self.show_speed(1.0);
    }

    /// Plays at `speed` (0.5 to 2), as the speed menu shows.
    pub fn set_speed(&self, speed: f64) -> Result<(), PlayerError> {
        self.player().set_speed(speed)
    }

    fn show_speed(&self, speed: f64) {
        let imp = self.imp();
        if let Some(action) = imp.speed_action.get() {
            action.set_state(&speed.to_variant());
        }
        // Translators: the playback speed on its button, as "1.5×".
        let label = gettext("{speed}×").replace("{speed}", &format!("{speed}"));
        imp.speed_button.set_label(&label);
    }

    /// "Buffering 45 %" while a network source fills its buffer.
    fn show_buffering(&self, percent: Option<u8>) {
        let label = &self.imp().buffering_label;
        match percent.filter(|p| *p < 100) {
            Some(p) => {
                label.set_label(
                    &gettext("Buffering {percent} %").replace("{percent}", &p.to_string()),
                );
                label.set_visible(true);
            }
            None => label.set_visible(false),
        }
    }

    fn player(&self) -> &Player {
        self.imp().player.get().expect("set_player comes first")
    }

    /// Keeps the local volume in the preferences.
    pub fn bind_volume(&self, settings: &gio::Settings) {
        settings
            .bind("volume", &*self.imp().volume_adjustment, "value")
            .build();
    }

    /// Loop on or off, as the loop button shows.
    pub fn set_looping(&self, looping: bool) {
        self.imp().loop_button.set_active(looping);
        self.player().set_looping(looping);
    }

    pub fn toggle_mute(&self) {
        let button = &self.imp().mute_button;
        button.set_active(!button.is_active());
    }

    pub fn toggle_play(&self) -> Result<(), PlayerError> {
        if self.imp().playing.get() {
            self.player().pause()
        } else {
            self.player().play()
        }
    }

    pub fn seek_by(&self, seconds: f64) {
        let player = self.player();
        if let Some(position) = player.position() {
            let target = (position.as_secs_f64() + seconds).max(0.0);
            let _ = player.seek(Duration::from_secs_f64(target), SeekMode::Accurate);
        }
    }

    /// Next shows with a queue, and works while there is a next file (or with loop on).
    pub fn refresh_queue(&self) {
        let imp = self.imp();
        let (queue, current) = self.player().queue();
        imp.next_button.set_visible(queue.len() > 1);
        imp.next_button
            .set_sensitive(current + 1 < queue.len() || self.player().is_looping());
    }

    /// Follows what the player reports.
    pub fn on_player_event(&self, event: &PlayerEvent, streams: &[StreamInfo]) {
        let imp = self.imp();
        match event {
            PlayerEvent::StateChanged(state) => {
                let playing = *state == PlaybackState::Playing;
                imp.playing.set(playing);
                imp.play_button.set_icon_name(if playing {
                    "media-playback-pause-symbolic"
                } else {
                    "media-playback-start-symbolic"
                });
            }
            PlayerEvent::StreamsKnown(_) | PlayerEvent::AudioSelected(_) => {
                self.offer_audio_streams(streams)
            }
            PlayerEvent::Subtitles(state) => self.offer_subtitles(state),
            PlayerEvent::Advanced { .. } => {
                self.show_buffering(None);
                self.refresh_queue();
            }
            PlayerEvent::SpeedChanged(speed) => self.show_speed(*speed),
            PlayerEvent::Buffering(percent) => self.show_buffering(Some(*percent)),
            PlayerEvent::Error(_) | PlayerEvent::NothingToPlay | PlayerEvent::EndOfStream => {
                self.show_buffering(None)
            }
            _ => {}
        }
    }

    /// One menu entry per audio stream when there are several (languages, commentary).
    fn offer_audio_streams(&self, streams: &[StreamInfo]) {
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
            let number = (i + 1).to_string();
            let mut label = match &stream.language {
                Some(language) => gettext("Audio {number} ({language})")
                    .replace("{number}", &number)
                    .replace("{language}", language),
                None => gettext("Audio {number}").replace("{number}", &number),
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

    /// The Subtitles menu: off, each track by language and title, and loading a file. The
    /// entry shown is marked.
    fn offer_subtitles(&self, state: &SubtitleState) {
        let menu = gio::Menu::new();
        let tracks = gio::Menu::new();
        let entry = |label: String, index: i32, shown: bool| {
            let label = if shown { label + " ✓" } else { label };
            gio::MenuItem::new(
                Some(&label),
                Some(&gio::Action::print_detailed_name(
                    "win.subtitles",
                    Some(&index.to_variant()),
                )),
            )
        };
        tracks.append_item(&entry(gettext("Off"), -1, state.shown.is_none()));
        for track in &state.tracks {
            let shown = state.shown == Some(track.index);
            tracks.append_item(&entry(track_label(track), track.index as i32, shown));
        }
        menu.append_section(None, &tracks);
        let load = gio::Menu::new();
        load.append(
            Some(&gettext("Load Subtitles…")),
            Some("win.load-subtitles"),
        );
        menu.append_section(None, &load);
        let button = &self.imp().subtitles_button;
        button.set_menu_model(Some(&menu));
        button.set_visible(true);
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
}

/// "English — Director's comments", "Subtitles 2 (fr)", "movie.srt": what tells tracks apart.
fn track_label(track: &SubtitleTrack) -> String {
    let number = (track.index + 1).to_string();
    let name = match (&track.title, &track.file) {
        (Some(title), _) => title.clone(),
        (None, Some(file)) => std::path::Path::new(file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.clone()),
        (None, None) => gettext("Subtitles {number}").replace("{number}", &number),
    };
    match &track.language {
        Some(language) => format!("{name} ({language})"),
        None => name,
    }
}
