//! Messenger and Instagram: not built yet. Its module (verify, parse, send, media) is
//! written against `channels::Platform`; until then its webhook and
//! sends answer `channel_unavailable`.

use super::*;

pub const PLATFORM: Platform = Platform {
    name: "messenger",
    label: "Messenger and Instagram",
    sources: &["fb", "ig"],
    fields: &[
        Field {
            name: "page_id",
            secret: false,
            required: true,
        },
        Field {
            name: "page_access_token",
            secret: true,
            required: true,
        },
        Field {
            name: "app_secret",
            secret: true,
            required: true,
        },
        Field {
            name: "verify_token",
            secret: true,
            required: true,
        },
        Field {
            name: "instagram_id",
            secret: false,
            required: false,
        },
    ],
    api_base: "https://graph.facebook.com/v21.0",
    caps: Caps {
        max_text: 2000,
        media: true,
        reply_window_hours: Some(168),
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
