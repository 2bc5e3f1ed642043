//! The `reelcast` command line, as a script would use it.

mod common;
mod run_reelcast;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use run_reelcast::run;

/// Long enough for a truncated MP4 that never prerolls (reported after 8 s) on a loaded
/// machine.
const DEADLINE: Duration = Duration::from_secs(60);

fn reelcast() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    cmd
}

#[test]
fn headless_play_runs_to_the_end_and_exits_zero() {
    let out = reelcast()
        .args(["play", "--headless"])
        .arg(&common::media().short)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("streams: video"), "{stdout}");
    assert!(stdout.contains("end of stream"), "{stdout}");
}

#[test]
fn json_mode_prints_one_event_a_line() {
    let out = reelcast()
        .args(["play", "--headless", "--json"])
        .arg(&common::media().short)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(events.iter().any(|e| e["event"] == "streams"));
    assert_eq!(events.last().unwrap()["event"], "end-of-stream");
}

#[test]
fn a_missing_file_fails_with_its_name_and_exit_code_one() {
    let out = reelcast()
        .args(["play", "--headless", "/nonexistent/holiday.mp4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/holiday.mp4: no such file"),
        "{stderr}"
    );
}

#[test]
fn a_broken_file_in_a_queue_is_reported_and_the_next_one_plays() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.webm");
    std::fs::write(&broken, b"this is not a video, just some words in a file").unwrap();
    let out = reelcast()
        .args(["play", "--headless"])
        .arg(&common::media().short)
        .arg(&broken)
        .arg(&common::media().short)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.webm"), "{stderr}");
    // The third source played to its end after the broken second one.
    let broken_at = stdout.find("broken.webm").expect(&stdout);
    let after = &stdout[broken_at..];
    assert!(
        after.contains("next: ") && after.contains("short.webm"),
        "{stdout}"
    );
    assert!(after.contains("end of stream"), "{stdout}");
    // Something failed, and the exit code says so.
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
}

#[test]
fn without_a_display_play_falls_back_to_headless() {
    let out = reelcast()
        .arg("play")
        .arg(&common::media().short)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("playing headless"));
}

#[test]
fn help_describes_the_commands() {
    let out = reelcast().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("play"));
    let out = reelcast().arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The broken files a person meets: random bytes, a text file named like a video, and an MP4
/// cut in half.
fn broken_files(dir: &Path) -> Vec<PathBuf> {
    let garbage = dir.join("garbage.webm");
    let noise = common::noise(200_000);
    std::fs::write(&garbage, noise).unwrap();
    let text = dir.join("notes.webm");
    std::fs::write(
        &text,
        "these are not the frames you are looking for\n".repeat(50),
    )
    .unwrap();
    let truncated = dir.join("truncated.mp4");
    let whole = std::fs::read(&common::media().mp4).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    vec![garbage, text, truncated]
}

/// Checks that `args` then `broken` ends with exit code 1 and one error line naming `broken`
/// that says why.
fn assert_fails_on(args: &[&str], before: Option<&Path>, broken: &Path) -> run_reelcast::Run {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    all.extend(before.map(Path::as_os_str));
    all.push(broken.as_os_str());
    let out = run(&all, DEADLINE);
    let name = broken.to_str().unwrap();
    let line = out.assert_failed_once(name, ": ");
    assert!(
        line.contains("not a video or audio file") || line.contains("damaged or incomplete"),
        "{line}"
    );
    out
}

const PLAY: &[&str] = &["play", "--headless"];
const SHARE: &[&str] = common::HEADLESS_SHARE;

#[test]
fn headless_play_of_a_broken_file_ends_with_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    for broken in broken_files(dir.path()) {
        assert_fails_on(PLAY, None, &broken);
    }
}

#[test]
fn headless_play_ends_with_exit_one_when_the_last_of_its_queue_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let good = &common::media().short;
    for broken in broken_files(dir.path()) {
        let out = assert_fails_on(PLAY, Some(good), &broken);
        // The good file played first, then the queue moved on to the broken one.
        assert!(out.stdout.contains("streams: video"), "{out}");
        assert!(
            out.stdout.contains(&format!("next: {}", broken.display())),
            "{out}"
        );
    }
}

#[test]
fn headless_share_of_a_broken_file_ends_with_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    for broken in broken_files(dir.path()) {
        let out = assert_fails_on(SHARE, None, &broken);
        assert!(out.stdout.contains("the share is over"), "{out}");
    }
}

#[test]
fn headless_share_ends_with_exit_one_when_its_last_source_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let good = &common::media().short;
    for broken in broken_files(dir.path()) {
        let out = assert_fails_on(SHARE, Some(good), &broken);
        assert!(
            out.stdout
                .contains(&format!("Now sharing {}.", broken.display())),
            "{out}"
        );
        assert!(out.stdout.contains("the share is over"), "{out}");
    }
}

/// A subtitle file that is missing is refused by name (exit 1); one that is not subtitles is
/// named with why, and the video plays to its end without them.
#[test]
fn bad_subtitle_files_are_named_with_their_cause() {
    let video = common::media().short.to_str().unwrap();
    let missing = "/nonexistent/film.srt";
    run(
        ["play", "--headless", "--subtitles", missing, video],
        DEADLINE,
    )
    .assert_failed_once(missing, "no such file");

    let garbage = common::media().dir.join("garbage.srt");
    std::fs::write(&garbage, common::noise(4000)).unwrap();
    let garbage = garbage.to_str().unwrap();
    let out = run(
        [
            "play",
            "--headless",
            "--json",
            "--subtitles",
            garbage,
            video,
        ],
        DEADLINE,
    );
    assert_eq!(out.code, Some(0), "{out}");
    let failed =
        format!("{garbage}: the subtitles cannot be shown (it is not in a subtitle format");
    assert!(out.stdout.contains(&failed), "{out}");
    assert!(out.stdout.contains("end-of-stream"), "{out}");
}

#[test]
fn speed_out_of_range_is_a_usage_error() {
    let short = common::media().short.to_str().unwrap().to_owned();
    for wrong in ["3", "0.25", "fast"] {
        let out = run(["play", "--headless", "--speed", wrong, &short], DEADLINE);
        assert_eq!(out.code, Some(2), "--speed {wrong}\n{out}");
        assert!(out.stderr.contains("0.5"), "says the range\n{out}");
    }
}

#[test]
fn headless_play_at_double_speed_reports_it_and_plays_to_the_end() {
    let out = run(
        [
            "play",
            "--headless",
            "--json",
            "--speed",
            "2x",
            common::media().av.to_str().unwrap(),
        ],
        DEADLINE,
    );
    assert_eq!(out.code, Some(0), "{out}");
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "speed" && e["speed"] == 2.0),
        "{out}"
    );
    assert_eq!(events.last().unwrap()["event"], "end-of-stream", "{out}");
}
