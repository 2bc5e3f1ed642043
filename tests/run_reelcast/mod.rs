//! Runs the `reelcast` binary as a script would, with a deadline: a run that does not end by
//! then is killed and fails the test with what it printed.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::time::Duration;

/// What a finished run left.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The lines of standard error that mention `name`.
    pub fn error_lines_naming(&self, name: &str) -> Vec<&str> {
        self.stderr.lines().filter(|l| l.contains(name)).collect()
    }

    /// Asserts exit code 1 and exactly one error line naming `name`, which says `words`;
    /// returns that line.
    pub fn assert_failed_once(&self, name: &str, words: &str) -> String {
        assert_eq!(self.code, Some(1), "exit code for {name}\n{self}");
        let lines = self.error_lines_naming(name);
        assert_eq!(lines.len(), 1, "one error line naming {name}\n{self}");
        let line = lines[0];
        assert!(line.starts_with("reelcast: "), "{line}\n{self}");
        assert!(
            line.contains(words),
            "{name}: {line:?} should say {words:?}\n{self}"
        );
        line.to_owned()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- exit code {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The binary without a display, so that it never opens a window.
pub fn reelcast() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    cmd
}

/// Runs `reelcast ARGS` and waits for it to end, at most `within`.
pub fn run<I, S>(args: I, within: Duration) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = reelcast();
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("{cmd:?}");
    let child = cmd.spawn().expect("reelcast starts");
    let pid = child.id();
    let (done_tx, done_rx) = flume::bounded(1);
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    let (output, timed_out) = match done_rx.recv_timeout(within) {
        Ok(output) => (output, false),
        Err(_) => {
            // Ours, by its id: it did not end by itself.
            // SAFETY: kill(2) with a pid we started and have not reaped yet.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            (done_rx.recv().expect("the waiter reports"), true)
        }
    };
    let output = output.expect("reelcast ran");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!timed_out, "{what} still ran after {within:?}\n{run}");
    run
}
