//! LINE: not built yet. Its module (verify, parse, send, media) is
//! written against `channels::Platform`; until then its webhook and
//! sends answer `channel_unavailable`.

use super::*;

pub const PLATFORM: Platform = Platform {
    name: "line",
    label: "LINE",
    sources: &["ln"],
    fields: &[
        Field {
            name: "channel_access_token",
            secret: true,
            required: true,
        },
        Field {
            name: "channel_secret",
            secret: true,
            required: true,
        },
    ],
    api_base: "https://api.line.me",
    caps: Caps {
        max_text: 5000,
        media: true,
        reply_window_hours: None,
        statuses: false,
        templates: false,
    },
    handshake: None,
    verify: unbuilt::verify,
    parse: unbuilt::parse,
    ack: ("text/plain", ""),
    send: unbuilt::send,
    media: unbuilt::media,
    register: None,
};
