//! The playout-delay RTP header extension (`http://www.webrtc.org/experiments/rtp-hdrext/
//! playout-delay`, which Chromium answers): it tells a viewer's jitter buffer the least delay
//! to play at, so a frame whose lost packet is sent again still comes in time to be shown.
//! The delay is the viewer's controller's choice ([`super::controller::PlayoutDelayChoice`]);
//! this element only writes it. Until one is chosen nothing is written, and the viewer plays
//! as soon as it can.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gst::glib;
use gst::subclass::prelude::*;
use gst_rtp::prelude::*;
use gst_rtp::subclass::prelude::*;

pub(crate) const PLAYOUT_DELAY_URI: &str =
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
/// Its id in our offers (after TWCC 3, mid 4, rid 5, repaired rid 6).
pub(crate) const PLAYOUT_DELAY_EXTENSION_ID: u8 = 7;
/// The most the viewer may delay: the field's unit is 10 ms and it is 12 bits wide. A
/// maximum well above the minimum leaves the viewer's own jitter estimate free above it.
const MAX_DELAY_MS: u32 = 10_000;

/// A viewer's chosen least delay in milliseconds (0: none chosen), shared by the actor and
/// the extension of each video path the viewer gets.
pub(crate) type SharedDelay = Arc<AtomicU32>;

pub(crate) fn set(shared: &SharedDelay, delay: Duration) {
    shared.store(
        delay.as_millis().min(u128::from(MAX_DELAY_MS)) as u32,
        Ordering::Relaxed,
    );
}

/// The three bytes of the element: least and most delay, 12 bits each, in units of 10 ms.
fn encode(min_ms: u32, max_ms: u32) -> [u8; 3] {
    let (min, max) = ((min_ms / 10).min(0xfff), (max_ms / 10).min(0xfff));
    [
        (min >> 4) as u8,
        (((min & 0xf) << 4) | (max >> 8)) as u8,
        (max & 0xff) as u8,
    ]
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct PlayoutDelay {
        pub(super) delay: std::sync::OnceLock<SharedDelay>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for PlayoutDelay {
        const NAME: &'static str = "ReelcastPlayoutDelay";
        type Type = super::PlayoutDelayExtension;
        type ParentType = gst_rtp::RTPHeaderExtension;
    }

    impl ObjectImpl for PlayoutDelay {}
    impl GstObjectImpl for PlayoutDelay {}

    impl ElementImpl for PlayoutDelay {
        fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
            static METADATA: std::sync::LazyLock<gst::subclass::ElementMetadata> =
                std::sync::LazyLock::new(|| {
                    gst::subclass::ElementMetadata::new(
                        "Playout delay RTP header extension",
                        "Network/Extension/RTPHeader",
                        "Tells a WebRTC receiver the least delay to play at",
                        "Reelcast",
                    )
                });
            Some(&METADATA)
        }
    }

    impl RTPHeaderExtensionImpl for PlayoutDelay {
        const URI: &'static str = PLAYOUT_DELAY_URI;

        fn supported_flags(&self) -> gst_rtp::RTPHeaderExtensionFlags {
            gst_rtp::RTPHeaderExtensionFlags::ONE_BYTE | gst_rtp::RTPHeaderExtensionFlags::TWO_BYTE
        }

        fn max_size(&self, _input: &gst::BufferRef) -> usize {
            3
        }

        fn write(
            &self,
            _input: &gst::BufferRef,
            _flags: gst_rtp::RTPHeaderExtensionFlags,
            _output: &gst::BufferRef,
            data: &mut [u8],
        ) -> Result<usize, gst::LoggableError> {
            let min = self.delay.get().map_or(0, |d| d.load(Ordering::Relaxed));
            if min == 0 || data.len() < 3 {
                return Ok(0);
            }
            data[..3].copy_from_slice(&encode(min, MAX_DELAY_MS));
            Ok(3)
        }

        fn read(
            &self,
            _flags: gst_rtp::RTPHeaderExtensionFlags,
            _data: &[u8],
            _output: &mut gst::BufferRef,
        ) -> Result<(), gst::LoggableError> {
            Ok(())
        }
    }
}

glib::wrapper! {
    pub struct PlayoutDelayExtension(ObjectSubclass<imp::PlayoutDelay>)
        @extends gst_rtp::RTPHeaderExtension, gst::Element, gst::Object;
}

impl PlayoutDelayExtension {
    /// The extension for one video path, writing what `delay` holds.
    pub(crate) fn new(delay: &SharedDelay) -> Self {
        let ext: Self = glib::Object::new();
        let _ = ext.imp().delay.set(delay.clone());
        ext.set_id(u32::from(PLAYOUT_DELAY_EXTENSION_ID));
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn the_delays_are_twelve_bits_of_ten_milliseconds() {
        // 300 ms = 30 = 0x01e, 10 s = 1000 = 0x3e8.
        assert_eq!(encode(300, 10_000), [0x01, 0xe3, 0xe8]);
        // Beyond the field: its largest value.
        assert_eq!(encode(100_000, 100_000), [0xff, 0xff, 0xff]);
        assert_eq!(encode(0, 0), [0, 0, 0]);
    }
}
