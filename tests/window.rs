//! The real window under Xvfb: `reelcast play FILE` shows moving video.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::xvfb::{accent_rows, write_window_config, Xvfb, HEIGHT, WIDTH};

/// Distinct colours in the middle of the screen, where the video is (coarsely quantised).
fn colours_in_middle(rgb: &[u8]) -> usize {
    let mut seen = std::collections::HashSet::new();
    for y in (HEIGHT / 4..HEIGHT * 3 / 4).step_by(4) {
        for x in (WIDTH / 4..WIDTH * 3 / 4).step_by(4) {
            let i = (y * WIDTH + x) * 3;
            seen.insert((rgb[i] >> 4, rgb[i + 1] >> 4, rgb[i + 2] >> 4));
        }
    }
    seen.len()
}

/// Strongly coloured (not grey) points in the middle of the screen.
fn coloured_in_middle(rgb: &[u8]) -> usize {
    (HEIGHT / 4..HEIGHT * 3 / 4)
        .step_by(4)
        .flat_map(|y| {
            (WIDTH / 4..WIDTH * 3 / 4)
                .step_by(4)
                .map(move |x| (y * WIDTH + x) * 3)
        })
        .filter(|&i| {
            let (lo, hi) = (rgb[i..i + 3].iter().min(), rgb[i..i + 3].iter().max());
            hi.unwrap() - lo.unwrap() > 100
        })
        .count()
}

fn middle_differs(a: &[u8], b: &[u8]) -> bool {
    (HEIGHT / 4..HEIGHT * 3 / 4).any(|y| {
        let row = y * WIDTH * 3;
        a[row + WIDTH * 3 / 4..row + WIDTH * 9 / 4] != b[row + WIDTH * 3 / 4..row + WIDTH * 9 / 4]
    })
}

/// Polls the screen until `ok` holds, or fails at the deadline.
fn screen_until(x: &Xvfb, within: Duration, what: &str, ok: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let deadline = Instant::now() + within;
    loop {
        let shot = x.screenshot();
        if ok(&shot) {
            return shot;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
    }
}

fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

#[test]
fn play_shows_a_window_with_moving_video() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("bars.webm");
    common::gst_launch(&format!(
        "webmmux name=mux ! filesink location={} \
         videotestsrc num-buffers=600 pattern=smpte horizontal-speed=8 \
         ! video/x-raw,width=640,height=360,framerate=30/1 ! vp8enc deadline=1 ! queue ! mux.",
        video.display()
    ));
    let x = Xvfb::start();
    let mut app = Command::new(env!("CARGO_BIN_EXE_reelcast"))
        .args(["play", "--json"])
        .arg(&video)
        .env("DISPLAY", &x.display)
        .env("GDK_BACKEND", "x11")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = flume::unbounded();
    let stdout = app.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    common::wait_for(
        &rx,
        Duration::from_secs(20),
        "the window to play",
        |line: &String| {
            assert!(!line.contains("\"error\""), "{line}");
            line.contains("\"state\":\"playing\"").then_some(())
        },
    );

    let first = screen_until(&x, Duration::from_secs(10), "video on screen", |s| {
        colours_in_middle(s) >= 6
    });
    screen_until(&x, Duration::from_secs(10), "the video to move", |s| {
        middle_differs(&first, s)
    });
    x.save_png(&screenshots_dir().join("window-playing.png"));

    let _ = app.kill();
    let _ = app.wait();
}

/// The app, started with `args` on the X server, its output lines on a channel.
fn app(x: &Xvfb, args: &[&str]) -> common::peers::Peer {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command
        .args(args)
        .env("DISPLAY", &x.display)
        .env("GDK_BACKEND", "x11")
        .env_remove("WAYLAND_DISPLAY");
    common::peers::Peer::spawn("reelcast", command)
}

/// Share of light pixels (the libadwaita panel) in the right quarter of the window area.
fn light_on_the_right(rgb: &[u8]) -> f64 {
    let (mut light, mut all) = (0, 0);
    for y in (HEIGHT / 8..HEIGHT * 3 / 4).step_by(4) {
        for x in (WIDTH * 3 / 4..WIDTH * 15 / 16).step_by(4) {
            let i = (y * WIDTH + x) * 3;
            all += 1;
            if rgb[i] > 200 && rgb[i + 1] > 200 && rgb[i + 2] > 200 {
                light += 1;
            }
        }
    }
    light as f64 / all as f64
}

/// `reelcast share FILE` with a display: the window plays and activates its share action (the
/// Start Sharing button's `win.start-sharing`); the panel opens with the built-in link, and a
/// Chromium viewer opening that link decodes the video.
#[test]
fn share_in_the_window_shows_the_link_and_a_browser_watches() {
    common::net::assert_private_network();
    let clip = common::media().dir.join("window-share.webm");
    common::make_webm(&clip, Some((640, 360)), true, 10);
    let x = Xvfb::start();
    let app = app(
        &x,
        &[
            "share",
            "--json",
            "--loop",
            "--signalling-port",
            "0",
            "--http-port",
            "0",
            clip.to_str().unwrap(),
        ],
    );
    let url = app.wait_json(Duration::from_secs(30), "the viewer link", |v| {
        (v["event"] == "viewer-url").then(|| v["url"].as_str().unwrap().to_owned())
    });
    app.wait_json(Duration::from_secs(30), "registered", |v| {
        (v["event"] == "registered").then_some(())
    });
    let browser = common::peers::browser_viewers(common::peers::ViewerKind::Page, &url, 1);
    common::peers::wait_decoding(&browser, 0, 30, (640, 360), Duration::from_secs(60));
    // The viewer is in the panel's list with its numbers once video flows to it.
    app.wait_json(Duration::from_secs(10), "the viewer's stats", |v| {
        (v["event"] == "stats" && v["stats"]["frame_rate"].as_f64() > Some(10.0)).then_some(())
    });
    screen_until(
        &x,
        Duration::from_secs(10),
        "video and the share panel",
        |s| colours_in_middle(s) >= 6 && light_on_the_right(s) > 0.5,
    );
    x.save_png(&screenshots_dir().join("window-sharing.png"));
}

/// A broken file opened in the window: a toast says so, the page says that nothing is left to
/// play, and the window plays the next file the person opens.
#[test]
fn a_broken_file_shows_a_toast_and_the_app_stays() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.webm");
    std::fs::write(
        &broken,
        b"this is not a video, whatever its name says\n".repeat(100),
    )
    .unwrap();
    let x = Xvfb::start();
    let mut app = app(&x, &["play", "--json", broken.to_str().unwrap()]);
    let message = app.wait_json(Duration::from_secs(30), "the error", |v| {
        (v["event"] == "error").then(|| v["message"].as_str().unwrap_or_default().to_owned())
    });
    assert!(message.contains("broken.webm"), "names the file: {message}");
    // The toast: a dark box over the light empty page, just above the controls.
    screen_until(&x, Duration::from_secs(10), "the toast", |s| {
        let dark = (540..566)
            .step_by(2)
            .flat_map(|y| (400..600).step_by(4).map(move |x| (y * WIDTH + x) * 3))
            .filter(|&i| s[i] < 80 && s[i + 1] < 80 && s[i + 2] < 80)
            .count();
        dark > 400
    });
    x.save_png(&screenshots_dir().join("window-error.png"));
    assert!(app.is_running(), "the app is still there after the error");
    // Nothing is left to play: the window says so and takes another file.
    app.wait_json(Duration::from_secs(10), "nothing to play", |v| {
        (v["event"] == "nothing-to-play").then_some(())
    });
    let good = dir.path().join("good.webm");
    common::make_webm(&good, Some((640, 360)), false, 30);
    let xdotool = |args: &[&str]| {
        let status = Command::new("timeout")
            .arg("20")
            .arg("xdotool")
            .args(args)
            .env("DISPLAY", &x.display)
            .status()
            .expect("xdotool runs (install xdotool)");
        assert!(status.success(), "xdotool {args:?}");
    };
    xdotool(&["mousemove", "512", "300", "key", "ctrl+o"]);
    xdotool(&[
        "search",
        "--sync",
        "--onlyvisible",
        "--name",
        "Open a Video",
        "windowfocus",
        "--sync",
    ]);
    xdotool(&["type", "--delay", "30", good.to_str().unwrap()]);
    xdotool(&["key", "Return"]);
    app.wait_json(Duration::from_secs(30), "the next file playing", |v| {
        assert_ne!(v["event"], "error", "{v}");
        (v["event"] == "state" && v["state"] == "playing").then_some(())
    });
    screen_until(&x, Duration::from_secs(10), "the new file's video", |s| {
        colours_in_middle(s) >= 2
    });
}

/// A play queue in the window: `reelcast play A B C` plays A, goes on to B by itself at A's
/// end, and to C when the person presses N (the Next button's shortcut).
#[test]
fn the_window_plays_a_queue_and_n_skips_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let clip = |name: &str, pattern: &str, seconds: u32| {
        let path = dir.path().join(name);
        common::gst_launch(&format!(
            "webmmux name=mux ! filesink location={} \
             videotestsrc num-buffers={} pattern={pattern} horizontal-speed=8 \
             ! video/x-raw,width=640,height=360,framerate=30/1 ! vp8enc deadline=1 ! queue ! mux.",
            path.display(),
            seconds * 30
        ));
        path
    };
    let first = clip("first.webm", "ball", 2);
    let second = clip("second.webm", "ball", 30);
    let third = clip("third.webm", "smpte", 30);
    let x = Xvfb::start();
    let app = app(
        &x,
        &[
            "play",
            "--json",
            first.to_str().unwrap(),
            second.to_str().unwrap(),
            third.to_str().unwrap(),
        ],
    );
    let next = |index: u64| {
        app.wait_json(Duration::from_secs(30), "the next file", |v| {
            assert_ne!(v["event"], "error", "{v}");
            (v["event"] == "next" && v["index"] == index)
                .then(|| v["location"].as_str().unwrap_or_default().to_owned())
        })
    };
    assert!(next(1).ends_with("second.webm"));
    // The ball: white on black, no colour.
    let shot = screen_until(&x, Duration::from_secs(10), "the second file", |s| {
        colours_in_middle(s) >= 2 && coloured_in_middle(s) < 50
    });
    screen_until(&x, Duration::from_secs(10), "the second file moving", |s| {
        middle_differs(&shot, s)
    });

    // N goes to the key window (no window manager here: focus follows the pointer).
    let pressed = Command::new("xdotool")
        .args(["mousemove", "512", "300", "key", "n"])
        .env("DISPLAY", &x.display)
        .status()
        .expect("xdotool runs (install xdotool)");
    assert!(pressed.success());
    assert!(next(2).ends_with("third.webm"));
    // Colour bars where the ball had black and white.
    screen_until(&x, Duration::from_secs(10), "the third file", |s| {
        coloured_in_middle(s) >= 500
    });
    x.save_png(&screenshots_dir().join("window-queue.png"));
}

/// Add to the Queue (Ctrl+Shift+O): the person picks a file in the file chooser while the
/// first one plays; at the first one's end the added one plays.
#[test]
fn a_file_added_to_the_queue_plays_after_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.webm");
    common::make_webm(&first, Some((640, 360)), false, 8);
    let added = dir.path().join("added.webm");
    common::make_webm(&added, Some((640, 360)), false, 30);
    let x = Xvfb::start();
    let app = app(&x, &["play", "--json", first.to_str().unwrap()]);
    app.wait_json(Duration::from_secs(30), "playing", |v| {
        (v["event"] == "state" && v["state"] == "playing").then_some(())
    });
    // The ball on screen: the window is mapped and can take keys.
    screen_until(&x, Duration::from_secs(10), "the first file", |s| {
        colours_in_middle(s) >= 2
    });
    // Keys go to the window under the pointer (no window manager); the chooser gets the
    // focus by name once it is mapped (focusing a window not yet viewable fails).
    let xdotool = |args: &[&str]| {
        let status = Command::new("timeout")
            .arg("20")
            .arg("xdotool")
            .args(args)
            .env("DISPLAY", &x.display)
            .status()
            .expect("xdotool runs (install xdotool)");
        assert!(status.success(), "xdotool {args:?}");
    };
    xdotool(&["mousemove", "512", "300", "key", "ctrl+shift+o"]);
    xdotool(&[
        "search",
        "--sync",
        "--onlyvisible",
        "--name",
        "Add to the Queue",
        "windowfocus",
        "--sync",
    ]);
    // A path typed in GTK's chooser opens its location entry; Return adds the file.
    xdotool(&["type", "--delay", "30", added.to_str().unwrap()]);
    xdotool(&["key", "Return"]);
    let location = app.wait_json(Duration::from_secs(30), "the added file next", |v| {
        assert_ne!(v["event"], "error", "{v}");
        (v["event"] == "next" && v["index"] == 1)
            .then(|| v["location"].as_str().unwrap_or_default().to_owned())
    });
    assert!(location.ends_with("added.webm"), "{location}");
}

/// White points in the lower third of the video: the box of the dark grey test picture (all
/// of R, G, B from 8 to 30; the letterbox and the screen around the window are black) found
/// on screen, then the points in it with all over 160 (subtitle text).
fn subtitle_points(rgb: &[u8]) -> Option<usize> {
    let dark = |i: usize| rgb[i..i + 3].iter().all(|&c| (8..30).contains(&c));
    let (mut x0, mut y0, mut x1, mut y1) = (WIDTH, HEIGHT, 0, 0);
    for y in (0..HEIGHT).step_by(2) {
        for x in (0..WIDTH).step_by(2) {
            if dark((y * WIDTH + x) * 3) {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    // No video on screen yet.
    if x1 < x0 + WIDTH / 4 || y1 < y0 + HEIGHT / 4 {
        return None;
    }
    let points = (y0 + (y1 - y0) * 2 / 3..y1)
        .flat_map(|y| (x0..x1).map(move |x| (y * WIDTH + x) * 3))
        .filter(|&i| rgb[i..i + 3].iter().all(|&c| c > 160))
        .count();
    Some(points)
}

/// The window shows subtitles by pixels: the `.srt` next to the video by itself, the embedded
/// track of the language asked for, none with `--subtitles off`.
#[test]
fn the_window_shows_the_subtitles_asked_for() {
    // A window, a share and Chromium: heavy on two cores, so one at a time.
    let _serial = common::one_at_a_time();
    let media = common::subtitled(30, (320, 240));
    let x = Xvfb::start();
    let cases: [(&str, &[&str], bool); 3] = [
        ("sidecar", &[media.with_sidecar.to_str().unwrap()], true),
        (
            "chosen",
            &[
                media.two_tracks.to_str().unwrap(),
                "--subtitle-language",
                "fr",
            ],
            true,
        ),
        (
            "off",
            &[media.two_tracks.to_str().unwrap(), "--subtitles", "off"],
            false,
        ),
    ];
    for (name, args, shown) in cases {
        let app = app(&x, &[&["play", "--json"], args].concat());
        app.wait_json(Duration::from_secs(30), "playing", |v| {
            assert_ne!(v["event"], "error", "{v}");
            (v["state"] == "playing").then_some(())
        });
        if shown {
            screen_until(&x, Duration::from_secs(10), name, |s| {
                subtitle_points(s).is_some_and(|n| n > 60)
            });
        } else {
            // The video on screen, then two seconds of it without text.
            screen_until(&x, Duration::from_secs(10), "the video", |s| {
                subtitle_points(s).is_some()
            });
            let until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < until {
                let points = subtitle_points(&x.screenshot());
                assert_eq!(points, Some(0), "{name}: text on screen");
            }
        }
        x.save_png(&screenshots_dir().join(format!("window-subtitles-{name}.png")));
        drop(app);
    }
}

/// `--share-subtitles off`: the window shows the subtitles, a Chromium viewer of the share
/// gets the picture without them.
#[test]
fn subtitles_kept_local_show_in_the_window_and_not_at_the_viewer() {
    common::net::assert_private_network();
    // A window, a share and Chromium: heavy on two cores, so one at a time.
    let _serial = common::one_at_a_time();
    let media = common::subtitled(30, (320, 240));
    let x = Xvfb::start();
    let movie = media.with_sidecar.to_str().unwrap();
    let app = app(
        &x,
        &[
            "share",
            "--json",
            "--share-subtitles",
            "off",
            "--signalling-port",
            "0",
            "--http-port",
            "0",
            movie,
        ],
    );
    let url = app.wait_json(Duration::from_secs(30), "the viewer link", |v| {
        (v["event"] == "viewer-url").then(|| v["url"].as_str().unwrap().to_owned())
    });
    app.wait_json(Duration::from_secs(30), "registered", |v| {
        (v["event"] == "registered").then_some(())
    });
    screen_until(
        &x,
        Duration::from_secs(10),
        "subtitles in the window",
        |s| subtitle_points(s).is_some_and(|n| n > 60),
    );
    let browser = common::peers::browser_viewers_with(
        common::peers::ViewerKind::Page,
        &url,
        1,
        &["--bright-lower"],
    );
    // Frames at the viewer (30 decoded), then every frame it shows for two seconds has none.
    common::wait_for(
        &browser.lines,
        Duration::from_secs(60),
        "frames at the viewer",
        |l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            (v["framesDecoded"].as_u64()? >= 30 && v["brightLower"].is_u64()).then_some(())
        },
    );
    let until = Instant::now() + Duration::from_secs(2);
    while let Ok(line) = browser.lines.recv_deadline(until) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if let Some(points) = v["brightLower"].as_u64() {
            assert!(points < 5, "subtitles reached the viewer: {v}");
        }
    }
    assert!(subtitle_points(&x.screenshot()).is_some_and(|n| n > 60));
    x.save_png(&screenshots_dir().join("window-subtitles-local.png"));
}

/// The middle of the chosen radio button of the share form (libadwaita's accent blue, a
/// small round blob at the left of the panel's rows).
fn chosen_radio(rgb: &[u8]) -> Option<(usize, usize)> {
    let rows = accent_rows(rgb, WIDTH * 5 / 8..WIDTH * 7 / 10, 4);
    let (first, last) = (rows.first()?, rows.last()?);
    // One blob, a radio's size.
    (last.0 - first.0 <= 30).then_some(((first.1 + first.2) / 2, (first.0 + last.0) / 2))
}

/// Preferences' "Simulcast to SFUs" (the `simulcast` key its switch is bound to) decides what
/// Start Sharing in the window publishes into a Janus room: switched off, one rung; left on,
/// every rung. The signalling address is the preferences' too, as the panel offers it.
#[test]
fn the_simulcast_preference_decides_what_the_window_publishes_into_a_room() {
    common::net::assert_private_network();
    let _serial = common::one_at_a_time();
    let janus = common::janus::start(18180);
    let clip = common::media().dir.join("window-simulcast.webm");
    common::make_webm(&clip, Some((640, 360)), true, 10);
    for simulcast in [false, true] {
        // The preferences, in a config folder of this run's.
        let config = tempfile::tempdir().unwrap();
        let keys = format!(
            "signalling-url='{}'\nsimulcast={simulcast}\n",
            janus.publish_url(1234, None)
        );
        write_window_config(config.path(), &keys);
        let x = Xvfb::start();
        let mut command = Command::new(env!("CARGO_BIN_EXE_reelcast"));
        command.env("XDG_CONFIG_HOME", config.path());
        let mut app = x.play(command, &clip);
        // Ctrl+S opens the share panel, whose address is the preferences'.
        x.xdotool(&["mousemove", "300", "300", "key", "ctrl+s"]);
        // "Signalling Server", the row below the chosen "On This Computer".
        let first = screen_until(&x, Duration::from_secs(20), "the share form", |s| {
            chosen_radio(s).is_some()
        });
        let (rx, ry) = chosen_radio(&first).unwrap();
        let row = ry + 55;
        x.xdotool(&[
            "mousemove",
            &(rx + 100).to_string(),
            &row.to_string(),
            "click",
            "1",
        ]);
        screen_until(
            &x,
            Duration::from_secs(10),
            "Signalling Server chosen",
            |s| chosen_radio(s).is_some_and(|(_, y)| y.abs_diff(row) < 12),
        );
        x.click_start_sharing();
        let stats = app.wait_json(Duration::from_secs(30), "the publication's stats", |v| {
            let s = &v["stats"];
            let published = s["published"].as_array().map_or(0, Vec::len);
            // Every rung is known once each has sent a picture; one rung has its own.
            let settled = if simulcast {
                published == 3
            } else {
                !s["rung"].is_null()
            };
            (v["event"] == "stats" && settled).then(|| s.clone())
        });
        let published = stats["published"].as_array().map_or(0, Vec::len);
        eprintln!(
            "window, simulcast {simulcast}: {published} rungs published, rung {}",
            stats["rung"]
        );
        if simulcast {
            assert_eq!(published, 3, "{stats}");
        } else {
            assert_eq!(published, 0, "{stats}");
            assert!(!stats["rung"].is_null(), "{stats}");
        }
        app.kill();
    }
}

/// The share panel's Record button (Ctrl+R) records the window's share into the person's
/// Videos folder, shows how far it has come, and finishes the file when pressed again.
#[test]
fn the_record_button_records_the_share_into_the_videos_folder() {
    common::net::assert_private_network();
    let clip = common::media().dir.join("window-record.webm");
    common::make_webm(&clip, Some((640, 360)), true, 10);
    let home = tempfile::tempdir().unwrap();
    let videos = home.path().join("Films");
    std::fs::create_dir_all(&videos).unwrap();
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("user-dirs.dirs"),
        format!("XDG_VIDEOS_DIR=\"{}\"\n", videos.display()),
    )
    .unwrap();
    let x = Xvfb::start();
    let mut command = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command
        .args(["share", "--json", "--loop", "--signalling-port", "0"])
        .args(["--http-port", "0"])
        .arg(&clip)
        .env("DISPLAY", &x.display)
        .env("GDK_BACKEND", "x11")
        .env("XDG_CONFIG_HOME", &config)
        .env_remove("WAYLAND_DISPLAY");
    let app = common::peers::Peer::spawn("reelcast", command);
    app.wait_json(Duration::from_secs(30), "registered", |v| {
        (v["event"] == "registered").then_some(())
    });
    x.xdotool(&["mousemove", "512", "300", "key", "ctrl+r"]);
    let path = app.wait_json(Duration::from_secs(20), "recording-started", |v| {
        (v["event"] == "recording-started").then(|| PathBuf::from(v["path"].as_str().unwrap()))
    });
    assert_eq!(path.parent(), Some(videos.as_path()), "{path:?}");
    // The row shows the time and size as the file grows: a screenshot once it holds some.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&path).map_or(0, |m| m.len()) < 100_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "{path:?} does not grow"
        );
        std::thread::park_timeout(Duration::from_millis(100));
    }
    screen_until(&x, Duration::from_secs(5), "the share panel", |s| {
        light_on_the_right(s) > 0.5
    });
    x.save_png(&screenshots_dir().join("window-recording.png"));
    x.xdotool(&["mousemove", "512", "300", "key", "ctrl+r"]);
    let stopped = app.wait_json(Duration::from_secs(20), "recording-stopped", |v| {
        (v["event"] == "recording-stopped").then(|| v.clone())
    });
    assert!(stopped.get("error").is_none(), "{stopped}");
    assert!(stopped["duration_ms"].as_u64() > Some(1000), "{stopped}");
    let bytes = std::fs::metadata(&path).unwrap().len();
    assert_eq!(Some(bytes), stopped["bytes"].as_u64(), "{stopped}");
}

/// "Who Can Watch": the window shares on the network its preferences keep (an interface of a
/// link into another network namespace, as a Wi-Fi would be): the link names that network's
/// address, and a Chromium on the other side of it opens the link and watches.
#[test]
fn the_window_shares_on_the_network_picked_and_a_browser_there_watches() {
    common::net::assert_private_network();
    let clip = common::media().dir.join("window-network.webm");
    common::make_webm(&clip, Some((640, 360)), true, 10);
    let link = reelcast_testkit::ShapedLink::create(None).unwrap();
    let config = tempfile::tempdir().unwrap();
    write_window_config(
        config.path(),
        &format!("share-network='{}'\n", link.device()),
    );
    let x = Xvfb::start();
    let mut command = Command::new(env!("CARGO_BIN_EXE_reelcast"));
    command.env("XDG_CONFIG_HOME", config.path());
    let app = x.play(command, &clip);
    x.xdotool(&["mousemove", "300", "300", "key", "ctrl+s"]);
    screen_until(&x, Duration::from_secs(10), "the share form", |s| {
        light_on_the_right(s) > 0.5
    });
    x.save_png(&screenshots_dir().join("window-who-can-watch.png"));
    x.click_start_sharing();
    let url = app.wait_json(Duration::from_secs(30), "the viewer link", |v| {
        (v["event"] == "viewer-url").then(|| v["url"].as_str().unwrap().to_owned())
    });
    let host = link.near_address().to_string();
    assert!(url.starts_with(&format!("http://{host}:")), "{url}");
    let browser = common::peers::browser_viewers_run_by(
        link.command("node"),
        common::peers::ViewerKind::Page,
        &url,
        1,
        &[],
    );
    common::peers::wait_decoding(&browser, 0, 30, (640, 360), Duration::from_secs(60));
    screen_until(&x, Duration::from_secs(10), "the share panel", |s| {
        light_on_the_right(s) > 0.5
    });
    x.save_png(&screenshots_dir().join("window-network.png"));
}
