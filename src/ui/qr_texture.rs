//! The QR code of the viewer link, as a texture the share panel shows, so a phone on the same
//! network opens the link by pointing its camera at the screen.

use gtk::prelude::*;
use gtk::{gdk, glib};

/// Pixels per module: big enough for a phone's camera, and an exact multiple so no scaling
/// blurs the edges.
const SCALE: usize = 4;
/// The light margin the standard asks for around the code, in modules.
const QUIET: usize = 4;

/// Black on white, whatever the theme: phones read dark modules on a light ground.
pub fn qr_texture(link: &str) -> Option<gdk::Texture> {
    let code = qrcode::QrCode::new(link.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![0xffu8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = ((i % width + QUIET) * SCALE, (i / width + QUIET) * SCALE);
        for row in y..y + SCALE {
            pixels[row * side + x..row * side + x + SCALE].fill(0);
        }
    }
    // One grey byte per pixel, expanded to RGB (the formats GTK 4.8 takes).
    let rgb: Vec<u8> = pixels.iter().flat_map(|&v| [v, v, v]).collect();
    let side_i32 = i32::try_from(side).ok()?;
    Some(
        gdk::MemoryTexture::new(
            side_i32,
            side_i32,
            gdk::MemoryFormat::R8g8b8,
            &glib::Bytes::from_owned(rgb),
            side * 3,
        )
        .upcast(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_makes_a_square_code_with_its_margin() {
        let link = format!("http://10.99.0.1:8080/{}/", "ab".repeat(32));
        let texture = qr_texture(&link).unwrap();
        assert_eq!(texture.width(), texture.height());
        // A 64-character secret in a LAN link: version 6 or so, 41 modules plus the margin.
        assert!(texture.width() as usize > (21 + 2 * QUIET) * SCALE);
    }
}
