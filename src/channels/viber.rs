//! Viber: not built yet. Its module (verify, parse, send, media) is
//! written against `channels::Platform`; until then its webhook and
//! sends answer `channel_unavailable`.

use super::*;

pub const PLATFORM: Platform = Platform {
    name: "viber",
    label: "Viber",
    sources: &["vb"],
    fields: &[
        Field {
            name: "auth_token",
            secret: true,
            required: true,
        },
        Field {
            name: "sender_name",
            secret: false,
            required: true,
        },
    ],
    api_base: "https://chatapi.viber.com",
    caps: Caps {
        max_text: 7000,
        media: true,
        reply_window_hours: None,
        statuses: true,
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
