//! The application with a window: what it starts with, its app-wide actions, and what it
//! ends with. The command line converts its arguments into a [`Start`].

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::preferences::ReelcastPreferences;
use super::settings::{settings, APP_ID};
use super::window::ReelcastWindow;
use crate::media::SubtitlePreferences;
use crate::sharing::ShareChoices;

/// What the window does first.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// Files or URIs to play one after another.
    pub sources: Vec<String>,
    pub looping: bool,
    pub mute: bool,
    /// Playback speed (0.5 to 2); 0 or 1: normal.
    pub speed: f64,
    /// Print player and share events as JSON lines (for scripts and tests).
    pub json: bool,
    /// Share at once with these choices, as `reelcast share` does without a window.
    pub share: Option<ShareChoices>,
    /// Subtitles for what plays (a file for the first source, off, a language).
    pub subtitles: SubtitlePreferences,
    /// Viewers get the subtitles (or not) for this run, whatever the preferences say.
    pub share_subtitles: Option<bool>,
}

/// How the window's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The person closed the window.
    Closed,
    /// GStreamer, GTK or a required element is missing.
    SetupFailed(String),
}

/// Runs the application with a window until it is closed.
pub fn run(start: Start) -> Outcome {
    // Idempotent: main binds the text domain for every command; a window run from
    // elsewhere (tests) gets it too.
    crate::i18n::init();
    if let Err(e) = crate::init() {
        return Outcome::SetupFailed(e.to_string());
    }
    if let Err(e) = gstgtk4::plugin_register_static() {
        return Outcome::SetupFailed(format!("could not register the GTK video sink: {e}"));
    }
    gio::resources_register_include!("reelcast.gresource").expect("resources are compiled in");

    let app = adw::Application::builder()
        .application_id(APP_ID)
        .flags(gio::ApplicationFlags::NON_UNIQUE)
        .resource_base_path("/io/github/reelcast/Reelcast")
        .build();
    app.connect_startup(|app| {
        let provider = gtk::CssProvider::new();
        provider.load_from_resource("/io/github/reelcast/Reelcast/style.css");
        if let Some(display) = gtk::gdk::Display::default() {
            gtk::style_context_add_provider_for_display(
                &display,
                &provider,
                gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
            );
        }
        add_app_actions(app);
    });
    app.set_accels_for_action("win.open", &["<Control>o"]);
    app.set_accels_for_action("win.record", &["<Control>r"]);
    app.set_accels_for_action("win.add-to-queue", &["<Control><Shift>o"]);
    app.set_accels_for_action("window.close", &["<Control>w"]);
    app.set_accels_for_action("app.preferences", &["<Control>comma"]);
    let failure: Rc<RefCell<Option<String>>> = Rc::default();
    let failed = failure.clone();
    app.connect_activate(move |app| {
        let window = match ReelcastWindow::new(app, start.json, settings()) {
            Ok(w) => w,
            Err(e) => {
                failed.replace(Some(e.to_string()));
                app.quit();
                return;
            }
        };
        window.present();
        window.set_looping(start.looping);
        window.player().set_muted(start.mute);
        window.set_subtitles(&start.subtitles, start.share_subtitles);
        if start.speed > 0.0 {
            window.set_speed(start.speed);
        }
        if !start.sources.is_empty() {
            window.open_queue(&start.sources);
        }
        if let Some(choices) = &start.share {
            window.share_with(choices.clone());
        }
    });
    stop_on_signals(&app);
    // Our own arguments are parsed by clap; GTK gets none.
    app.run_with_args::<glib::GString>(&[]);
    super::goodbyes::wait();
    match failure.take() {
        Some(message) => Outcome::SetupFailed(message),
        None => Outcome::Closed,
    }
}

/// SIGINT, SIGTERM and SIGHUP close the windows as a person would (a share is stopped the
/// way Stop Sharing does, its goodbye awaited); a second signal quits at once (Ctrl+C: 130).
fn stop_on_signals(app: &adw::Application) {
    let asked = Rc::new(std::cell::Cell::new(false));
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let (app, asked) = (app.downgrade(), asked.clone());
        glib::unix_signal_add_local(signal, move || {
            if asked.replace(true) {
                // As a shell reports a process a signal ended: 130 for Ctrl+C.
                std::process::exit(128 + signal);
            }
            if let Some(app) = app.upgrade() {
                for window in app.windows() {
                    window.close();
                }
            }
            glib::ControlFlow::Continue
        });
    }
}

fn add_app_actions(app: &adw::Application) {
    let preferences = gio::SimpleAction::new("preferences", None);
    let weak = app.downgrade();
    preferences.connect_activate(move |_, _| {
        let Some(app) = weak.upgrade() else { return };
        let Some(parent) = app.active_window() else {
            return;
        };
        match settings() {
            Some(settings) => ReelcastPreferences::new(&parent, &settings).present(),
            None => {
                let dialog = adw::MessageDialog::new(
                    Some(&parent),
                    Some(&gettext("Preferences are not available")),
                    Some(
                        &gettext("The settings schema {schema} is not installed.")
                            .replace("{schema}", APP_ID),
                    ),
                );
                dialog.add_response("close", &gettext("_Close"));
                dialog.present();
            }
        }
    });
    app.add_action(&preferences);

    let about = gio::SimpleAction::new("about", None);
    let weak = app.downgrade();
    about.connect_activate(move |_, _| {
        let Some(app) = weak.upgrade() else { return };
        let about = adw::AboutWindow::builder()
            .application_name("Reelcast")
            .application_icon(APP_ID)
            .version(env!("CARGO_PKG_VERSION"))
            .developer_name(gettext("The Reelcast developers"))
            .comments(gettext(
                "Play a video and share it live with the people in a call",
            ))
            .translator_credits(gettext("translator-credits"))
            .license_type(gtk::License::Gpl30)
            .website("https://github.com/reelcast/reelcast")
            .modal(true)
            .build();
        if let Some(parent) = app.active_window() {
            about.set_transient_for(Some(&parent));
        }
        about.present();
    });
    app.add_action(&about);
}
