use std::path::PathBuf;
use std::process::Command;

fn main() {
    glib_build_tools::compile_resources(
        &["resources"],
        "resources/resources.gresource.xml",
        "reelcast.gresource",
    );
    // The settings schema, compiled next to the build so that a run from the source tree finds
    // it; an installed app (Flatpak, distribution) has it in the system's schema folder.
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("schemas");
    std::fs::create_dir_all(&out).expect("a folder in OUT_DIR");
    std::fs::copy(
        "data/io.github.reelcast.Reelcast.gschema.xml",
        out.join("io.github.reelcast.Reelcast.gschema.xml"),
    )
    .expect("the schema is in data/");
    let status = Command::new("glib-compile-schemas")
        .arg("--strict")
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("cargo:rustc-env=REELCAST_SCHEMA_DIR={}", out.display());
        }
        _ => println!("cargo:warning=glib-compile-schemas failed: settings will not be saved"),
    }
    println!("cargo:rerun-if-changed=data/io.github.reelcast.Reelcast.gschema.xml");
    println!("cargo:rerun-if-changed=resources");
    println!("cargo:rerun-if-changed=data/icons");
}
