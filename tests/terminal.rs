//! What a person reads: `play --headless` and `share --headless` redirected to a file (plain
//! lines, no escapes, one line per failure, silence while idle) and on a pseudo-terminal from
//! `script` (one status line redrawn in place). The share tests run in scripts/test.sh's
//! private network.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::net::assert_private_network;
use common::peers::{browser_viewers_with, signalling_server, ViewerKind};

const ESC: u8 = 0x1b;

fn reelcast() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    cmd.env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("NO_COLOR")
        .env_remove("REELCAST_LOG")
        .env_remove(PING_VARIABLE);
    cmd
}

const PING_VARIABLE: &str = "REELCAST_TEST_PING_MS";

/// A process whose standard output and error arrive as bytes, read with deadlines.
struct Raw {
    child: Child,
    chunks: flume::Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl Raw {
    fn spawn(mut command: Command) -> Raw {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("reelcast starts");
        let (tx, chunks) = flume::unbounded();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        forward(out, tx.clone());
        forward(err, tx);
        Raw {
            child,
            chunks,
            seen: Vec::new(),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads until `want` holds for everything seen so far, or fails at the deadline.
    fn wait(&mut self, within: Duration, what: &str, want: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + within;
        while !want(&self.text()) {
            match self.chunks.recv_deadline(deadline) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => panic!(
                    "timed out after {within:?} waiting for {what}:\n{}",
                    self.text()
                ),
            }
        }
    }

    /// Everything that arrives within `window`.
    fn collect_for(&mut self, window: Duration) -> String {
        let new = common::collect_for(&self.chunks, window).concat();
        self.seen.extend(&new);
        String::from_utf8_lossy(&new).into_owned()
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward(mut stream: impl Read + Send + 'static, tx: flume::Sender<Vec<u8>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
}

/// `reelcast ARGS` on a pseudo-terminal, through util-linux's `script`.
fn on_a_terminal(args: &[&str]) -> Command {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_reelcast"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let mut cmd = Command::new("script");
    cmd.args(["--quiet", "--return", "--flush", "--command"])
        .arg(format!(
            "stty cols {COLUMNS} rows 24; exec {}",
            quoted.join(" ")
        ))
        .arg("/dev/null")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("REELCAST_LOG")
        .env("TERM", "xterm");
    cmd
}

fn path(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

#[test]
fn a_redirected_play_log_has_no_escape_byte() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.webm");
    std::fs::write(&broken, b"not a video").unwrap();
    let out = reelcast()
        .args(["play", "--headless"])
        .arg(&broken)
        .arg(&common::media().short)
        // The log too (the broken file makes the player log it), which used to carry colour
        // escapes.
        .env("REELCAST_LOG", "debug")
        .output()
        .unwrap();
    let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    let text = String::from_utf8_lossy(&all);
    assert!(text.contains("end of stream"), "{text}");
    assert!(text.contains("reelcast::media"), "the log was on: {text}");
    assert!(!all.contains(&ESC), "{text}");
    assert!(!all.contains(&b'\r'), "no redraws in a file: {text}");
}

#[test]
fn a_redirected_share_log_has_no_escape_byte() {
    assert_private_network();
    let mut share = Raw::spawn({
        let mut cmd = reelcast();
        cmd.args(common::HEADLESS_SHARE)
            .arg(&common::media().av)
            .env("REELCAST_LOG", "reelcast=debug");
        cmd
    });
    share.wait(Duration::from_secs(60), "the end of the share", |t| {
        t.contains("the share is over")
    });
    let text = share.text();
    assert!(text.contains("in a browser to watch."), "{text}");
    assert!(text.contains("Viewers can join now."), "{text}");
    assert!(!share.seen.contains(&ESC), "{text}");
    assert!(!share.seen.contains(&b'\r'), "{text}");
}

#[test]
fn a_broken_file_yields_exactly_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.webm");
    std::fs::write(&broken, b"this is not a video, just some words in a file").unwrap();
    let mut play = Raw::spawn({
        let mut cmd = reelcast();
        cmd.args(["play", "--headless"]).arg(&broken);
        cmd
    });
    play.wait(Duration::from_secs(30), "the failure", |t| {
        t.contains("broken.webm")
    });
    // Whether or not the run ends (issue #16), nothing more names the file.
    play.collect_for(Duration::from_secs(2));
    let text = play.text();
    let naming: Vec<&str> = text.lines().filter(|l| l.contains("broken.webm")).collect();
    assert_eq!(naming.len(), 1, "{text}");
    assert!(naming[0].starts_with("reelcast: "), "{text}");
    // Internal details (GStreamer's debug strings) stay out of a person's terminal.
    assert!(!text.contains(".c("), "{text}");
}

#[test]
fn quiet_prints_errors_only() {
    let out = reelcast()
        .args(["play", "--headless", "--quiet"])
        .arg(&common::media().short)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An idle share's only periodic traffic is its websocket ping (15 s; here every 100 ms). 40
/// pings pass and not a byte is printed; the same run with the embedded server's trace log on
/// shows that the pings did happen.
#[test]
fn an_idle_share_prints_nothing_across_many_pings() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let idle = |log: Option<&str>| {
        let mut cmd = reelcast();
        cmd.args(common::HEADLESS_SHARE)
            .arg("--loop")
            .arg(&common::media().av)
            .env(PING_VARIABLE, "100");
        if let Some(log) = log {
            cmd.env("REELCAST_LOG", log);
        }
        let mut share = Raw::spawn(cmd);
        share.wait(Duration::from_secs(60), "the share to be up", |t| {
            t.contains("Viewers can join now.")
        });
        share
    };
    let mut quiet = idle(None);
    let printed = quiet.collect_for(Duration::from_secs(4));
    assert_eq!(printed, "", "an idle share printed something");

    let mut noisy = idle(Some("reelcast::signalling::hub=trace"));
    let printed = noisy.collect_for(Duration::from_secs(4));
    assert!(
        printed.matches("ping received").count() >= 10,
        "the pings did not happen, so the test above proves nothing: {printed}"
    );
}

#[test]
fn on_a_terminal_play_redraws_one_status_line() {
    let mut play = Raw::spawn(on_a_terminal(&[
        "play",
        "--headless",
        path(&common::media().av),
    ]));
    play.wait(Duration::from_secs(60), "the end of the file", |t| {
        t.contains("end of stream")
    });
    let text = play.text();
    assert!(
        text.contains("0:0") && text.contains(" / 0:06 · playing"),
        "{text:?}"
    );
    // Redrawn in place: carriage returns or cursor moves, not a line per second.
    assert!(text.contains('\r') && text.contains("\u{1b}["), "{text:?}");
    let status_lines = text.split('\n').filter(|l| l.contains("· playing")).count();
    assert!(status_lines <= 4, "one line redrawn, not many: {text:?}");
}

/// The status line as last drawn.
fn last_status(raw: &str) -> Option<String> {
    strip_escapes(raw)
        .split(['\r', '\n'])
        .rfind(|s| s.contains(" · sharing · "))
        .map(str::to_owned)
}

/// A UUID-like run: 8 hex digits and a dash.
fn has_an_id(text: &str) -> bool {
    text.as_bytes()
        .windows(9)
        .any(|w| w[..8].iter().all(u8::is_ascii_hexdigit) && w[8] == b'-')
}

/// Columns of the pseudo-terminal.
const COLUMNS: usize = 80;

/// What a person sees on an 80-column terminal after all the redraws: a tiny terminal that
/// knows carriage returns, new lines, wrapping and "clear line", and ignores other escapes.
fn screen(raw: &str) -> String {
    let mut rows: Vec<Vec<char>> = vec![Vec::new()];
    let mut col = 0;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.next_if_eq(&'[').is_some() {
                    let mut params = String::new();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            if c == 'K' && params == "2" {
                                rows.last_mut().unwrap().clear();
                            }
                            break;
                        }
                        params.push(c);
                    }
                }
            }
            '\r' => col = 0,
            '\n' => {
                rows.push(Vec::new());
                col = 0;
            }
            c if c.is_control() => {}
            c => {
                if col == COLUMNS {
                    rows.push(Vec::new());
                    col = 0;
                }
                let row = rows.last_mut().unwrap();
                if row.len() <= col {
                    row.resize(col + 1, ' ');
                }
                row[col] = c;
                col += 1;
            }
        }
    }
    rows.iter()
        .map(|r| r.iter().collect::<String>().trim_end().to_owned())
        .filter(|r| !r.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn strip_escapes(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next_if_eq(&'[').is_some() {
                // Parameters, then one final byte in @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Two viewers watch; the status line counts them and the events name them for people: by
/// the name one gave, "Viewer N" for the other. The screen printed at the end is the one the
/// README shows.
#[test]
fn on_a_terminal_a_share_shows_its_viewers() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let args = [
        common::HEADLESS_SHARE,
        &["--loop", path(&common::media().long)],
    ]
    .concat();
    let mut share = Raw::spawn(on_a_terminal(&args));
    share.wait(Duration::from_secs(60), "the link", |t| {
        t.contains("in a browser to watch.") && t.contains("0 viewers")
    });
    let text = strip_escapes(&share.text());
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a link")
        .to_owned();
    // One person gave the page a name on an earlier visit; the other gave none.
    let _viewers = browser_viewers_with(ViewerKind::Page, &url, 2, &["--remembered", r#"["Ana"]"#]);
    share.wait(Duration::from_secs(90), "two viewers watching", |t| {
        let t = strip_escapes(t);
        t.contains("Ana is watching.")
            && (t.contains("Viewer 1 is watching.") || t.contains("Viewer 2 is watching."))
            && t.contains("· sharing · 2 viewers · ")
    });
    // A few seconds of stats, so the bitrate is real.
    share.wait(Duration::from_secs(30), "a bitrate", |t| {
        last_status(t).is_some_and(|s| s.contains("2 viewers") && !s.contains(" 0 kbit/s"))
    });
    let shown = screen(&share.text());
    eprintln!("the terminal of a share with two viewers:\n{shown}");
    assert!(!has_an_id(&shown), "no ids: {shown}");
    assert!(share.text().contains('\r'), "redrawn in place");
}

/// Names typed in Reelcast's page reach the terminal's event lines, through the upstream
/// `gst-webrtc-signalling-server` binary (the embedded server runs its handler too). The
/// pages are open and named before the share registers, as when people wait for it. One name
/// is hostile: long, with an escape sequence and a bell; the terminal shows it bounded and
/// without control characters.
#[test]
fn names_typed_in_the_viewer_page_show_bounded_in_the_terminal() {
    assert_private_network();
    let _serial = common::one_at_a_time();
    let url = "ws://127.0.0.1:18943";
    let _server = signalling_server(18943);
    let hostile = format!("Eve\u{1b}[2J\u{7}{}", "x".repeat(300));
    let names = serde_json::to_string(&["Ana", hostile.as_str()]).unwrap();
    let browser = browser_viewers_with(ViewerKind::Page, url, 2, &["--names", &names]);
    let typed = browser.wait_json(Duration::from_secs(30), "the names typed", |v| {
        (v["viewer"] == 1).then(|| v["named"].as_str().map(str::to_owned))?
    });
    assert!(
        typed.starts_with("Eve\u{1b}"),
        "the field kept it raw: {typed:?}"
    );
    let mut share = Raw::spawn({
        let mut cmd = reelcast();
        cmd.args(["share", "--headless", "--loop", "--signalling", url])
            .arg(&common::media().long);
        cmd
    });
    share.wait(Duration::from_secs(60), "both viewers named", |t| {
        t.lines().filter(|l| l.ends_with(" joined.")).count() == 2
    });
    let text = share.text();
    let joined: Vec<&str> = text.lines().filter(|l| l.ends_with(" joined.")).collect();
    eprintln!("typed: {typed:?}\nshown:\n{}", joined.join("\n"));
    assert!(joined.contains(&"Ana joined."), "{text}");
    let eve = joined
        .iter()
        .find_map(|l| l.strip_suffix(" joined.").filter(|n| n.starts_with("Eve")))
        .unwrap_or_else(|| panic!("Eve named: {text}"));
    assert_eq!(
        eve.chars().count(),
        reelcast::signalling::MAX_DISPLAY_NAME,
        "{eve:?}"
    );
    assert!(!eve.chars().any(char::is_control), "{eve:?}");
    assert!(
        !share.seen.contains(&ESC) && !share.seen.contains(&7),
        "{text:?}"
    );
    assert!(!has_an_id(&text), "no ids: {text}");
}
