//! A viewer's [`Controller`] as the actor holds it: fed the time from the clock, and, when
//! `REELCAST_CONTROLLER_TRACE` names a folder, each of its inputs written there as JSON lines
//! (one file per viewer) for `controller`'s replay tests.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::controller::{Action, Controller, Input, Limits};

/// The folder that traces go to by default, when set (see `ShareConfig::controller_trace`).
pub(crate) const TRACE_VAR: &str = "REELCAST_CONTROLLER_TRACE";

/// One line of a trace: an input and when it came, in ms from the controller's start. The
/// first line is the controller's limits.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum TraceLine {
    Start { limits: Limits },
    Input { ms: u64, input: Input },
}

pub(crate) struct Control {
    controller: Controller,
    started: Instant,
    trace: Option<std::io::BufWriter<std::fs::File>>,
}

impl Control {
    /// A controller for viewer `name`, traced into `trace_dir` when there is one.
    pub(crate) fn new(limits: Limits, name: &str, trace_dir: Option<&Path>, now: Instant) -> Self {
        let trace = trace_dir.and_then(|dir| open_trace(dir, name));
        let mut control = Self {
            controller: Controller::new(limits),
            started: now,
            trace,
        };
        control.write(&TraceLine::Start { limits });
        control
    }

    /// Hands the controller `input`; the actions it gives back, in order.
    pub(crate) fn input(&mut self, now: Instant, input: Input) -> Vec<Action> {
        if self.trace.is_some() {
            let ms = now.saturating_duration_since(self.started).as_millis() as u64;
            self.write(&TraceLine::Input {
                ms,
                input: input.clone(),
            });
        }
        self.controller.handle_input(now, input);
        self.actions()
    }

    /// Actions waiting (those of its start).
    pub(crate) fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.controller.poll_output()).collect()
    }

    pub(crate) fn controller(&self) -> &Controller {
        &self.controller
    }

    fn write(&mut self, line: &TraceLine) {
        let Some(file) = self.trace.as_mut() else {
            return;
        };
        let written = serde_json::to_writer(&mut *file, line)
            .map_err(std::io::Error::from)
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.flush());
        if let Err(e) = written {
            tracing::warn!("the controller's trace stops: {e}");
            self.trace = None;
        }
    }
}

fn open_trace(dir: &Path, name: &str) -> Option<std::io::BufWriter<std::fs::File>> {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(64)
        .collect();
    let path = dir.join(format!("{}-{safe}.jsonl", std::process::id()));
    match std::fs::File::create(&path) {
        Ok(file) => {
            tracing::info!(path = %path.display(), "tracing a viewer's controller");
            Some(std::io::BufWriter::new(file))
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), "no trace of the controller: {e}");
            None
        }
    }
}
