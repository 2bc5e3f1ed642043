//! The way of the subtitle stream from playbin to the video output: the text sink handed to
//! playbin passes the chosen stream, events and all, through a `proxysink` to a `proxysrc`
//! in the video output, where the overlays are. playbin then draws nothing itself, so the
//! output decides which branch gets subtitles.

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;

mod imp {
    use std::sync::LazyLock;

    use super::*;

    #[derive(Default)]
    pub struct SubtitleSink;

    #[glib::object_subclass]
    impl ObjectSubclass for SubtitleSink {
        const NAME: &'static str = "ReelcastSubtitleSink";
        type Type = super::SubtitleSink;
        type ParentType = gst::Bin;
    }

    impl ObjectImpl for SubtitleSink {
        // playsink accepts a custom text sink only if it has "async" (and tries "sync"); it
        // sets them so a sparse stream does not hold preroll up. The proxy inside never
        // prerolls nor waits on the clock (the overlays sync to the video), so they are
        // accepted and have nothing to change.
        fn properties() -> &'static [glib::ParamSpec] {
            static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
                vec![
                    glib::ParamSpecBoolean::builder("async").build(),
                    glib::ParamSpecBoolean::builder("sync").build(),
                ]
            });
            PROPERTIES.as_ref()
        }

        fn set_property(&self, _id: usize, _value: &glib::Value, _pspec: &glib::ParamSpec) {}

        fn property(&self, _id: usize, _pspec: &glib::ParamSpec) -> glib::Value {
            false.to_value()
        }
    }

    impl GstObjectImpl for SubtitleSink {}

    impl ElementImpl for SubtitleSink {
        // A bin's position is the furthest of its sinks', and the text stream's is where its
        // last cue ends: a cue that outlasts the video would put the whole player at the end
        // from the first second. The overlays draw each cue at its frame, so the picture and
        // the sound say where playback is.
        fn query(&self, query: &mut gst::QueryRef) -> bool {
            match query.view() {
                gst::QueryView::Position(_) => false,
                _ => self.parent_query(query),
            }
        }
    }

    impl BinImpl for SubtitleSink {}

    #[derive(Default)]
    pub struct SubtitleSource;

    #[glib::object_subclass]
    impl ObjectSubclass for SubtitleSource {
        const NAME: &'static str = "ReelcastSubtitleSource";
        type Type = super::SubtitleSource;
        type ParentType = gst::Bin;
    }

    impl ObjectImpl for SubtitleSource {}
    impl GstObjectImpl for SubtitleSource {}

    impl ElementImpl for SubtitleSource {
        // proxysrc says it cannot preroll (it is made to start a pipeline of its own); in the
        // video output that would make the whole output live and playbin would never
        // preroll. The text it brings is sparse and never holds the video up.
        fn change_state(
            &self,
            transition: gst::StateChange,
        ) -> Result<gst::StateChangeSuccess, gst::StateChangeError> {
            match self.parent_change_state(transition)? {
                gst::StateChangeSuccess::NoPreroll => Ok(gst::StateChangeSuccess::Success),
                other => Ok(other),
            }
        }
    }

    impl BinImpl for SubtitleSource {}
}

glib::wrapper! {
    pub struct SubtitleSink(ObjectSubclass<imp::SubtitleSink>)
        @extends gst::Bin, gst::Element, gst::Object;
}

glib::wrapper! {
    pub struct SubtitleSource(ObjectSubclass<imp::SubtitleSource>)
        @extends gst::Bin, gst::Element, gst::Object;
}

/// Where something is missing: a factory name, or what failed.
#[derive(Debug)]
pub(crate) enum ProxyError {
    Missing(&'static str),
    Failed(String),
}

fn failed(e: impl std::fmt::Display) -> ProxyError {
    ProxyError::Failed(e.to_string())
}

/// The two ends: a text sink for playbin, and the source of the same stream for the video
/// output.
pub(crate) fn subtitle_proxy() -> Result<(SubtitleSink, SubtitleSource), ProxyError> {
    let make = |factory: &'static str| {
        gst::ElementFactory::make(factory)
            .name(format!("subtitle-{factory}"))
            .build()
            .map_err(|_| ProxyError::Missing(factory))
    };
    let (proxysink, proxysrc) = (make("proxysink")?, make("proxysrc")?);
    proxysrc.set_property("proxysink", &proxysink);
    let sink: SubtitleSink = glib::Object::builder()
        .property("name", "subtitle-sink")
        .build();
    let source: SubtitleSource = glib::Object::builder()
        .property("name", "subtitle-source")
        .build();
    sink.add(&proxysink).map_err(failed)?;
    source.add(&proxysrc).map_err(failed)?;
    let ghost = |bin: &gst::Bin, pad: gst::Pad| -> Result<(), ProxyError> {
        let ghost = gst::GhostPad::with_target(&pad).map_err(failed)?;
        bin.add_pad(&ghost).map_err(failed)
    };
    ghost(
        sink.upcast_ref(),
        proxysink
            .static_pad("sink")
            .expect("proxysink has a sink pad"),
    )?;
    ghost(
        source.upcast_ref(),
        proxysrc
            .static_pad("src")
            .expect("proxysrc has a source pad"),
    )?;
    Ok((sink, source))
}
