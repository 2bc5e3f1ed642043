//! The `reelcast` command line, as a script would use it.

mod common;

use std::process::Command;

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
