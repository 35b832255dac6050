//! WhatsApp: not built yet. Its module (verify, parse, send, media) is
//! written against `channels::Platform`; until then its webhook and
//! sends answer `channel_unavailable`.

use super::*;

pub const PLATFORM: Platform = Platform {
    name: "whatsapp",
    label: "WhatsApp",
    sources: &["wa"],
    fields: &[
        Field {
            name: "phone_number_id",
            secret: false,
            required: true,
        },
        Field {
            name: "access_token",
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
            name: "business_account_id",
            secret: false,
            required: false,
        },
    ],
    api_base: "https://graph.facebook.com/v21.0",
    caps: Caps {
        max_text: 4096,
        media: true,
        reply_window_hours: Some(24),
        statuses: true,
        templates: true,
    },
    handshake: None,
    verify: unbuilt::verify,
    parse: unbuilt::parse,
    ack: ("text/plain", ""),
    send: unbuilt::send,
    media: unbuilt::media,
    register: None,
};
