//! A real Janus (Debian's `janus`) with only its websocket transport and the VideoRoom plugin,
//! on the private test network: rooms 1234 (open, VP8), 1235 (open, H.264) and 4321 (pin
//! "secret"). For Reelcast's tests and its simulcast benchmark.

use std::process::Command;
use std::time::Duration;

use crate::peer_process::{PeerError, PeerProcess};
use crate::LossyLink;

pub struct Janus {
    pub peer: PeerProcess,
    /// The websocket API, `ws://127.0.0.1:PORT/` (or the link's far address).
    pub url: String,
    _config: tempfile::TempDir,
}

const LIBS: &str = "/usr/lib/x86_64-linux-gnu/janus";

impl Janus {
    /// Starts Janus with its websocket API on `port`; it uses the private network's test
    /// address (10.99.0.1) for media.
    pub fn start(port: u16) -> Result<Janus, PeerError> {
        Self::start_on(port, "10.99.0.1", "127.0.0.1", Command::new("janus"))
    }

    /// Starts Janus inside `link`'s child namespace, its websocket API and media on the link's
    /// far address: what is sent to it crosses the lossy link.
    pub fn start_behind(port: u16, link: &LossyLink) -> Result<Janus, PeerError> {
        let far = link.far_address().to_string();
        Self::start_on(port, &far, &far, link.command("janus"))
    }

    fn start_on(
        port: u16,
        media_ip: &str,
        ws_ip: &str,
        mut command: Command,
    ) -> Result<Janus, PeerError> {
        let setup = |e: std::io::Error| PeerError::Setup(format!("janus: {e}"));
        let config = tempfile::tempdir().map_err(setup)?;
        let dir = config.path();
        let keep = |kind: &str, wanted: &str| -> Result<String, PeerError> {
            // Every plugin or transport but the one wanted is disabled.
            Ok(std::fs::read_dir(format!("{LIBS}/{kind}"))
                .map_err(|e| PeerError::Setup(format!("{LIBS}/{kind}: {e} (install janus)")))?
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|name| name.ends_with(".so") && name != wanted)
                .collect::<Vec<_>>()
                .join(","))
        };
        // Janus gathers no candidates on loopback: it uses the private network's test address.
        std::fs::write(
            dir.join("janus.jcfg"),
            format!(
                r#"general: {{
    configs_folder = "{dir}"
    plugins_folder = "{LIBS}/plugins"
    transports_folder = "{LIBS}/transports"
    events_folder = "{LIBS}/events"
    loggers_folder = "{LIBS}/loggers"
    debug_level = 4
    interface = "{media_ip}"
}}
media: {{
    ipv6 = false
    rtp_port_range = "20000-20200"
}}
nat: {{
    ice_enforce_list = "{media_ip}"
}}
plugins: {{
    disable = "{plugins}"
}}
transports: {{
    disable = "{transports}"
}}
events: {{
    broadcast = false
}}
loggers: {{
    disable = "{loggers}"
}}
"#,
                dir = dir.display(),
                plugins = keep("plugins", "libjanus_videoroom.so")?,
                transports = keep("transports", "libjanus_websockets.so")?,
                loggers = keep("loggers", "")?,
            ),
        )
        .map_err(setup)?;
        std::fs::write(
            dir.join("janus.transport.websockets.jcfg"),
            format!(
                "general: {{\n    ws = true\n    ws_port = {port}\n    ws_ip = \"{ws_ip}\"\n    wss = false\n}}\n\
                 admin: {{\n    admin_ws = false\n    admin_wss = false\n}}\n"
            ),
        )
        .map_err(setup)?;
        std::fs::write(
            dir.join("janus.plugin.videoroom.jcfg"),
            "general: {\n}\n\
             room-1234: {\n    description = \"Reelcast test room\"\n    publishers = 4\n    \
             videocodec = \"vp8\"\n    audiocodec = \"opus\"\n}\n\
             room-1235: {\n    description = \"Reelcast H.264 room\"\n    publishers = 4\n    \
             videocodec = \"h264\"\n    audiocodec = \"opus\"\n}\n\
             room-4321: {\n    description = \"Reelcast pinned room\"\n    pin = \"secret\"\n    \
             publishers = 4\n    videocodec = \"vp8\"\n    audiocodec = \"opus\"\n}\n",
        )
        .map_err(setup)?;
        command
            .arg("-C")
            .arg(dir.join("janus.jcfg"))
            .arg("-F")
            .arg(dir)
            // Verbose: a test reads from its log which stream Janus takes for each rid.
            .arg("-d")
            .arg("5");
        let peer = PeerProcess::spawn("janus", command)?;
        peer.wait_line(Duration::from_secs(20), "its websocket API", |l| {
            l.contains("WebSockets thread started").then_some(())
        })?;
        Ok(Janus {
            peer,
            url: format!("ws://{ws_ip}:{port}/"),
            _config: config,
        })
    }

    /// The URL Reelcast publishes to, for `room` (with `pin`).
    pub fn publish_url(&self, room: u32, pin: Option<&str>) -> String {
        let pin = pin.map(|p| format!("&pin={p}")).unwrap_or_default();
        format!("janus+{}?room={room}{pin}", self.url)
    }
}
