//! What ships in data/ passes the freedesktop validators.

use std::path::Path;
use std::process::Command;

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
