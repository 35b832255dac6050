//! The embedded assets: gzip when asked (identity otherwise), ETags and
//! `If-None-Match` → 304, `Vary: Accept-Encoding`, long caching only under
//! content-hashed URLs, and whether the widget config says there are articles.

use crate::harness::*;
use serde_json::json;
use std::io::Read;

/// GET `path` with `headers`: status, headers (lower-case), raw body.
fn get(s: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    s.anon().raw_bytes("GET", path, None, headers)
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn assets_are_gzipped_when_asked_etagged_and_revalidated() {
    let s = Server::start();
    for path in [
        "/assets/widget/frame.js",
        "/widget.js",
        "/widget/frame",
        "/admin",
    ] {
        let (st, plain_h, plain) = get(&s, path, &[]);
        assert_eq!(st, 200, "{path}");
        assert_eq!(header(&plain_h, "content-encoding"), None, "{path}");
        assert_eq!(header(&plain_h, "vary"), Some("Accept-Encoding"), "{path}");
        let etag = header(&plain_h, "etag").expect("etag").to_string();

        let (st, gz_h, gz) = get(&s, path, &[("accept-encoding", "br, gzip;q=0.8")]);
        assert_eq!(st, 200);
        assert_eq!(header(&gz_h, "content-encoding"), Some("gzip"), "{path}");
        assert_eq!(header(&gz_h, "vary"), Some("Accept-Encoding"));
        assert!(
            gz.len() < plain.len(),
            "{path}: {} vs {}",
            gz.len(),
            plain.len()
        );
        assert_eq!(gunzip(&gz), plain, "{path}");
        let gz_etag = header(&gz_h, "etag").unwrap().to_string();
        assert_ne!(gz_etag, etag, "each encoding its own ETag");

        // gzip refused (q=0), or an unknown coding only: identity.
        for ae in ["gzip;q=0", "br", "identity"] {
            let (_, h, b) = get(&s, path, &[("accept-encoding", ae)]);
            assert_eq!(header(&h, "content-encoding"), None, "{path} {ae}");
            assert_eq!(b, plain);
        }

        // A matching ETag (either encoding's, weak or strong) → 304, no body.
        for tag in [etag.clone(), gz_etag.clone(), format!("W/{gz_etag}")] {
            let (st, h, b) = get(
                &s,
                path,
                &[("if-none-match", &tag), ("accept-encoding", "gzip")],
            );
            assert_eq!(st, 304, "{path} {tag}");
            assert!(b.is_empty());
            assert_eq!(header(&h, "etag"), Some(gz_etag.as_str()));
        }
        let (st, _, _) = get(&s, path, &[("if-none-match", "\"0000\"")]);
        assert_eq!(st, 200, "{path}: another version");
    }
    // Pictures are not compressed again... and unknown files are 404.
    let (st, _, _) = get(&s, "/assets/nope.js", &[("accept-encoding", "gzip")]);
    assert_eq!(st, 404);
}

#[test]
fn only_content_hashed_urls_are_cached_for_good() {
    let s = Server::start();
    let (_, h, _) = get(&s, "/widget.js", &[]);
    assert_eq!(header(&h, "cache-control"), Some("public, max-age=300"));
    let (_, h, page) = get(&s, "/widget/frame", &[]);
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    assert!(header(&h, "content-security-policy")
        .unwrap()
        .contains("frame-ancestors"));
    // The frame names its script by content hash.
    let page = String::from_utf8(page).unwrap();
    let at = page.find("/assets/widget/frame.js?v=").expect(&page);
    let url: String = page[at..].chars().take_while(|c| *c != '"').collect();
    let (st, h, _) = get(&s, &url, &[]);
    assert_eq!(st, 200);
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    // The same file without, or under another version: revalidated.
    for path in [
        "/assets/widget/frame.js",
        "/assets/widget/frame.js?v=0123456789abcdef",
    ] {
        let (st, h, _) = get(&s, path, &[]);
        assert_eq!(st, 200);
        assert_eq!(header(&h, "cache-control"), Some("no-cache"), "{path}");
    }
    // The ETag is the hash in the URL.
    let v = url.rsplit("?v=").next().unwrap();
    assert_eq!(header(&h, "etag"), Some(format!("\"{v}\"").as_str()));
    // The modules it imports are named by content hash too, and the script's
    // version covers theirs.
    let (_, _, js) = get(&s, &url, &[]);
    let js = String::from_utf8(js).unwrap();
    let at = js.find("from \"./i18n.js?v=").expect("versioned import");
    let dep: String = js[at + 6..].chars().take_while(|c| *c != '"').collect();
    let (st, h, _) = get(&s, &format!("/assets/widget/{}", &dep[2..]), &[]);
    assert_eq!(st, 200);
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    // The inbox page too.
    let (_, _, admin) = get(&s, "/admin", &[]);
    assert!(String::from_utf8(admin)
        .unwrap()
        .contains("/assets/admin/app.js?v="));
}

#[test]
fn widget_config_says_whether_there_are_articles() {
    let s = Server::start();
    let anon = s.anon();
    assert_eq!(anon.get("/api/v1/widget/config")["articles"], false);
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/articles",
        Some(json!({"articles": [{"id": "a1", "title": "Hello", "content": "World"}]})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(anon.get("/api/v1/widget/config?lang=fr")["articles"], true);
}
