//! The Flatpak builds with no network, as Flathub builds it: every crate of Cargo.lock comes
//! from flatpak/cargo-sources.json (written by scripts/flatpak-cargo-sources.py), and the
//! other modules' sources are pinned by a checksum or a commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
const MANIFEST: &str = "flatpak/io.github.reelcast.Reelcast.json";
const CARGO_SOURCES: &str = "flatpak/cargo-sources.json";
const REGENERATE: &str = "run scripts/flatpak-cargo-sources.py";

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// (name, version) -> checksum.
type Crates = BTreeMap<(String, String), String>;

/// The crates.io packages of a Cargo.lock. Its `[[package]]` blocks are flat `key = "value"`
/// lines plus a `dependencies` array, so reading lines is enough (no TOML crate in the tree).
/// A package from anywhere else but the workspace is a problem: the build could not fetch it.
fn lock_crates(lock: &str) -> (Crates, Vec<String>) {
    let mut crates = Crates::new();
    let mut problems = Vec::new();
    let mut fields: Option<BTreeMap<&str, &str>> = None;
    let mut flush = |fields: Option<BTreeMap<&str, &str>>| {
        let Some(f) = fields else { return };
        let (name, version) = (f["name"].to_owned(), f["version"].to_owned());
        match (f.get("source"), f.get("checksum")) {
            // A workspace member: it is in the source tree.
            (None, _) => {}
            (Some(&CRATES_IO), Some(sum)) => {
                crates.insert((name, version), (*sum).to_owned());
            }
            (Some(&CRATES_IO), None) => problems.push(format!("{name} {version}: no checksum")),
            (Some(other), _) => problems.push(format!(
                "{name} {version} comes from {other}, which the offline build cannot fetch"
            )),
        }
    };
    for line in lock.lines() {
        if line.starts_with('[') {
            flush(fields.take());
            if line == "[[package]]" {
                fields = Some(BTreeMap::new());
            }
        } else if let (Some(f), Some((key, value))) = (fields.as_mut(), line.split_once(" = ")) {
            if let Some(value) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                f.insert(key, value);
            }
        }
    }
    flush(fields);
    (crates, problems)
}

fn str_of<'a>(source: &'a Value, key: &str) -> &'a str {
    source[key].as_str().unwrap_or_default()
}

/// The crates that cargo-sources.json unpacks into Cargo's vendor directory, each with the
/// `.cargo-checksum.json` Cargo's directory source reads, and the config.toml that points
/// crates-io at that directory.
fn vendored_crates(sources: &Value) -> (Crates, Vec<String>) {
    let mut crates = Crates::new();
    let mut checksum_files = BTreeMap::new();
    let mut problems = Vec::new();
    let mut configs = 0;
    for source in sources.as_array().expect("cargo-sources.json is an array") {
        let dest = str_of(source, "dest");
        match (str_of(source, "type"), str_of(source, "dest-filename")) {
            ("archive", _) => {
                let url = str_of(source, "url");
                let parsed = url
                    .strip_prefix("https://static.crates.io/crates/")
                    .and_then(|rest| rest.split_once('/'))
                    .and_then(|(name, file)| {
                        let version = file.strip_prefix(name)?.strip_prefix('-')?;
                        Some((name, version.strip_suffix(".crate")?))
                    });
                let Some((name, version)) = parsed else {
                    problems.push(format!("{url} is not a crates.io crate"));
                    continue;
                };
                if dest != format!("cargo/vendor/{name}-{version}") {
                    problems.push(format!("{url} unpacks into {dest}"));
                }
                if str_of(source, "archive-type") != "tar-gzip" {
                    problems.push(format!("{url}: archive-type is not tar-gzip"));
                }
                let key = (name.to_owned(), version.to_owned());
                let sum = str_of(source, "sha256").to_owned();
                if crates.insert(key, sum).is_some() {
                    problems.push(format!("{url} is listed twice"));
                }
            }
            ("inline", ".cargo-checksum.json") => {
                let contents: Value =
                    serde_json::from_str(str_of(source, "contents")).unwrap_or_default();
                checksum_files.insert(dest.to_owned(), str_of(&contents, "package").to_owned());
            }
            ("inline", "config.toml") if dest == "cargo" => {
                configs += 1;
                let contents = str_of(source, "contents");
                for line in [
                    "[source.crates-io]",
                    "replace-with = \"vendored-sources\"",
                    "[source.vendored-sources]",
                    "directory = \"cargo/vendor\"",
                ] {
                    if !contents.lines().any(|l| l.trim() == line) {
                        problems.push(format!("cargo/config.toml lacks `{line}`"));
                    }
                }
            }
            (kind, _) => problems.push(format!("unexpected {kind} source into {dest}")),
        }
    }
    if configs != 1 {
        problems.push(format!("{configs} cargo/config.toml sources, not one"));
    }
    for ((name, version), sum) in &crates {
        let dest = format!("cargo/vendor/{name}-{version}");
        match checksum_files.remove(&dest) {
            Some(package) if package == *sum => {}
            Some(package) => problems.push(format!("{dest}/.cargo-checksum.json says {package}")),
            None => problems.push(format!("{dest} has no .cargo-checksum.json")),
        }
    }
    problems.extend(
        checksum_files
            .into_keys()
            .map(|dest| format!("{dest}/.cargo-checksum.json has no crate")),
    );
    (crates, problems)
}

/// Everything that keeps `sources` from vendoring exactly the crates.io packages of `lock`.
fn cargo_sources_problems(lock: &str, sources: &Value) -> Vec<String> {
    let (locked, mut problems) = lock_crates(lock);
    let (vendored, more) = vendored_crates(sources);
    problems.extend(more);
    for ((name, version), sum) in &locked {
        match vendored.get(&(name.clone(), version.clone())) {
            Some(vendored_sum) if vendored_sum == sum => {}
            Some(vendored_sum) => problems.push(format!(
                "{name} {version}: sha256 {vendored_sum}, Cargo.lock has {sum}"
            )),
            None => problems.push(format!("{name} {version} is missing: {REGENERATE}")),
        }
    }
    for (name, version) in vendored.keys() {
        if !locked.contains_key(&(name.clone(), version.clone())) {
            problems.push(format!(
                "{name} {version} is not in Cargo.lock: {REGENERATE}"
            ));
        }
    }
    problems
}

/// The manifest's modules, nested ones included, with a module given as a file name loaded.
fn modules(parent: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for module in parent["modules"].as_array().into_iter().flatten() {
        let module = match module.as_str() {
            Some(file) => json(&format!("flatpak/{file}")),
            None => module.clone(),
        };
        out.extend(modules(&module));
        out.push(module);
    }
    out
}

/// A `build-options` object and its per-arch overrides.
fn build_options(options: &Value) -> Vec<&Value> {
    let mut out = vec![options];
    for arch in options["arch"]
        .as_object()
        .into_iter()
        .flat_map(|a| a.values())
    {
        out.extend(build_options(arch));
    }
    out
}

#[test]
fn cargo_sources_vendor_every_crate_of_the_lock_and_nothing_else() {
    let (locked, _) = lock_crates(&read("Cargo.lock"));
    assert!(
        locked.len() > 100,
        "Cargo.lock read: {} crates",
        locked.len()
    );
    let problems = cargo_sources_problems(&read("Cargo.lock"), &json(CARGO_SOURCES));
    assert!(
        problems.is_empty(),
        "{CARGO_SOURCES}:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_crate_the_sources_miss_or_misstate_is_caught() {
    let lock = read("Cargo.lock");
    let sources = json(CARGO_SOURCES);

    let grown = format!(
        "{lock}\n[[package]]\nname = \"not-vendored\"\nversion = \"1.2.3\"\n\
         source = \"{CRATES_IO}\"\nchecksum = \"{}\"\n",
        "0".repeat(64)
    );
    let problems = cargo_sources_problems(&grown, &sources);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("not-vendored 1.2.3 is missing")),
        "{problems:?}"
    );

    let from_git = format!(
        "{lock}\n[[package]]\nname = \"from-git\"\nversion = \"0.1.0\"\n\
         source = \"git+https://example.org/from-git#abc\"\n"
    );
    let problems = cargo_sources_problems(&from_git, &sources);
    assert!(problems
        .iter()
        .any(|p| p.starts_with("from-git 0.1.0 comes from git+")));

    let mut changed = sources.clone();
    changed[0]["sha256"] = Value::from("f".repeat(64));
    let problems = cargo_sources_problems(&lock, &changed);
    assert!(
        problems.iter().any(|p| p.contains(": sha256 ffff")),
        "{problems:?}"
    );
}

#[test]
fn the_manifest_builds_without_network() {
    let manifest = json(MANIFEST);
    assert_eq!(manifest["runtime"], "org.gnome.Platform");
    assert!(
        manifest["sdk-extensions"]
            .as_array()
            .is_some_and(|e| e.contains(&Value::from("org.freedesktop.Sdk.Extension.rust-stable"))),
        "the Rust toolchain comes from the rust-stable SDK extension"
    );

    let modules = modules(&manifest);
    let all_options = std::iter::once(&manifest)
        .chain(&modules)
        .flat_map(|m| build_options(&m["build-options"]));
    let mut env = BTreeMap::new();
    for options in all_options {
        for arg in options["build-args"].as_array().into_iter().flatten() {
            assert!(
                !arg.as_str()
                    .unwrap_or_default()
                    .starts_with("--share=network"),
                "build-args {arg}: Flathub builds with no network"
            );
        }
        for (key, value) in options["env"].as_object().into_iter().flatten() {
            env.insert(key.clone(), value.clone());
        }
    }
    assert_eq!(env.get("CARGO_NET_OFFLINE"), Some(&Value::from("true")));
    assert_eq!(
        env.get("CARGO_HOME"),
        Some(&Value::from("/run/build/reelcast/cargo")),
        "cargo/config.toml of the vendored sources is read from CARGO_HOME"
    );

    let reelcast = modules
        .iter()
        .find(|m| m["name"] == "reelcast")
        .expect("a reelcast module");
    assert_eq!(reelcast["buildsystem"], "meson");
    let sources = reelcast["sources"].as_array().expect("reelcast sources");
    assert!(
        sources.contains(&Value::from("cargo-sources.json")),
        "{sources:?}"
    );
    assert!(sources
        .iter()
        .any(|s| s["type"] == "dir" && s["path"] == ".."));
}

#[test]
fn the_x264_modules_are_pinned() {
    let manifest = json(MANIFEST);
    let x264: Vec<Value> = modules(&manifest)
        .into_iter()
        .filter(|m| str_of(m, "name").contains("x264"))
        .collect();
    // The library, then the x264enc plugin built against the runtime's GStreamer.
    assert_eq!(x264.len(), 2, "{x264:?}");
    let opts = |m: &Value| m["config-opts"].as_array().cloned().unwrap_or_default();
    assert!(x264
        .iter()
        .any(|m| opts(m).contains(&Value::from("-Dx264=enabled"))));

    let hex = |s: &str, len: usize| s.len() == len && s.chars().all(|c| c.is_ascii_hexdigit());
    for module in &x264 {
        let sources = module["sources"].as_array().expect("sources");
        assert!(!sources.is_empty(), "{module}");
        for source in sources {
            let pinned = match str_of(source, "type") {
                "archive" | "file" => hex(str_of(source, "sha256"), 64),
                "git" => hex(str_of(source, "commit"), 40),
                _ => false,
            };
            assert!(pinned, "{}: {source} is not pinned", module["name"]);
        }
    }
}
