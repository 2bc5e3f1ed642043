//! The real Janus of reelcast-testkit, for tests: a failure to start it fails the test.
#![allow(dead_code)]

pub use reelcast_testkit::Janus;

pub fn start(port: u16) -> Janus {
    Janus::start(port).unwrap_or_else(|e| panic!("{e}"))
}
