//! Small helpers every layer may use: the seeded generator, hex, HTML escaping and the HTTP
//! client. This is the bottom of the layer graph: it imports no other Cairn module.

pub mod http;
mod rng;

pub use http::http_request;
pub use rng::Rng;

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Text made safe to put in HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
