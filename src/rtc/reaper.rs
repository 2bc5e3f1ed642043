//! Takes removed viewers apart off the actor's thread: a tee pad can take up to two seconds
//! to go idle, and no other viewer may wait behind that.

use std::sync::Arc;
use std::thread::JoinHandle;

use gst::prelude::*;

use super::command::Command;
use super::encoder::ViewerLink;
use super::events::{ShareEvent, ViewerId};
use crate::util::Broadcast;

pub(crate) enum Job {
    /// A viewer left: its branches, then its webrtcbin, go.
    Viewer {
        id: ViewerId,
        reason: String,
        failed: bool,
        webrtcbin: gst::Element,
        links: Vec<ViewerLink>,
    },
    /// A kind was switched off for a viewer that stays.
    Links(Vec<ViewerLink>),
}

pub(crate) struct Reaper {
    jobs: Option<flume::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Reaper {
    pub(crate) fn start(
        pipeline: &gst::Pipeline,
        events: &Arc<Broadcast<ShareEvent>>,
        commands: &flume::Sender<Command>,
    ) -> std::io::Result<Self> {
        let (jobs, queue) = flume::unbounded();
        let (pipeline, events, commands) = (pipeline.clone(), events.clone(), commands.clone());
        let thread = std::thread::Builder::new()
            .name("share-reaper".into())
            .spawn(move || {
                for job in queue {
                    reap(&pipeline, &events, &commands, job);
                }
            })?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    pub(crate) fn reap(&self, job: Job) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    /// Waits for every job given so far to be done.
    pub(crate) fn finish(mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn reap(
    pipeline: &gst::Pipeline,
    events: &Broadcast<ShareEvent>,
    commands: &flume::Sender<Command>,
    job: Job,
) {
    match job {
        Job::Viewer {
            id,
            reason,
            failed,
            webrtcbin,
            links,
        } => {
            // In three steps. Until its transport is up, webrtcbin holds the data pushed into
            // it (a blocking probe on its sink pads), and a queue whose thread is held there
            // cannot be stopped; stopping webrtcbin flushes its pads, which lets those threads
            // go. But the encoders' tees must be cut off first, or the flush would travel up
            // and stop the shared encoders for every viewer.
            for link in &links {
                link.detach();
            }
            crate::util::remove_elements(pipeline.upcast_ref(), &[&webrtcbin]);
            drop(webrtcbin);
            for link in links {
                link.remove(pipeline);
            }
            crate::util::release_freed_memory();
            // Parked before anyone hears the viewer is gone, so a snapshot taken after the
            // event sees the encoders as they now are.
            let _ = commands.send(Command::Reaped);
            tracing::info!(viewer = %id, reason, "viewer removed");
            events.send(ShareEvent::ViewerRemoved {
                viewer: id,
                reason,
                failed,
            });
        }
        Job::Links(links) => {
            for link in links {
                link.detach();
                link.remove(pipeline);
            }
            let _ = commands.send(Command::Reaped);
        }
    }
}
