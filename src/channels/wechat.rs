//! WeChat: not built yet. Its module (verify, parse, send, media) is
//! written against `channels::Platform`; until then its webhook and
//! sends answer `channel_unavailable`.

use super::*;

pub const PLATFORM: Platform = Platform {
    name: "wechat",
    label: "WeChat",
    sources: &["wc"],
    fields: &[
        Field {
            name: "app_id",
            secret: false,
            required: true,
        },
        Field {
            name: "app_secret",
            secret: true,
            required: true,
        },
        Field {
            name: "token",
            secret: true,
            required: true,
        },
    ],
    api_base: "https://api.weixin.qq.com",
    caps: Caps {
        max_text: 2048,
        media: true,
        reply_window_hours: Some(48),
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
