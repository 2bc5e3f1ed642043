//! The share panel's Record row: the button that starts and stops recording the share, and
//! how long the file lasts and how big it is, read twice a second while it records.

use std::path::{Path, PathBuf};
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{glib, CompositeTemplate};

/// What the row reads: the file being recorded, how long it lasts, its size in bytes.
pub type RecordingNow = Option<(PathBuf, Duration, u64)>;

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(resource = "/io/github/reelcast/Reelcast/ui/record_row.ui")]
    pub struct ReelcastRecordRow {
        #[template_child]
        pub icon: TemplateChild<gtk::Image>,
        #[template_child]
        pub button: TemplateChild<gtk::Button>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ReelcastRecordRow {
        const NAME: &'static str = "ReelcastRecordRow";
        type Type = super::ReelcastRecordRow;
        type ParentType = adw::ActionRow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for ReelcastRecordRow {}
    impl WidgetImpl for ReelcastRecordRow {}
    impl ListBoxRowImpl for ReelcastRecordRow {}
    impl PreferencesRowImpl for ReelcastRecordRow {}
    impl ActionRowImpl for ReelcastRecordRow {}
}

glib::wrapper! {
    pub struct ReelcastRecordRow(ObjectSubclass<imp::ReelcastRecordRow>)
        @extends adw::ActionRow, adw::PreferencesRow, gtk::ListBoxRow, gtk::Widget,
        @implements gtk::Accessible, gtk::Actionable, gtk::Buildable, gtk::ConstraintTarget;
}

impl ReelcastRecordRow {
    /// Shows what `read` says twice a second, for as long as the row lives. `read` must not
    /// wait: it reads what the share keeps for it.
    pub fn follow(&self, read: impl Fn() -> RecordingNow + 'static) {
        let row = self.downgrade();
        glib::timeout_add_local(Duration::from_millis(500), move || {
            let Some(row) = row.upgrade() else {
                return glib::ControlFlow::Break;
            };
            row.show(read());
            glib::ControlFlow::Continue
        });
    }

    fn show(&self, recording: RecordingNow) {
        let imp = self.imp();
        match recording {
            Some((path, length, bytes)) => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                let subtitle = format!(
                    "{} · {} · {}",
                    clock(length),
                    megabytes(bytes),
                    name.unwrap_or_default()
                );
                if self.subtitle().as_deref() != Some(subtitle.as_str()) {
                    self.set_subtitle(&glib::markup_escape_text(&subtitle));
                }
                imp.button.set_label(&gettext("Stop Recording"));
                imp.button.add_css_class("destructive-action");
                imp.icon.add_css_class("error");
            }
            None => {
                imp.button.set_label(&gettext("Record"));
                imp.button.remove_css_class("destructive-action");
                imp.icon.remove_css_class("error");
                self.set_subtitle(&gettext("Save what the viewers see to a file"));
            }
        }
    }
}

fn clock(length: Duration) -> String {
    let seconds = length.as_secs();
    match seconds / 3600 {
        0 => format!("{}:{:02}", seconds / 60, seconds % 60),
        hours => format!("{hours}:{:02}:{:02}", seconds / 60 % 60, seconds % 60),
    }
}

fn megabytes(bytes: u64) -> String {
    gettext("{size} MB").replace("{size}", &format!("{:.1}", bytes as f64 / 1e6))
}

/// Where a new recording goes: `folder` (the person's choice, from the preferences) or their
/// Videos folder, named after now, in the container that holds `codec` (a share's video codec
/// as the command line writes it).
pub fn recording_path(folder: Option<&str>, codec: &str) -> PathBuf {
    let folder = folder
        .filter(|f| !f.trim().is_empty())
        .map(PathBuf::from)
        .or_else(|| glib::user_special_dir(glib::UserDirectory::Videos))
        .unwrap_or_else(glib::home_dir);
    let now = glib::DateTime::now_local()
        .and_then(|t| t.format("%Y-%m-%d %H-%M-%S"))
        .map(|s| s.to_string())
        .unwrap_or_default();
    let extension = if codec == "h264" { "mp4" } else { "webm" };
    unique(&folder, &format!("Reelcast {now}"), extension)
}

/// `folder/stem.extension`, or with " (2)", " (3)"… where that exists.
fn unique(folder: &Path, stem: &str, extension: &str) -> PathBuf {
    let mut path = folder.join(format!("{stem}.{extension}"));
    let mut n = 2;
    while path.exists() {
        path = folder.join(format!("{stem} ({n}).{extension}"));
        n += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_is_named_after_now_in_the_folder_and_never_over_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_str().unwrap();
        let first = recording_path(Some(folder), "vp8");
        assert_eq!(first.parent(), Some(dir.path()));
        assert!(first.to_string_lossy().ends_with(".webm"), "{first:?}");
        std::fs::write(&first, b"x").unwrap();
        let second = recording_path(Some(folder), "vp8");
        assert_ne!(first, second);
        assert!(recording_path(Some(folder), "h264")
            .to_string_lossy()
            .ends_with(".mp4"));
        assert_eq!(clock(Duration::from_secs(75)), "1:15");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }
}
