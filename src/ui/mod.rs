//! The window: a thin client of the media and capture layers.

mod window;

use adw::prelude::*;
use gtk::{gio, glib};

pub use window::ReelcastWindow;

use crate::cli::{exit, PlayArgs};

pub const APP_ID: &str = "io.github.reelcast.Reelcast";

/// Runs the application with a window; returns the exit code.
pub fn run(args: PlayArgs) -> i32 {
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
        .build();
    let args = std::rc::Rc::new(args);
    app.connect_startup(|_| {
        let provider = gtk::CssProvider::new();
        provider.load_from_resource("/io/github/reelcast/Reelcast/style.css");
        if let Some(display) = gtk::gdk::Display::default() {
            gtk::style_context_add_provider_for_display(
                &display,
                &provider,
                gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
            );
        }
    });
    app.set_accels_for_action("win.open", &["<Control>o"]);
    app.set_accels_for_action("window.close", &["<Control>w"]);
    app.connect_activate(move |app| {
        let window = match ReelcastWindow::new(app, args.json) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("reelcast: {e}");
                app.quit();
                return;
            }
        };
        window.player().set_looping(args.looping);
        window.player().set_muted(args.mute);
        window.present();
        if let Some(source) = &args.source {
            window.open(source);
        }
    });
    // Our own arguments are parsed by clap; GTK gets none.
    let status = app.run_with_args::<glib::GString>(&[]);
    i32::from(status)
}
