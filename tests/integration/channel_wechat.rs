//! WeChat end to end: the server configuration's handshake, XML messages
//! signed as WeChat signs them reach the inbox, an agent's reply leaves as
//! a customer service message with a fresh access token, Support Board's
//! `wechat-send-message` too, all against a loopback stand-in for WeChat.

use crate::fake_platform::{conversations_of, Call, Fake, Reply};
use crate::harness::*;
use crate::support_board::Sb;
use serde_json::json;

const APP_ID: &str = "wx5f1c2d3e4a5b6c7d";
const APP_SECRET: &str = "app-secret-0123456789";
const TOKEN: &str = "porch2026";
const OPENID: &str = "oR5GjjgEhCMJFyzaVZdrxZ2zRRF4";
const ACCESS: &str = "84_ACCESS/TOKEN+1";

/// WeChat's `signature`: SHA-1 (hex) of the token, timestamp and nonce
/// sorted and joined, written here apart from the server's code.
fn sign(token: &str, timestamp: &str, nonce: &str) -> String {
    use sha1::Digest;
    let mut parts = [token, timestamp, nonce];
    parts.sort();
    sha1::Sha1::digest(parts.concat().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// WeChat's API: tokens, the customer service send, temporary media.
fn wechat_api() -> Fake {
    Fake::start(|c: &Call| match (c.method.as_str(), c.path()) {
        ("POST", "/cgi-bin/stable_token") => {
            Reply::json(200, json!({"access_token": ACCESS, "expires_in": 7200}))
        }
        ("POST", "/cgi-bin/message/custom/send") => {
            Reply::json(200, json!({"errcode": 0, "errmsg": "ok"}))
        }
        ("GET", "/cgi-bin/media/get") if c.url.contains("media_id=MEDIA_1") => {
            Reply::bytes("image/png", crate::channel_line::PNG)
        }
        _ => Reply::json(200, json!({"errcode": 40007, "errmsg": "invalid media_id"})),
    })
}

fn setup() -> (Sb, Fake, Client) {
    let wechat = wechat_api();
    let sb = Sb::start(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let admin = sb.client(sb.t());
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.wechat": {
            "app_id": APP_ID, "app_secret": APP_SECRET, "token": TOKEN,
            "api_base": wechat.base()}})),
    );
    assert_eq!(st, 200, "{v}");
    (sb, wechat, admin)
}

/// The query WeChat adds to our URL for a push: signed with `token`.
fn query(token: &str, nonce: &str) -> String {
    let ts = "1733068800";
    format!(
        "signature={}&timestamp={ts}&nonce={nonce}&openid={OPENID}",
        sign(token, ts, nonce)
    )
}

/// A text message as the docs show it.
fn text_xml(msg_id: &str, content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
         <FromUserName><![CDATA[{OPENID}]]></FromUserName>\
         <CreateTime>1733068800</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
}

fn post(sb: &Sb, query: &str, xml: &str) -> (u16, String) {
    let (st, _, text) = sb.anon().raw(
        "POST",
        &format!("/channels/wechat?{query}"),
        Some(xml.to_string()),
        &[("content-type", "text/xml")],
    );
    (st, text)
}

#[test]
fn wechat_handshake() {
    let (sb, _wechat, _) = setup();
    let ts = "1733068800";
    let good = format!(
        "/channels/wechat?signature={}&timestamp={ts}&nonce=1743502518&echostr=7207372918342906311",
        sign(TOKEN, ts, "1743502518")
    );
    let (st, _, body) = sb.anon().raw("GET", &good, None, &[]);
    assert_eq!((st, body.as_str()), (200, "7207372918342906311"));
    let bad = format!(
        "/channels/wechat?signature={}&timestamp={ts}&nonce=1743502518&echostr=7207372918342906311",
        sign("not-the-token", ts, "1743502518")
    );
    let (st, _, body) = sb.anon().raw("GET", &bad, None, &[]);
    assert_eq!(st, 403, "{body}");
    assert!(!body.contains("7207372918342906311"));
}

#[test]
fn wechat_inbound() {
    let (sb, wechat, admin) = setup();
    let hello = text_xml("24602289572369475", "你好，请问今天营业吗？☕️");

    // A wrong signature: 403, nothing stored.
    assert_eq!(post(&sb, &query("wrong-token", "1"), &hello).0, 403);
    assert!(conversations_of(&admin, "wc").is_empty());

    // Signed: acknowledged with `success`, one conversation, source wc.
    let (st, body) = post(&sb, &query(TOKEN, "2"), &hello);
    assert_eq!((st, body.as_str()), (200, "success"));
    let convs = conversations_of(&admin, "wc");
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["source"], "wc");
    let cid = convs[0]["id"].as_i64().unwrap();

    // WeChat retries the same MsgId (with a new nonce): stored once.
    assert_eq!(post(&sb, &query(TOKEN, "3"), &hello).0, 200);
    // A subscribe event: acknowledged, nothing stored.
    let subscribe = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
         <FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>1733068801</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>"
    );
    assert_eq!(post(&sb, &query(TOKEN, "4"), &subscribe).0, 200);
    let msgs = admin.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0]["body"], "你好，请问今天营业吗？☕️");

    // An image: fetched from the temporary media API with a token.
    let image = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
         <FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>1733068802</CreateTime>\
         <MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://127.0.0.1:9/pic]]></PicUrl>\
         <MediaId><![CDATA[MEDIA_1]]></MediaId><MsgId>24602289572369476</MsgId></xml>"
    );
    assert_eq!(post(&sb, &query(TOKEN, "5"), &image).0, 200);
    let get = wechat.wait_for(30, |c| c.path() == "/cgi-bin/media/get");
    assert_eq!(
        get.url,
        "/cgi-bin/media/get?access_token=84_ACCESS%2FTOKEN%2B1&media_id=MEDIA_1"
    );
    crate::channel_line::wait_for_attachment(&admin, cid);
}

#[test]
fn wechat_reply_as_customer_service_message() {
    let (sb, wechat, admin) = setup();
    let hello = text_xml("24602289572369480", "请问可以预约吗？🙏");
    assert_eq!(post(&sb, &query(TOKEN, "6"), &hello).0, 200);
    let cid = conversations_of(&admin, "wc")[0]["id"].as_i64().unwrap();

    // The agent's reply: a token fetched, then the customer service message.
    let reply = "您好！今天 9 点到 18 点营业 😊";
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": reply}),
    );
    let send = wechat.wait_for(30, |c| c.path() == "/cgi-bin/message/custom/send");
    assert_eq!(send.method, "POST");
    assert_eq!(
        send.url,
        "/cgi-bin/message/custom/send?access_token=84_ACCESS%2FTOKEN%2B1"
    );
    assert_eq!(
        send.json(),
        json!({"touser": OPENID, "msgtype": "text", "text": {"content": reply}})
    );
    let token = wechat.wait_for(5, |c| c.path() == "/cgi-bin/stable_token");
    assert_eq!(
        token.json(),
        json!({"grant_type": "client_credential", "appid": APP_ID,
               "secret": APP_SECRET, "force_refresh": false})
    );
}

#[test]
fn wechat_send_message_function() {
    let (sb, wechat, _) = setup();
    let v = sb.call(&[
        ("function", "wechat-send-message"),
        ("open_id", OPENID),
        ("message", "欢迎光临 ✨"),
    ]);
    let send = wechat.wait_for(30, |c| c.path() == "/cgi-bin/message/custom/send");
    assert_eq!(
        send.json(),
        json!({"touser": OPENID, "msgtype": "text", "text": {"content": "欢迎光临 ✨"}})
    );
    // The seed's answer, ["<WeChat's answer>", "<token>"], the token
    // kept to the server.
    assert_eq!(v, json!([r#"{"errcode":0,"errmsg":"ok"}"#, ""]), "{v}");
}
