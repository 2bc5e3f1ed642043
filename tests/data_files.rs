//! What ships in data/ passes the freedesktop validators.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::peers::Peer;
use common::xvfb::Xvfb;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

fn check(cmd: &mut Command) {
    let out = cmd
        .output()
        .expect("validator runs (install desktop-file-utils appstream libglib2.0-bin)");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn desktop_file_is_valid() {
    check(Command::new("desktop-file-validate").arg(data("io.github.reelcast.Reelcast.desktop")));
}

#[test]
fn metainfo_is_valid() {
    check(
        Command::new("appstreamcli")
            .args(["validate", "--no-net"])
            .arg(data("io.github.reelcast.Reelcast.metainfo.xml")),
    );
}

#[test]
fn gsettings_schema_compiles() {
    check(
        Command::new("glib-compile-schemas")
            .args(["--strict", "--dry-run"])
            .arg(data("")),
    );
}

/// `meson setup` and `meson install` into a temporary prefix, building with the cargo target
/// folder and features this test was built with (so cargo finds nothing to do), then what
/// landed there: the validators pass on the installed files, and the installed binary opens its
/// window with the schema of its own prefix while the build tree's is never looked at.
#[test]
fn meson_installs_an_app_that_runs_from_its_prefix() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let (build, prefix) = (dir.path().join("build"), dir.path().join("prefix"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let features = if cfg!(feature = "fuzzing") {
        "fuzzing"
    } else {
        ""
    };
    check(
        Command::new("meson")
            .arg("setup")
            .arg(&build)
            .arg(format!("--prefix={}", prefix.display()))
            .args(["-Dprofile=debug", &format!("-Dcargo_features={features}")])
            .arg(format!("-Dcargo_target_dir={}", target.display()))
            .current_dir(root)
            .env("CARGO", env!("CARGO")),
    );
    check(
        Command::new("meson")
            .args(["install", "-C"])
            .arg(&build)
            .env("CARGO_NET_OFFLINE", "true"),
    );

    let share = prefix.join("share");
    let desktop = share.join("applications/io.github.reelcast.Reelcast.desktop");
    check(Command::new("desktop-file-validate").arg(&desktop));
    check(
        Command::new("appstreamcli")
            .args(["validate", "--no-net"])
            .arg(share.join("metainfo/io.github.reelcast.Reelcast.metainfo.xml")),
    );
    for icon in [
        "scalable/apps/io.github.reelcast.Reelcast.svg",
        "symbolic/apps/io.github.reelcast.Reelcast-symbolic.svg",
    ] {
        assert!(share.join("icons/hicolor").join(icon).is_file(), "{icon}");
    }
    let schemas = share.join("glib-2.0/schemas");
    assert!(
        schemas.join("gschemas.compiled").is_file(),
        "compiled on install"
    );
    let linguas = std::fs::read_to_string(root.join("po/LINGUAS")).unwrap();
    for lang in linguas
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mo = share.join(format!("locale/{lang}/LC_MESSAGES/reelcast.mo"));
        assert!(mo.is_file(), "{} is installed", mo.display());
        // The desktop file is merged with the translations as it is installed.
        let entry = std::fs::read_to_string(&desktop).unwrap();
        assert!(entry.contains(&format!("Comment[{lang}]=")), "{entry}");
    }

    // The system's data folders only: none of them has Reelcast's schema, so the one found can
    // only be the prefix's.
    assert!(
        !Path::new("/usr/share/glib-2.0/schemas/io.github.reelcast.Reelcast.gschema.xml").exists()
    );
    let clip = dir.path().join("clip.webm");
    common::make_webm(&clip, Some((320, 240)), false, 10);
    let x = Xvfb::start();
    let mut command = Command::new(prefix.join("bin/reelcast"));
    command
        .arg("play")
        .arg(&clip)
        .env("DISPLAY", &x.display)
        .env("GDK_BACKEND", "x11")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("GSETTINGS_SCHEMA_DIR")
        .env("XDG_DATA_DIRS", "/usr/share")
        .env("REELCAST_LOG", "reelcast::ui::settings=debug");
    let app = Peer::spawn("installed reelcast", command);
    let line = app.wait_line("the preferences schema is in", Duration::from_secs(30));
    assert!(line.contains(&schemas.display().to_string()), "{line}");
}

/// Each default of a share is written in one place, `ShareChoices::default()` (from the lower
/// layers' own): the preferences' schema, which has to spell its defaults out, says the same.
#[test]
fn the_preferences_defaults_are_the_shares_defaults() {
    let backend = gtk::gio::memory_settings_backend_new();
    let settings = reelcast::ui::settings_with_backend(&backend).expect("the schema compiled");
    assert_eq!(
        reelcast::ui::ShareSettings::read(&settings).choices(),
        reelcast::sharing::ShareChoices::default()
    );
}
