//! TURN passwords in the keyring, against real parts: a private D-Bus session bus
//! (dbus-daemon with a configuration of its own, no service activation) and a real
//! gnome-keyring-daemon on it, unlocked with a password on its stdin, keeping its files in a
//! temporary home. GSettings is a key file in a temporary folder, so the person's settings
//! are never touched. What the keyring holds is read back with libsecret's `secret-tool`.
//!
//! The Secret Service is found through `DBUS_SESSION_BUS_ADDRESS`, which is one per process:
//! the tests take turns (a lock), each with its own bus and keyring.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::xvfb::{write_window_config, Xvfb};
use gtk::gio;
use gtk::glib;
use gtk::prelude::*;
use reelcast::sharing::{ShareChoices, Sharing, SharingEvent, SharingOptions, TurnSecretsError};
use reelcast::ui::{
    apply_turn_servers, migrate_turn_servers, settings_with_backend, share_turn_problem,
    shown_turn_servers, turn_problem_reason, ShareSettings, TURN_KEY,
};

const KEYRING_PASSWORD: &str = "the keyring's own password";

/// One test at a time: the session bus's address is the process's environment.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A private session bus, and (with [`Session::with_keyring`]) a Secret Service on it.
/// Everything it started is ended when it is dropped.
struct Session {
    dir: tempfile::TempDir,
    bus: Child,
    address: String,
    keyring: Option<Child>,
}

impl Session {
    /// A session bus that knows no services: nothing is activated, so without a keyring of
    /// our own nobody provides `org.freedesktop.secrets`.
    fn bus_only() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["run", "home", "data", "config"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        std::fs::set_permissions(
            dir.path().join("run"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().join("run").display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("dbus-daemon runs (install dbus-daemon)");
        // It prints its address once it listens.
        let stdout = bus.stdout.take().unwrap();
        let (tx, rx) = flume::bounded(1);
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let address = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("dbus-daemon prints its address")
            .trim()
            .to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon: {address:?}");
        // SAFETY of the process environment: the tests take turns (one_at_a_time).
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
        Self {
            dir,
            bus,
            address,
            keyring: None,
        }
    }

    /// The bus with gnome-keyring-daemon's Secret Service on it, its login keyring created
    /// and unlocked in this session's home; returns once the service has its name.
    fn with_keyring() -> Self {
        let mut session = Self::bus_only();
        let mut keyring = session
            .command("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("gnome-keyring-daemon runs (install gnome-keyring)");
        // The password, then the end of its input: it creates and unlocks the login keyring.
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(KEYRING_PASSWORD.as_bytes()).unwrap();
        drop(stdin);
        session.keyring = Some(keyring);
        let waited = session
            .command("gdbus")
            .args(["wait", "--address", &session.address, "--timeout", "30"])
            .arg("org.freedesktop.secrets")
            .status()
            .expect("gdbus runs (install libglib2.0-bin)");
        assert!(
            waited.success(),
            "the Secret Service did not appear within 30 s"
        );
        session
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A command in this session: its bus, its home.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_RUNTIME_DIR", self.path("run"));
        command
    }

    /// The password the keyring holds for a server and user, read with libsecret.
    fn lookup(&self, server: &str, user: &str) -> Option<String> {
        let out = self
            .command("secret-tool")
            .args(["lookup", "application", reelcast::APP_ID])
            .args(["turn-server", server, "username", user])
            .output()
            .expect("secret-tool runs (install libsecret-tools)");
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }

    /// Everything the keyring holds for Reelcast, as `secret-tool search` prints it.
    fn search(&self) -> String {
        let out = self
            .command("secret-tool")
            .args([
                "search",
                "--all",
                "--unlock",
                "application",
                reelcast::APP_ID,
            ])
            .output()
            .expect("secret-tool runs (install libsecret-tools)");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Preferences in a key file of this session, never the person's.
    fn settings(&self) -> (gio::Settings, PathBuf) {
        let file = self.path("config/reelcast.ini");
        let backend = gio::keyfile_settings_backend_new(
            file.to_str().unwrap(),
            "/io/github/reelcast/Reelcast/",
            // The group of the schema's keys (they sit at its root path).
            Some("reelcast"),
        );
        let settings = settings_with_backend(&backend).expect("the schema compiled by build.rs");
        (settings, file)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(mut keyring) = self.keyring.take() {
            let _ = keyring.kill();
            let _ = keyring.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
        std::env::remove_var("DBUS_SESSION_BUS_ADDRESS");
    }
}

/// Runs a future of the window's on a main context of its own, as the GTK main loop would.
fn on_main_loop<T>(future: impl std::future::Future<Output = T>) -> T {
    glib::MainContext::new().block_on(future)
}

/// The key file as written on disk.
fn on_disk(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_default()
}

/// A share of a short clip with these choices, on ports of its own; returns once its
/// signalling is registered (it is up), with the TURN servers its share was given.
fn share_starts(choices: &ShareChoices) -> (Sharing, reelcast::media::Player, Vec<String>) {
    let player = common::play_clip("turn.webm", (320, 240), 6, true);
    let options = SharingOptions::from(&ShareChoices {
        signalling_port: 0,
        http_port: 0,
        ..choices.clone()
    });
    let turn = options.config.turn_servers.clone();
    let sharing = Sharing::start(&player, options).expect("the share starts");
    let events = sharing.subscribe();
    common::wait_for(
        &events,
        Duration::from_secs(30),
        "the share's registration",
        |e| matches!(e, SharingEvent::Registered { .. }).then_some(()),
    );
    (sharing, player, turn)
}

#[test]
fn a_password_typed_in_preferences_goes_to_the_keyring_and_not_to_gsettings() {
    let _turn = one_at_a_time();
    let session = Session::with_keyring();
    let (settings, file) = session.settings();

    let typed = "turn://alice:hunter2@10.99.0.1:3478 turn://10.99.0.2:3478?transport=tcp";
    let problems = on_main_loop(apply_turn_servers(&settings, typed));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        settings.string(TURN_KEY),
        "turn://alice@10.99.0.1:3478 turn://10.99.0.2:3478?transport=tcp"
    );
    gio::Settings::sync();
    let written = on_disk(&file);
    assert!(written.contains("turn://alice@10.99.0.1:3478"), "{written}");
    assert!(!written.contains("hunter2"), "the key file: {written}");
    assert_eq!(
        session.lookup("10.99.0.1:3478", "alice").as_deref(),
        Some("hunter2")
    );
    let items = session.search();
    assert!(
        items.contains("label = Reelcast TURN server 10.99.0.1:3478"),
        "{items}"
    );
    assert!(items.contains("attribute.username = alice"), "{items}");
    // The row shows the addresses, never the password.
    assert!(!shown_turn_servers(typed).contains("hunter2"));

    // A new password replaces the old one; the same item, no second one.
    let problems = on_main_loop(apply_turn_servers(
        &settings,
        "turn://alice:s3cond@10.99.0.1:3478",
    ));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        session.lookup("10.99.0.1:3478", "alice").as_deref(),
        Some("s3cond")
    );
    assert_eq!(session.search().matches("label = ").count(), 1);

    // What the row shows, applied again (the window closing), keeps the password.
    let problems = on_main_loop(apply_turn_servers(&settings, "turn://alice@10.99.0.1:3478"));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        session.lookup("10.99.0.1:3478", "alice").as_deref(),
        Some("s3cond")
    );

    // A server taken out of the list takes its password with it.
    let problems = on_main_loop(apply_turn_servers(&settings, ""));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(settings.string(TURN_KEY), "");
    assert_eq!(session.lookup("10.99.0.1:3478", "alice"), None);
}

#[test]
fn a_clear_text_password_left_by_an_older_version_moves_to_the_keyring() {
    let _turn = one_at_a_time();
    let session = Session::with_keyring();
    let (settings, file) = session.settings();
    settings
        .set_string(
            TURN_KEY,
            "turn://bob:0ld-pa55@10.99.0.3:3478 turn://10.99.0.2:3478",
        )
        .unwrap();
    gio::Settings::sync();
    assert!(on_disk(&file).contains("0ld-pa55"));

    let problems = on_main_loop(migrate_turn_servers(&settings));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        settings.string(TURN_KEY),
        "turn://bob@10.99.0.3:3478 turn://10.99.0.2:3478"
    );
    gio::Settings::sync();
    assert!(!on_disk(&file).contains("0ld-pa55"), "{}", on_disk(&file));
    assert_eq!(
        session.lookup("10.99.0.3:3478", "bob").as_deref(),
        Some("0ld-pa55")
    );
    // Once moved, the next start has nothing to do.
    assert!(on_main_loop(migrate_turn_servers(&settings)).is_empty());

    // Not moved yet (no keyring then) and the row applied as it shows it, without the
    // password: the password is moved, not lost.
    settings
        .set_string(TURN_KEY, "turn://erin:k33p-me@10.99.0.6:3478")
        .unwrap();
    let shown = shown_turn_servers(&settings.string(TURN_KEY));
    assert_eq!(shown, "turn://erin@10.99.0.6:3478");
    let problems = on_main_loop(apply_turn_servers(
        &settings,
        &format!("{shown} turn://10.99.0.2:3478"),
    ));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        session.lookup("10.99.0.6:3478", "erin").as_deref(),
        Some("k33p-me")
    );
    assert_eq!(
        settings.string(TURN_KEY),
        "turn://erin@10.99.0.6:3478 turn://10.99.0.2:3478"
    );
}

#[test]
fn a_share_from_the_preferences_gets_the_passwords_back() {
    let _turn = one_at_a_time();
    let session = Session::with_keyring();
    let (settings, _) = session.settings();
    let problems = on_main_loop(apply_turn_servers(
        &settings,
        "turn://alice:hunter2@10.99.0.1:3478 turn://10.99.0.2:3478",
    ));
    assert!(problems.is_empty(), "{problems:?}");

    let share = ShareSettings::read(&settings);
    assert!(share.needs_passwords());
    let (choices, problems) = on_main_loop(share.choices_with_passwords());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        choices.turn,
        [
            "turn://alice:hunter2@10.99.0.1:3478",
            "turn://10.99.0.2:3478"
        ]
    );
    let (_sharing, _player, turn) = share_starts(&choices);
    assert_eq!(
        turn,
        [
            "turn://alice:hunter2@10.99.0.1:3478",
            "turn://10.99.0.2:3478"
        ]
    );
}

#[test]
fn a_locked_keyring_leaves_the_server_out_and_says_so() {
    let _turn = one_at_a_time();
    let session = Session::with_keyring();
    let (settings, _) = session.settings();
    let problems = on_main_loop(apply_turn_servers(
        &settings,
        "turn://alice:hunter2@10.99.0.1:3478 turn://10.99.0.2:3478",
    ));
    assert!(problems.is_empty(), "{problems:?}");
    // Locked through the Secret Service API, as the screen lock or Seahorse would.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let keyring = oo7::Keyring::new().await.unwrap();
        keyring.lock().await.unwrap();
        assert!(keyring.is_locked().await.unwrap());
    });

    let (choices, problems) = on_main_loop(ShareSettings::read(&settings).choices_with_passwords());
    assert_eq!(choices.turn, ["turn://10.99.0.2:3478"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].address, "turn://alice@10.99.0.1:3478");
    assert_eq!(problems[0].error, TurnSecretsError::Locked);
    let said = format!(
        "{} {}",
        share_turn_problem(&problems[0]),
        turn_problem_reason(&problems[0].error)
    );
    assert_eq!(
        said,
        "Sharing without the TURN server turn://alice@10.99.0.1:3478 \
         The keyring is locked: unlock it and try again."
    );
    let (_sharing, _player, turn) = share_starts(&choices);
    assert_eq!(turn, ["turn://10.99.0.2:3478"]);
}

#[test]
fn without_a_secret_service_the_share_starts_without_that_server_and_says_why() {
    let _turn = one_at_a_time();
    let session = Session::bus_only();
    let (settings, file) = session.settings();

    // Preferences: the password cannot be kept, and it is not put in the key instead.
    let problems = on_main_loop(apply_turn_servers(
        &settings,
        "turn://carol:hunter2@10.99.0.4:3478 turn://10.99.0.2:3478",
    ));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        matches!(problems[0].error, TurnSecretsError::NoService(_)),
        "{problems:?}"
    );
    assert!(!format!("{problems:?}").contains("hunter2"));
    assert_eq!(
        settings.string(TURN_KEY),
        "turn://carol@10.99.0.4:3478 turn://10.99.0.2:3478"
    );
    gio::Settings::sync();
    assert!(!on_disk(&file).contains("hunter2"));

    // The share starts, without that server, and says why.
    let (choices, problems) = on_main_loop(ShareSettings::read(&settings).choices_with_passwords());
    assert_eq!(choices.turn, ["turn://10.99.0.2:3478"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].address, "turn://carol@10.99.0.4:3478");
    assert_eq!(
        share_turn_problem(&problems[0]),
        "Sharing without the TURN server turn://carol@10.99.0.4:3478"
    );
    assert_eq!(
        turn_problem_reason(&problems[0].error),
        "No keyring (Secret Service) is running on this computer."
    );
    let (_sharing, _player, turn) = share_starts(&choices);
    assert_eq!(turn, ["turn://10.99.0.2:3478"]);

    // An older version's password stays where it is until a keyring takes it.
    settings
        .set_string(TURN_KEY, "turn://dave:0ld-pa55@10.99.0.5:3478")
        .unwrap();
    let problems = on_main_loop(migrate_turn_servers(&settings));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        settings.string(TURN_KEY),
        "turn://dave:0ld-pa55@10.99.0.5:3478"
    );
    // The share uses it as it is meanwhile.
    let (choices, problems) = on_main_loop(ShareSettings::read(&settings).choices_with_passwords());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(choices.turn, ["turn://dave:0ld-pa55@10.99.0.5:3478"]);

    // No session bus at all: the same words.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", session.path("run/no-bus").display()),
    );
    settings
        .set_string(TURN_KEY, "turn://carol@10.99.0.4:3478")
        .unwrap();
    let (choices, problems) = on_main_loop(ShareSettings::read(&settings).choices_with_passwords());
    assert!(choices.turn.is_empty());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        matches!(problems[0].error, TurnSecretsError::NoService(_)),
        "{problems:?}"
    );
}

/// The window, with the person's preferences naming a TURN server whose password the
/// keyring should give, and no Secret Service: Start Sharing starts the share, without
/// that server, and the window says why (a toast; the same words as an `error` line).
#[test]
fn the_window_shares_without_the_server_the_keyring_cannot_give_and_says_why() {
    let _turn = one_at_a_time();
    common::net::assert_private_network();
    let session = Session::bus_only();
    // The preferences, in this session's config folder.
    write_window_config(
        &session.path("config"),
        "turn-server='turn://carol@10.99.0.4:3478'\n",
    );
    let clip = common::media().dir.join("turn-window.webm");
    common::make_webm(&clip, Some((320, 240)), true, 10);
    let x = Xvfb::start();
    let app = x.play(session.command(env!("CARGO_BIN_EXE_reelcast")), &clip);
    // Ctrl+S opens the share panel; its Start Sharing button is clicked where it shows.
    x.xdotool(&["mousemove", "300", "300", "key", "ctrl+s"]);
    x.click_start_sharing();
    let said = app.wait_json(Duration::from_secs(30), "the window saying why", |v| {
        (v["event"] == "error").then(|| v["message"].as_str().unwrap_or_default().to_owned())
    });
    assert_eq!(
        said,
        "Sharing without the TURN server turn://carol@10.99.0.4:3478: \
         No keyring (Secret Service) is running on this computer."
    );
    app.wait_json(Duration::from_secs(30), "the share registered", |v| {
        (v["event"] == "registered").then_some(())
    });
}
