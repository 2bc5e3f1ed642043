//! The window: a thin client of the media, capture and sharing layers.

mod preferences;
mod share_panel;
mod window;

use adw::prelude::*;
use gtk::{gio, glib};

pub use window::ReelcastWindow;

use crate::cli::{exit, PlayArgs, ShareArgs};

pub const APP_ID: &str = "io.github.reelcast.Reelcast";

/// What the window does first.
pub enum Start {
    Play(PlayArgs),
    /// Open the file and share it at once, as `reelcast share` does without a window.
    Share(ShareArgs),
}

/// The preferences, from the installed schema or, in a build from source, the one compiled
/// next to it. `None` when neither exists: the app then runs on defaults and saves nothing.
pub fn settings() -> Option<gio::Settings> {
    let default = gio::SettingsSchemaSource::default();
    if let Some(schema) = default.as_ref().and_then(|s| s.lookup(APP_ID, true)) {
        return Some(gio::Settings::new_full(
            &schema,
            None::<&gio::SettingsBackend>,
            None,
        ));
    }
    let dir = option_env!("REELCAST_SCHEMA_DIR")?;
    let source = gio::SettingsSchemaSource::from_directory(dir, default.as_ref(), false).ok()?;
    let schema = source.lookup(APP_ID, false)?;
    Some(gio::Settings::new_full(
        &schema,
        None::<&gio::SettingsBackend>,
        None,
    ))
}

/// Runs the application with a window; returns the exit code.
pub fn run(start: Start) -> i32 {
    if let Err(e) = crate::init() {
        eprintln!("reelcast: {e}");
        return exit::SETUP_FAILED;
    }
    if let Err(e) = gstgtk4::plugin_register_static() {
        eprintln!("reelcast: could not register the GTK video sink: {e}");
        return exit::SETUP_FAILED;
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
    app.set_accels_for_action("win.add-to-queue", &["<Control><Shift>o"]);
    app.set_accels_for_action("window.close", &["<Control>w"]);
    app.set_accels_for_action("app.preferences", &["<Control>comma"]);
    let start = std::rc::Rc::new(start);
    app.connect_activate(move |app| {
        let json = match start.as_ref() {
            Start::Play(args) => args.json,
            Start::Share(args) => args.json,
        };
        let window = match ReelcastWindow::new(app, json, settings()) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("reelcast: {e}");
                app.quit();
                return;
            }
        };
        window.present();
        match start.as_ref() {
            Start::Play(args) => {
                window.set_looping(args.looping);
                window.player().set_muted(args.mute);
                if !args.sources.is_empty() {
                    window.open_queue(&args.sources);
                }
            }
            Start::Share(args) => {
                window.set_looping(args.looping);
                window.open_queue(&args.sources);
                window.share_with(crate::share_cli::sharing_options(args));
            }
        }
    });
    // Our own arguments are parsed by clap; GTK gets none.
    let status = app.run_with_args::<glib::GString>(&[]);
    i32::from(status)
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
            Some(settings) => preferences::ReelcastPreferences::new(&parent, &settings).present(),
            None => {
                let dialog = adw::MessageDialog::new(
                    Some(&parent),
                    Some("Preferences are not available"),
                    Some("The settings schema io.github.reelcast.Reelcast is not installed."),
                );
                dialog.add_response("close", "_Close");
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
            .developer_name("The Reelcast developers")
            .comments("Play a video and share it live with the people in a call")
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
