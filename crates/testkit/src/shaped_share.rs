//! For CI tests of adaptation: `reelcast share` of a file on the upstream signalling server and
//! one Chromium viewer behind a [`ShapedLink`], whose rate a test changes while it reads the
//! viewer's frame height and bitrate.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use crate::browser_viewer::{BrowserViewer, Timeline};
use crate::peer_process::PeerError;
use crate::shaped_link::{ShapedLink, ShapedLinkError};
use crate::share_process::ShareProcess;
use crate::signalling_server::SignallingServer;

#[derive(Debug, thiserror::Error)]
pub enum ShapedShareError {
    #[error(transparent)]
    Link(#[from] ShapedLinkError),
    #[error(transparent)]
    Peer(#[from] PeerError),
}

/// A share and one viewer behind a shaped link. Dropped in field order: the viewer first.
pub struct ShapedShare {
    pub viewer: BrowserViewer,
    pub share: ShareProcess,
    pub server: SignallingServer,
    pub link: ShapedLink,
}

impl ShapedShare {
    /// Shares `file` (looping) with `reelcast` (the binary: `env!("CARGO_BIN_EXE_reelcast")` in
    /// a test) and starts the viewer behind a link at `rate_kbit` (None: unshaped); returns once
    /// the viewer has shown its first frame.
    pub fn start(
        reelcast: &Path,
        file: &Path,
        rate_kbit: Option<u32>,
        first_frame_within: Duration,
    ) -> Result<Self, ShapedShareError> {
        let link = ShapedLink::create(rate_kbit)?;
        // On the link's near end, which both this namespace and the child reach.
        let server = SignallingServer::start(IpAddr::V4(link.near_address()))?;
        let share = ShareProcess::start(reelcast, file, server.url(), &[])?;
        let viewer =
            BrowserViewer::start("viewer behind the shaped link", server.url(), Some(&link))?;
        viewer.wait(first_frame_within, "first frame", |t| !t.frames.is_empty())?;
        Ok(Self {
            viewer,
            share,
            server,
            link,
        })
    }

    /// Shapes the viewer's link to `kbit` kbit/s from now on.
    pub fn set_rate(&mut self, kbit: u32) -> Result<(), ShapedShareError> {
        Ok(self.link.set_rate(kbit)?)
    }

    /// Lifts the shaping.
    pub fn lift(&mut self) -> Result<(), ShapedShareError> {
        Ok(self.link.lift()?)
    }

    /// The height of the frames the viewer decodes now (0 before the first).
    pub fn frame_height(&self) -> u32 {
        self.viewer.timeline().video().map_or(0, |v| v.frame_height)
    }

    /// The video bitrate the viewer received over the last `window`, in kbit/s.
    pub fn bitrate_kbps(&self, window: Duration) -> Option<f64> {
        let t = self.viewer.timeline();
        let end = t.last()?.t_ms;
        t.bitrate_kbps(end - window.as_secs_f64() * 1000.0, end)
    }

    /// Waits until the viewer decodes frames whose height `want` accepts; returns that height.
    pub fn wait_height(
        &self,
        within: Duration,
        what: &str,
        want: impl Fn(u32) -> bool,
    ) -> Result<u32, ShapedShareError> {
        let t: Timeline = self.viewer.wait(within, what, |t| {
            t.video()
                .is_some_and(|v| v.frame_height > 0 && want(v.frame_height))
        })?;
        Ok(t.video().map_or(0, |v| v.frame_height))
    }
}
