//! WeChat Official Accounts (公众号), through the Official Account API
//! (https://developers.weixin.qq.com/doc/offiaccount/): the server
//! configuration's GET handshake and every POST are signed in the query
//! (`signature` = SHA-1 of the sorted `token`, `timestamp`, `nonce`),
//! messages arrive as XML and are acknowledged with `success`, replies
//! leave as customer service messages (`/cgi-bin/message/custom/send`,
//! within 48 hours of the user's last message) with an access token
//! fetched for each send, files come from `/cgi-bin/media/get`. WeChat
//! reports no delivery or read state.
//!
//! Every message encryption mode of the console: plaintext, compatible
//! (plaintext read, ciphertext ignored) and safe mode (安全模式: only
//! `<Encrypt>`, read with `encoding_aes_key`).

use super::*;
use crate::error;
use serde::Deserialize;
use serde_json::json;

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
        // The server configuration's Token (服务器配置 令牌).
        Field {
            name: "token",
            secret: true,
            required: true,
        },
        // The server configuration's EncodingAESKey: for safe mode only.
        Field {
            name: "encoding_aes_key",
            secret: true,
            required: false,
        },
    ],
    api_base: "https://api.weixin.qq.com",
    caps: Caps {
        // The API refuses text over about 2048 bytes (errcode 45002,
        // undocumented); 512 characters stay under it in any script.
        max_text: 512,
        // Files leave as links: sending one needs a media upload first.
        media: false,
        reply_window_hours: Some(48),
        statuses: false,
        templates: false,
    },
    handshake: Some(handshake),
    verify,
    parse,
    ack: ("text/plain", "success"),
    send,
    media,
    register: None,
};

/// SHA-1 (hex) of the parts sorted and joined: `token`, `timestamp`,
/// `nonce` (https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html),
/// and the ciphertext for safe mode's `msg_signature`.
fn signature(parts: &[&str]) -> String {
    use sha1::Digest;
    let mut parts = parts.to_vec();
    parts.sort_unstable();
    hex(&sha1::Sha1::digest(parts.concat().as_bytes()))
}

/// The query's `signature` is ours (the handshake and every POST); in
/// safe mode, so is its `msg_signature`, over the ciphertext too.
fn verify(c: &Config, r: &Inbound) -> Result<()> {
    signed_query(c, r)?;
    let token = c.get("token");
    let (timestamp, nonce) = (
        r.query("timestamp").unwrap_or(""),
        r.query("nonce").unwrap_or(""),
    );
    // With an EncodingAESKey the account is in compatible or safe mode, in
    // which WeChat signs every POST's ciphertext too (`msg_signature`).
    // Plaintext mode's `signature` covers only the timestamp and nonce,
    // never the body: a query seen once (a log, a proxy) would carry any
    // body, so a POST that drops `encrypt_type` is refused here.
    let safe = !c.get("encoding_aes_key").trim().is_empty();
    if safe && r.query("encrypt_type") != Some("aes") {
        return Err(error::CHANNEL_SIGNATURE.err());
    }
    if r.query("encrypt_type") == Some("aes") {
        let encrypted = read(r)?.encrypt;
        let want = signature(&[token, timestamp, nonce, &encrypted]);
        let got = r.query("msg_signature").unwrap_or("").to_ascii_lowercase();
        if encrypted.is_empty() || !same(want.as_bytes(), got.as_bytes()) {
            return Err(error::CHANNEL_SIGNATURE.err());
        }
    }
    Ok(())
}

/// The query's `signature`: the handshake's whole check, a POST's first.
fn signed_query(c: &Config, r: &Inbound) -> Result<()> {
    let token = c.get("token");
    let timestamp = r.query("timestamp").unwrap_or("");
    let nonce = r.query("nonce").unwrap_or("");
    let want = signature(&[token, timestamp, nonce]);
    let got = r.query("signature").unwrap_or("").to_ascii_lowercase();
    if token.is_empty() || !same(want.as_bytes(), got.as_bytes()) {
        return Err(error::CHANNEL_SIGNATURE.err());
    }
    Ok(())
}

/// The server configuration's check: a signed GET answered with its `echostr`.
fn handshake(c: &Config, r: &Inbound) -> Result<String> {
    signed_query(c, r)?;
    r.query("echostr")
        .map(str::to_string)
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("echostr is missing"))
}

/// The fields of a pushed message we read; the rest is skipped.
/// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
#[derive(Deserialize, Default)]
#[serde(default)]
struct Xml {
    #[serde(rename = "FromUserName")]
    from: String,
    #[serde(rename = "MsgType")]
    kind: String,
    #[serde(rename = "MsgId")]
    id: String,
    #[serde(rename = "Content")]
    content: String,
    #[serde(rename = "PicUrl")]
    pic_url: String,
    #[serde(rename = "MediaId")]
    media_id: String,
    #[serde(rename = "Format")]
    format: String,
    /// Speech recognition of a voice message, when the account has it.
    #[serde(rename = "Recognition")]
    recognition: String,
    #[serde(rename = "Location_X")]
    lat: String,
    #[serde(rename = "Location_Y")]
    lng: String,
    #[serde(rename = "Label")]
    label: String,
    #[serde(rename = "Title")]
    title: String,
    #[serde(rename = "Description")]
    description: String,
    #[serde(rename = "Url")]
    url: String,
    #[serde(rename = "Encrypt")]
    encrypt: String,
}

/// One pushed message (WeChat posts one per request). Events (subscribe,
/// menu clicks, ...) are not conversations. Dedupe is by `MsgId`, which
/// WeChat's docs name for its retries (it retries thrice when we are slow).
fn parse(c: &Config, r: &Inbound) -> Result<Vec<Event>> {
    let mut x = read(r)?;
    // With a key, the signed ciphertext wins over compatible mode's
    // unsigned plaintext copy beside it.
    let keyed = !c.get("encoding_aes_key").trim().is_empty();
    if !x.encrypt.is_empty() && (keyed || x.kind.is_empty()) {
        x = xml(&decrypt(c, &x.encrypt)?)?;
    }
    if x.kind == "event" {
        return Ok(Vec::new());
    }
    if x.from.is_empty() || x.id.is_empty() {
        return Err(error::CHANNEL_PAYLOAD.with("FromUserName or MsgId is missing"));
    }
    let file = |ext: &str| MediaRef {
        id: x.media_id.clone(),
        content_type: None,
        name: Some(format!("{}.{ext}", x.id)),
    };
    let (text, media) = match x.kind.as_str() {
        "text" => (x.content.clone(), Vec::new()),
        "image" if !x.media_id.is_empty() => (String::new(), vec![file("jpg")]),
        "image" if !x.pic_url.is_empty() => (
            String::new(),
            vec![MediaRef {
                id: x.pic_url.clone(),
                content_type: Some("image/jpeg".into()),
                name: Some(format!("{}.jpg", x.id)),
            }],
        ),
        "voice" => (
            x.recognition.clone(),
            vec![file(if x.format.is_empty() {
                "amr"
            } else {
                &x.format
            })],
        ),
        "video" | "shortvideo" => (String::new(), vec![file("mp4")]),
        "location" => (location(&x), Vec::new()),
        "link" => (
            [&x.title, &x.description, &x.url]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            Vec::new(),
        ),
        _ => return Ok(Vec::new()),
    };
    let media: Vec<MediaRef> = media.into_iter().filter(|m| !m.id.is_empty()).collect();
    if text.is_empty() && media.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Event::Message(InMessage {
        source: "wc",
        id: x.id,
        from: x.from,
        text,
        media,
        ..Default::default()
    })])
}

fn read(r: &Inbound) -> Result<Xml> {
    xml(std::str::from_utf8(&r.body)
        .map_err(|_| error::CHANNEL_PAYLOAD.with("the body is not UTF-8"))?)
}

fn xml(text: &str) -> Result<Xml> {
    quick_xml::de::from_str(text)
        .map_err(|e| error::CHANNEL_PAYLOAD.with(format!("not a WeChat message: {e}")))
}

/// Safe mode's `<Encrypt>`: AES-256-CBC under base64(EncodingAESKey + "="),
/// its first 16 bytes the IV, padded PKCS#7-style to a multiple of 32;
/// inside, 16 random bytes, the message's length (4 bytes, big-endian),
/// the message and the AppID, which must be ours.
/// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
fn decrypt(c: &Config, encrypted: &str) -> Result<String> {
    use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
    use base64::Engine;
    let bad = |what: &str| error::CHANNEL_PAYLOAD.with(format!("safe mode: {what}"));
    // Keys are 43 characters whose last may carry stray low bits, which
    // the platform's own decoders accept.
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let key = lenient
        .decode(format!("{}=", c.get("encoding_aes_key").trim()))
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| bad("channels.wechat has no valid encoding_aes_key"))?;
    let mut buf = lenient
        .decode(encrypted.trim())
        .map_err(|_| bad("Encrypt is not base64"))?;
    let plain = cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, &key[..16])
        .map_err(|_| bad("bad key"))?
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .map_err(|_| bad("Encrypt is not whole blocks"))?;
    let pad = *plain.last().unwrap_or(&0) as usize;
    if !(1..=32).contains(&pad) || plain.len() < 20 + pad {
        return Err(bad("bad padding"));
    }
    let content = &plain[16..plain.len() - pad];
    let len = u32::from_be_bytes([content[0], content[1], content[2], content[3]]) as usize;
    let (message, app_id) = content[4..]
        .split_at_checked(len)
        .ok_or_else(|| bad("bad length"))?;
    if app_id != c.get("app_id").as_bytes() {
        return Err(bad("the message is for another AppID"));
    }
    String::from_utf8(message.to_vec()).map_err(|_| bad("the message is not UTF-8"))
}

fn location(x: &Xml) -> String {
    let mut lines = vec!["[Location]".to_string()];
    if !x.label.is_empty() {
        lines.push(x.label.clone());
    }
    if !x.lat.is_empty() && !x.lng.is_empty() {
        lines.push(format!("{}, {}", x.lat, x.lng));
    }
    lines.join("\n")
}

/// WeChat's answer: HTTP 200 with `errcode` ≠ 0 is a refusal. Token
/// errors (expired, invalid: another fetch may do) and "system busy" are
/// worth another try; the rest (outside the 48-hour window, user
/// unsubscribed, IP not whitelisted) are final.
fn refusal(v: &Value) -> Option<Sent> {
    let code = v["errcode"].as_i64().filter(|c| *c != 0)?;
    Some(Sent::Failed {
        status: Some(200),
        // WeChat's answer as it gave it (`{"errcode":45015,"errmsg":...}`).
        text: v.to_string().chars().take(512).collect(),
        retry: matches!(code, -1 | 40001 | 40014 | 42001 | 45009),
    })
}

/// An access token, fetched for each call: a pure module keeps no state,
/// so nothing caches it. It comes from the stable token API in its normal
/// mode, which answers the same token while it is valid and, unlike
/// `GET /cgi-bin/token`, does not cut short a token another process of
/// the account holds, and allows 500,000 calls a day (against 2,000).
/// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
fn access_token(http: &dyn Http, c: &Config) -> std::result::Result<String, Sent> {
    let body = json!({ "grant_type": "client_credential", "appid": c.get("app_id"),
                       "secret": c.get("app_secret"), "force_refresh": false });
    let req = Request::new(
        "POST",
        format!("{}/cgi-bin/stable_token", c.api_base()),
        Body::Json(body),
    );
    match Sent::judge(http.call(req), |_| Vec::new()) {
        Sent::Ok { response, .. } => {
            if let Some(refused) = refusal(&response) {
                return Err(refused);
            }
            response["access_token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .ok_or_else(|| Sent::Failed {
                    status: Some(200),
                    text: "the token answer has no access_token".into(),
                    retry: true,
                })
        }
        failed => Err(failed),
    }
}

/// A query value: all but RFC 3986's unreserved characters escaped.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` without the access token: it is no setting, so
/// `Config::hide_secrets` knows nothing of it, and an error may echo the
/// URL that carries it.
fn hide_token(token: &str, text: String) -> String {
    let encoded = percent_encoding::utf8_percent_encode(token, QUERY).to_string();
    text.replace(token, "[hidden]")
        .replace(&encoded, "[hidden]")
}

fn with_token(url: String, token: &str) -> String {
    let token = percent_encoding::utf8_percent_encode(token, QUERY);
    format!("{url}?access_token={token}")
}

/// A customer service text message (客服消息):
/// `POST /cgi-bin/message/custom/send?access_token=` with
/// `{touser, msgtype: text, text: {content}}`.
/// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
/// WeChat gives the message no id. The response is WeChat's answer as
/// JSON text, the first element of Support Board's `wechat-send-message`
/// answer `["{...}", "<token>"]` (its function adds the second). The
/// access token stays out of it: the response goes into `channel.sent`
/// (every staff member's events, webhooks) and the delivery log, where a
/// token good for two hours for the whole account must not.
fn send(http: &dyn Http, c: &Config, m: &Outgoing) -> Sent {
    let token = match access_token(http, c) {
        Ok(t) => t,
        Err(failed) => return failed,
    };
    let body = json!({ "touser": m.to, "msgtype": "text", "text": { "content": m.text } });
    let url = with_token(
        format!("{}/cgi-bin/message/custom/send", c.api_base()),
        &token,
    );
    match Sent::judge(
        http.call(Request::new("POST", url, Body::Json(body))),
        |_| Vec::new(),
    ) {
        Sent::Ok { response, .. } => refusal(&response).unwrap_or_else(|| Sent::Ok {
            ids: Vec::new(),
            response: Value::String(response.to_string()),
        }),
        Sent::Failed {
            status,
            text,
            retry,
        } => Sent::Failed {
            status,
            text: hide_token(&token, text),
            retry,
        },
    }
}

/// A file a user sent: `GET /cgi-bin/media/get?access_token=&media_id=`
/// (temporary media, kept three days), or an image's `PicUrl`. A video
/// answers with JSON naming its `video_url`, fetched in turn.
/// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html
fn media(http: &dyn Http, c: &Config, f: &MediaRef) -> std::result::Result<Fetched, String> {
    let fetch = |url: String| {
        let mut req = Request::new("GET", url, Body::None);
        req.limit = usize::MAX;
        http.call(req)
    };
    let file = if f.id.starts_with("https://") || f.id.starts_with("http://") {
        fetch(f.id.clone())?
    } else {
        let token = access_token(http, c).map_err(|s| match s {
            Sent::Failed { text, .. } => text,
            Sent::Ok { .. } => String::new(),
        })?;
        let id = percent_encoding::utf8_percent_encode(&f.id, QUERY);
        let url = with_token(format!("{}/cgi-bin/media/get", c.api_base()), &token);
        let file = fetch(format!("{url}&media_id={id}")).map_err(|e| hide_token(&token, e))?;
        let ct = file.content_type.to_ascii_lowercase();
        if ct.starts_with("application/json") || ct.starts_with("text/plain") {
            let v = file.json();
            match v["video_url"].as_str() {
                Some(video) => fetch(video.to_string())?,
                None => return Err(format!("media/get answered {}", file.text())),
            }
        } else {
            file
        }
    };
    if file.status != 200 {
        return Err(format!("the file answered {}", file.status));
    }
    Ok(Fetched {
        content_type: f.content_type.clone().or(Some(file.content_type)),
        name: f.name.clone(),
        bytes: file.body,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::Recorder;
    use super::*;

    fn config() -> Config {
        let mut m = Map::new();
        m.insert("app_id".into(), json!("wx1234567890abcdef"));
        m.insert("app_secret".into(), json!("app-secret"));
        m.insert("token".into(), json!("porch-token"));
        m.insert("api_base".into(), json!("http://127.0.0.1:9/"));
        Config(m)
    }

    /// sha1("1743502518" + "1681989320" + "porch-token"), the three sorted,
    /// computed apart from this module (Python's hashlib).
    const SIGNATURE: &str = "5665feaa03a0e1a69f39db999d88c5a847889917";

    fn signed(signature: &str, body: &str) -> Inbound {
        let q = |k: &str, v: &str| (k.to_string(), v.to_string());
        Inbound {
            query: vec![
                q("signature", signature),
                q("timestamp", "1681989320"),
                q("nonce", "1743502518"),
                q("echostr", "8305999631672647420"),
                q("openid", "oUser"),
            ],
            body: body.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn handshake_and_signature() {
        let c = config();
        assert_eq!(
            signature(&["porch-token", "1681989320", "1743502518"]),
            SIGNATURE
        );
        assert_eq!(
            handshake(&c, &signed(SIGNATURE, "")).unwrap(),
            "8305999631672647420"
        );
        assert!(verify(&c, &signed(&SIGNATURE.to_uppercase(), "")).is_ok());
        let wrong = format!("0{}", &SIGNATURE[1..]);
        assert!(handshake(&c, &signed(&wrong, "")).is_err());
        assert!(verify(&c, &signed(&wrong, "")).is_err());
        assert!(verify(&c, &Inbound::default()).is_err());
        // No token configured: nothing is accepted.
        assert!(verify(
            &Config::default(),
            &signed(&signature(&["", "1681989320", "1743502518"]), "")
        )
        .is_err());
    }

    fn parsed(xml: &str) -> Vec<Event> {
        parse(&config(), &signed(SIGNATURE, xml)).unwrap()
    }

    #[test]
    fn text_in_chinese_with_emoji() {
        // The docs' text message, with Chinese text and an emoji.
        let ev = parsed(
            "<xml>\n<ToUserName><![CDATA[toUser]]></ToUserName>\n\
             <FromUserName><![CDATA[oUser_FromOpenID]]></FromUserName>\n\
             <CreateTime>1348831860</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n\
             <Content><![CDATA[你好，请问营业时间？ 🍵 <b>&amp;</b>]]></Content>\n\
             <MsgId>1234567890123456</MsgId>\n<MsgDataId>xxxx</MsgDataId>\n<Idx>xxxx</Idx>\n</xml>",
        );
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.source, "wc");
        assert_eq!(m.id, "1234567890123456");
        assert_eq!(m.from, "oUser_FromOpenID");
        assert_eq!(m.text, "你好，请问营业时间？ 🍵 <b>&amp;</b>");
        // Escaped text (not CDATA) is unescaped.
        let ev = parsed(
            "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType>\
             <Content>a &lt; b &amp; 中文</Content><MsgId>7</MsgId></xml>",
        );
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.text, "a < b & 中文");
    }

    #[test]
    fn media_messages() {
        let ev = parsed(
            "<xml><ToUserName><![CDATA[toUser]]></ToUserName>\
             <FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1348831860</CreateTime>\
             <MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.example/pic]]></PicUrl>\
             <MediaId><![CDATA[media_id_1]]></MediaId><MsgId>1234567890123456</MsgId></xml>",
        );
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.media[0].id, "media_id_1");
        assert_eq!(m.media[0].name.as_deref(), Some("1234567890123456.jpg"));
        let ev = parsed(
            "<xml><FromUserName>o1</FromUserName><CreateTime>1357290913</CreateTime>\
             <MsgType>voice</MsgType><MediaId>v1</MediaId><Format>speex</Format>\
             <Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>9</MsgId></xml>",
        );
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.text, "腾讯微信团队");
        assert_eq!(m.media[0].name.as_deref(), Some("9.speex"));
        let ev = parsed(
            "<xml><FromUserName>o1</FromUserName><MsgType>location</MsgType>\
             <Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>\
             <Scale>20</Scale><Label><![CDATA[广州市天河区]]></Label><MsgId>10</MsgId></xml>",
        );
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.text, "[Location]\n广州市天河区\n23.134521, 113.358803");
    }

    #[test]
    fn events_and_bad_bodies() {
        assert!(parsed(
            "<xml><ToUserName><![CDATA[toUser]]></ToUserName>\
             <FromUserName><![CDATA[FromUser]]></FromUserName><CreateTime>123456789</CreateTime>\
             <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>"
        )
        .is_empty());
        let bad = |xml: &str| parse(&config(), &signed(SIGNATURE, xml)).is_err();
        assert!(bad("not xml <"));
        assert!(bad(
            "<xml><MsgType>text</MsgType><Content>x</Content></xml>"
        ));
        assert!(bad(
            "<xml><ToUserName>gh_1</ToUserName><Encrypt><![CDATA[abc]]></Encrypt></xml>"
        ));
        // A DTD's entity is not expanded.
        assert!(bad(
            "<!DOCTYPE xml [<!ENTITY a \"aaaa\">]><xml><FromUserName>o1</FromUserName>\
             <MsgType>text</MsgType><Content>&a;</Content><MsgId>1</MsgId></xml>"
        ));
        // Deep nesting in an element we skip: no stack overflow.
        let deep = format!(
            "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>x</Content>\
             <MsgId>1</MsgId><Extra>{}{}</Extra></xml>",
            "<a>".repeat(200_000),
            "</a>".repeat(200_000)
        );
        assert_eq!(parsed(&deep).len(), 1);
        // Compatible mode: plaintext beside the ciphertext is read.
        assert_eq!(
            parsed(
                "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType>\
                 <Content>hi</Content><MsgId>1</MsgId><Encrypt>abc</Encrypt></xml>"
            )
            .len(),
            1
        );
    }

    /// A safe-mode message made apart from this module (Python's
    /// `cryptography`), with the official sample's EncodingAESKey and AppID.
    const SAFE_CT: &str = "Q3stYC6hdFzMh9T8HCvyDPYd4batj7zR9qX1tTJwVo3rIGsIyiksc+v3Gxca8gMq0XjyrEgUMKvLf4K8R4BUeVSuilc+aQx9qEVLRLMc1lT6cRBRDdSWjLc4SMSIgTkhARPGfsmiJkKA8FlqcYPBh6zB8Ej6g41LrlLt2sSdcGBjF8aMTT7ufEmOUkw0xtAKmBWbeLVoBRsCsmfIezFL6J1IvtpVJcx6jzujsHK4pIXB1wW4TnarSHquyTNH9itFJkVvoc9hLvXDwRBbU83dZlRU9V5cLGeCe7J9RrY3ILbwvOqvpMxs00QrHTsnV/8I8E2FfNxQA8F8da0Lgwsyry3b0wIxUl3koBnE8SivzHLJTJLNk2LYJVGIQa3WRn8bJAmxbgmli2VTnF8+FLBDalbQVI8Q/XswrYecfCBPm/Y=";

    fn safe(msg_signature: &str) -> (Config, Inbound) {
        let mut c = config();
        c.0.insert("token".into(), json!("pamtest"));
        c.0.insert("app_id".into(), json!("wxb11529c136998cb6"));
        c.0.insert(
            "encoding_aes_key".into(),
            json!("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"),
        );
        let q = |k: &str, v: &str| (k.to_string(), v.to_string());
        let r = Inbound {
            query: vec![
                q("signature", "76480565cbe296026c53aaacd1ad523a1ddba24f"),
                q("timestamp", "1409304348"),
                q("nonce", "xxxxxx"),
                q("openid", "oSafe"),
                q("encrypt_type", "aes"),
                q("msg_signature", msg_signature),
            ],
            body: format!(
                "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\
                 <Encrypt><![CDATA[{SAFE_CT}]]></Encrypt></xml>"
            )
            .into_bytes(),
            ..Default::default()
        };
        (c, r)
    }

    #[test]
    fn safe_mode() {
        let (c, r) = safe("3f6c212c2470dd9dfd3b2f0b7b6ba6d3211fad0d");
        verify(&c, &r).unwrap();
        let Event::Message(m) = &parse(&c, &r).unwrap()[0] else {
            panic!()
        };
        assert_eq!(
            (m.id.as_str(), m.from.as_str(), m.text.as_str()),
            ("6054768590064713728", "oSafe", "加密的你好 🔒")
        );
        // The ciphertext's signature is checked; the AppID inside must be ours.
        let (c, r) = safe("0f6c212c2470dd9dfd3b2f0b7b6ba6d3211fad0d");
        assert!(verify(&c, &r).is_err());
        let mut other = c.clone();
        other.0.insert("app_id".into(), json!("wx_other"));
        assert!(parse(&other, &r).is_err());
        let mut no_key = c;
        no_key.0.remove("encoding_aes_key");
        assert!(parse(&no_key, &r).is_err());
    }

    fn forged(text: &str) -> String {
        format!(
            "<xml><FromUserName>oVictim</FromUserName><MsgType>text</MsgType>\
             <MsgId>1</MsgId><Content>{text}</Content></xml>"
        )
    }

    #[test]
    fn compatible_mode_reads_the_signed_ciphertext_not_the_plaintext_beside_it() {
        // Compatible mode posts both; only the ciphertext is signed.
        let (c, mut r) = safe("3f6c212c2470dd9dfd3b2f0b7b6ba6d3211fad0d");
        let body = String::from_utf8(r.body.clone()).unwrap().replace(
            "</xml>",
            "<FromUserName>oVictim</FromUserName><MsgType>text</MsgType>\
             <MsgId>1</MsgId><Content>forged</Content></xml>",
        );
        r.body = body.into_bytes();
        verify(&c, &r).unwrap();
        let Event::Message(m) = &parse(&c, &r).unwrap()[0] else {
            panic!()
        };
        assert_eq!(
            (m.from.as_str(), m.text.as_str()),
            ("oSafe", "加密的你好 🔒")
        );
    }

    #[test]
    fn safe_mode_refuses_a_post_that_drops_encrypt_type() {
        // A plaintext-mode query replayed (its signature covers no body)
        // with a plaintext body of the attacker's: refused once a key is set.
        let (mut c, _) = safe("");
        c.0.insert("token".into(), json!("porch-token"));
        let r = signed(SIGNATURE, &forged("forged"));
        assert!(verify(&config(), &r).is_ok(), "plaintext mode cannot tell");
        assert!(verify(&c, &r).is_err());
        // The server configuration's GET check still passes in safe mode.
        assert!(handshake(&c, &r).is_ok());
    }

    fn token_answer() -> std::result::Result<Response, String> {
        Recorder::json(
            200,
            json!({"access_token": "ACCESS/TOKEN", "expires_in": 7200}),
        )
    }

    fn outgoing() -> Outgoing {
        Outgoing {
            to: "oUser_FromOpenID".into(),
            source: "wc".into(),
            text: "您好！我们 9 点开门 ☀️".into(),
            ..Default::default()
        }
    }

    #[test]
    fn custom_send_with_a_fresh_token() {
        let http = Recorder::answering(vec![
            token_answer(),
            Recorder::json(200, json!({"errcode": 0, "errmsg": "ok"})),
        ]);
        let Sent::Ok { ids, response } = send(&http, &config(), &outgoing()) else {
            panic!()
        };
        assert!(ids.is_empty());
        assert_eq!(response, json!(r#"{"errcode":0,"errmsg":"ok"}"#));
        let reqs = http.requests.lock().unwrap();
        assert_eq!(
            (reqs[0].method, reqs[0].url.as_str()),
            ("POST", "http://127.0.0.1:9/cgi-bin/stable_token")
        );
        let Body::Json(b) = &reqs[0].body else {
            panic!()
        };
        assert_eq!(
            b,
            &json!({"grant_type": "client_credential", "appid": "wx1234567890abcdef",
                    "secret": "app-secret", "force_refresh": false})
        );
        assert_eq!(
            reqs[1].url,
            "http://127.0.0.1:9/cgi-bin/message/custom/send?access_token=ACCESS%2FTOKEN"
        );
        let Body::Json(b) = &reqs[1].body else {
            panic!()
        };
        assert_eq!(
            b,
            &json!({"touser": "oUser_FromOpenID", "msgtype": "text",
                    "text": {"content": "您好！我们 9 点开门 ☀️"}})
        );
    }

    #[test]
    fn errcodes_in_a_200() {
        let sent = |answers| send(&Recorder::answering(answers), &config(), &outgoing());
        let expired = sent(vec![
            token_answer(),
            Recorder::json(
                200,
                json!({"errcode": 42001, "errmsg": "access_token expired"}),
            ),
        ]);
        assert!(matches!(expired, Sent::Failed { retry: true, .. }));
        let window = sent(vec![
            token_answer(),
            Recorder::json(
                200,
                json!({"errcode": 45015, "errmsg": "response out of time limit"}),
            ),
        ]);
        let Sent::Failed { retry, text, .. } = window else {
            panic!()
        };
        assert!(!retry && text.contains("45015"));
        // The token fetch refused (bad secret) is final, and nothing is sent.
        let http = Recorder::answering(vec![Recorder::json(
            200,
            json!({"errcode": 40125, "errmsg": "invalid appsecret"}),
        )]);
        assert!(matches!(
            send(&http, &config(), &outgoing()),
            Sent::Failed { retry: false, .. }
        ));
        assert_eq!(http.requests.lock().unwrap().len(), 1);
        // An error that echoes the URL does not carry the token on.
        let echo = sent(vec![
            token_answer(),
            Err("no answer: http://127.0.0.1:9/cgi-bin/message/custom/send?access_token=ACCESS%2FTOKEN".into()),
        ]);
        let Sent::Failed { text, retry, .. } = echo else {
            panic!()
        };
        assert!(
            retry && !text.contains("ACCESS") && text.contains("[hidden]"),
            "{text}"
        );
        let down = sent(vec![Err("connection refused".into())]);
        assert!(matches!(down, Sent::Failed { retry: true, .. }));
        let busy = sent(vec![token_answer(), Recorder::json(503, json!({}))]);
        assert!(matches!(busy, Sent::Failed { retry: true, .. }));
    }

    #[test]
    fn media_download() {
        let http = Recorder::answering(vec![
            token_answer(),
            Ok(Response {
                status: 200,
                content_type: "image/jpeg".into(),
                body: vec![0xff, 0xd8],
                headers: Vec::new(),
            }),
        ]);
        let f = MediaRef {
            id: "media_id_1".into(),
            name: Some("1.jpg".into()),
            ..Default::default()
        };
        let got = media(&http, &config(), &f).unwrap();
        assert_eq!(got.bytes, vec![0xff, 0xd8]);
        assert_eq!(got.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(
            http.requests.lock().unwrap()[1].url,
            "http://127.0.0.1:9/cgi-bin/media/get?access_token=ACCESS%2FTOKEN&media_id=media_id_1"
        );
        // A video: its URL, then the file; an error answer: an error.
        let http = Recorder::answering(vec![
            token_answer(),
            Recorder::json(200, json!({"video_url": "http://127.0.0.1:9/v.mp4"})),
            Ok(Response {
                status: 200,
                content_type: "video/mp4".into(),
                body: vec![1],
                headers: Vec::new(),
            }),
        ]);
        assert_eq!(media(&http, &config(), &f).unwrap().bytes, vec![1]);
        assert_eq!(
            http.requests.lock().unwrap()[2].url,
            "http://127.0.0.1:9/v.mp4"
        );
        let http = Recorder::answering(vec![
            token_answer(),
            Recorder::json(200, json!({"errcode": 40007, "errmsg": "invalid media_id"})),
        ]);
        assert!(media(&http, &config(), &f).unwrap_err().contains("40007"));
    }
}
