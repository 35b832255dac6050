//! Twilio: not built yet. Its module (verify, parse, send, media) is
//! written against `channels::Platform`; until then its webhook and
//! sends answer `channel_unavailable`.

use super::*;

pub const PLATFORM: Platform = Platform {
    name: "twilio",
    label: "Twilio",
    sources: &["tx"],
    fields: &[
        Field {
            name: "account_sid",
            secret: false,
            required: true,
        },
        Field {
            name: "auth_token",
            secret: true,
            required: true,
        },
        Field {
            name: "from",
            secret: false,
            required: true,
        },
    ],
    api_base: "https://api.twilio.com",
    caps: Caps {
        max_text: 1600,
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
