//! The ICE servers a WHIP endpoint names in its `Link` headers (RFC 9725), read into
//! webrtcbin's form.

/// The ICE servers in `Link` headers (RFC 9725:
/// `<turn:host:3478?transport=udp>; rel="ice-server"; username="u"; credential="p"`), in
/// webrtcbin's form: `stun://host:port`, `turn://u:p@host:port?transport=udp`. A TURN server
/// without credentials is no use and is left out, as is anything that is not a plain
/// `host[:port][?query]`.
pub fn ice_servers_in_links(links: &[&str]) -> Vec<String> {
    let mut servers = Vec::new();
    for link in links.iter().flat_map(|header| header.split(',')) {
        let mut parts = link.split(';').map(str::trim);
        let Some(target) = parts
            .next()
            .and_then(|t| t.strip_prefix('<'))
            .and_then(|t| t.strip_suffix('>'))
        else {
            continue;
        };
        let (mut rel, mut username, mut credential) = (None, None, None);
        for part in parts {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim() {
                "rel" => rel = Some(value),
                "username" => username = Some(value),
                "credential" => credential = Some(value),
                _ => {}
            }
        }
        let Some((scheme, address)) = target.split_once(':') else {
            continue;
        };
        let plain = !address.is_empty()
            && address
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:?=&[]".contains(c));
        if rel != Some("ice-server") || !plain {
            continue;
        }
        match (scheme, username, credential) {
            ("stun", _, _) => servers.push(format!("stun://{address}")),
            ("turn" | "turns", Some(user), Some(password)) => servers.push(format!(
                "{scheme}://{}:{}@{address}",
                userinfo(user),
                userinfo(password)
            )),
            _ => {}
        }
    }
    servers
}

/// Percent-encodes a user name or password for a URL's userinfo.
fn userinfo(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ice_servers_come_from_link_headers() {
        let links = [
            "<stun:stun.example.net>; rel=\"ice-server\"",
            "<turn:turn.example.net:3478?transport=udp>; rel=\"ice-server\"; username=\"u\"; \
             credential=\"p@ss\"; credential-type=\"password\", <https://x/y>; rel=\"next\"",
            // No credentials, no rel, not a plain address: left out.
            "<turn:t.example.net>; rel=\"ice-server\", <stun:s.example.net>",
            "<stun:evil.example.net/../x>; rel=\"ice-server\", garbage, <>; rel=ice-server",
        ];
        assert_eq!(
            ice_servers_in_links(&links),
            [
                "stun://stun.example.net",
                "turn://u:p%40ss@turn.example.net:3478?transport=udp"
            ]
        );
    }
}
