//! The web UI surface: the widget loader, the widget frame and the agent
//! inbox, served from `assets/` (embedded in release builds, read from disk
//! in debug builds), each with the Content-Security-Policy it needs.

use super::auth::Caller;
use crate::app::App;
use crate::error;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// The pages' policy: our own scripts and styles only, nothing inline.
fn csp(frame_ancestors: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data: blob:; \
         media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An embedded file's version, the `?v=` of content-hashed URLs and the
/// ETag: the start of its SHA-256, and for a script with relative imports a
/// hash of that and of its imports' versions (which its body names).
fn version(path: &str) -> Option<String> {
    Some(served(path)?.1)
}

/// A script's relative module imports (`import ... from "./x.js";` lines):
/// the byte range of each specifier and the asset it names.
fn imports(path: &str, js: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let dir: Vec<&str> = path.split('/').collect();
    let dir = &dir[..dir.len() - 1];
    let mut out = Vec::new();
    let mut at = 0;
    for line in js.split_inclusive('\n') {
        let start = at;
        at += line.len();
        if !line.starts_with("import ") {
            continue;
        }
        let t = line.trim_end();
        let Some(close) = t.rfind('"') else { continue };
        let Some(open) = t[..close].rfind('"') else {
            continue;
        };
        let spec = &t[open + 1..close];
        if !(spec.starts_with("./") || spec.starts_with("../"))
            || !spec.ends_with(".js")
            || spec.contains(['?', '#', '\\'])
        {
            continue;
        }
        let mut segs: Vec<&str> = dir.to_vec();
        let mut ok = true;
        for seg in spec.split('/') {
            match seg {
                "." => {}
                ".." => ok &= segs.pop().is_some(),
                _ => segs.push(seg),
            }
        }
        let target = segs.join("/");
        if ok && Assets::get(&target).is_some() {
            out.push((start + open + 1..start + close, target));
        }
    }
    out
}

/// Whether scripts' imports may be versioned: only when no module imports
/// itself through others (a cycle has no content hash), checked once.
fn versioned_imports() -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(|| {
        use std::collections::HashMap;
        let mut graph: HashMap<String, Vec<String>> = HashMap::new();
        for path in Assets::iter().filter(|p| p.ends_with(".js")) {
            let f = Assets::get(&path);
            let js = f.as_ref().and_then(|f| std::str::from_utf8(&f.data).ok());
            let deps = js.map(|js| imports(&path, js)).unwrap_or_default();
            graph.insert(path.to_string(), deps.into_iter().map(|d| d.1).collect());
        }
        // Depth-first, 1 = on the path, 2 = done.
        fn cyclic(n: &str, g: &HashMap<String, Vec<String>>, st: &mut HashMap<String, u8>) -> bool {
            match st.get(n) {
                Some(1) => return true,
                Some(_) => return false,
                None => {}
            }
            st.insert(n.to_string(), 1);
            let found = g.get(n).into_iter().flatten().any(|d| cyclic(d, g, st));
            st.insert(n.to_string(), 2);
            found
        }
        let mut st = HashMap::new();
        !graph.keys().any(|n| cyclic(n, &graph, &mut st))
    })
}

/// An embedded file as served, and its version: a script's relative imports
/// get their own `?v=`, so the whole module graph is content-hashed.
fn served(path: &str) -> Option<(Vec<u8>, String)> {
    use std::hash::{Hash, Hasher};
    let f = Assets::get(path)?;
    let own = hex(&f.metadata.sha256_hash()[..8]);
    if !path.ends_with(".js") || !versioned_imports() {
        return Some((f.data.into_owned(), own));
    }
    let Ok(js) = std::str::from_utf8(&f.data) else {
        return Some((f.data.to_vec(), own));
    };
    let found = imports(path, js);
    if found.is_empty() {
        return Some((f.data.to_vec(), own));
    }
    let mut h = std::hash::DefaultHasher::new();
    own.hash(&mut h);
    let mut out = String::with_capacity(js.len() + 32 * found.len());
    let mut last = 0;
    for (range, dep) in found {
        let v = version(&dep)?;
        out.push_str(&js[last..range.end]);
        out.push_str("?v=");
        out.push_str(&v);
        last = range.end;
        v.hash(&mut h);
    }
    out.push_str(&js[last..]);
    Some((out.into_bytes(), format!("{:016x}", h.finish())))
}

/// A page with `/assets/...` references made content-hashed
/// (`/assets/widget/frame.js?v=<hash>`), so they may be cached for good.
fn page(path: &str) -> Option<(Vec<u8>, String)> {
    let f = Assets::get(path)?;
    let html = String::from_utf8_lossy(&f.data);
    let mut out = String::with_capacity(html.len() + 128);
    let mut tag = version(path)?;
    let mut rest: &str = &html;
    while let Some(i) = rest.find("=\"/assets/") {
        let start = i + 2;
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(rest.len());
        let url = &rest[..end];
        out.push_str(url);
        if let Some(v) = url.strip_prefix("/assets/").and_then(version) {
            out.push_str("?v=");
            out.push_str(&v);
            tag.push_str(&v[..4]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some((out.into_bytes(), tag))
}

/// Types worth compressing.
fn compressible(path: &str) -> bool {
    matches!(
        path.rsplit('.').next().unwrap_or(""),
        "html" | "js" | "mjs" | "css" | "svg" | "json" | "ico"
    )
}

/// Whether `Accept-Encoding` takes gzip (`gzip`, `x-gzip` or `*`, not at q=0).
fn accepts_gzip(ctx: &Ctx) -> bool {
    let Some(list) = ctx.header("accept-encoding") else {
        return false;
    };
    let mut gzip = None;
    let mut any = None;
    for item in list.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        match name.as_str() {
            "gzip" | "x-gzip" => gzip = Some(q > 0.0),
            "*" => any = Some(q > 0.0),
            _ => {}
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// Gzipped bodies, made once per path and version and kept in memory.
fn gzipped(key: &str, tag: &str, body: &[u8]) -> Option<std::sync::Arc<Vec<u8>>> {
    use std::collections::HashMap;
    use std::io::Write;
    use std::sync::{Arc, Mutex, OnceLock};
    type Cache = Mutex<HashMap<String, (String, Option<Arc<Vec<u8>>>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some((t, gz)) = cache.lock().ok()?.get(key) {
        if t == tag {
            return gz.clone();
        }
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(body).ok()?;
    let gz = enc.finish().ok()?;
    // Tiny files may grow: those are sent as they are.
    let gz = (gz.len() < body.len()).then(|| Arc::new(gz));
    cache
        .lock()
        .ok()?
        .insert(key.to_string(), (tag.to_string(), gz.clone()));
    gz
}

/// An asset's response: `304` when `If-None-Match` names its version, else
/// the body, gzipped when the client takes it, with its ETag and
/// `Vary: Accept-Encoding`.
fn asset(ctx: &Ctx, key: &str, ctype: &str, body: Vec<u8>, tag: &str) -> Resp {
    let gzip = compressible(key) && accepts_gzip(ctx);
    let gz = if gzip { gzipped(key, tag, &body) } else { None };
    let etag = if gz.is_some() {
        format!("\"{tag}-gz\"")
    } else {
        format!("\"{tag}\"")
    };
    let matched = ctx.header("if-none-match").is_some_and(|list| {
        list.split(',').any(|t| {
            let t = t.trim();
            let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
            t == "*" || t == tag || t.strip_suffix("-gz") == Some(tag)
        })
    });
    let r = if matched {
        Resp::text(304, ctype, Vec::new())
    } else if let Some(gz) = &gz {
        Resp::text(200, ctype, gz.as_slice()).with_header("Content-Encoding", "gzip")
    } else {
        Resp::text(200, ctype, body)
    };
    r.with_header("ETag", etag)
        .with_header("Vary", "Accept-Encoding")
}

/// An embedded file as an asset (see `asset`).
fn cached(ctx: &Ctx, path: &str) -> Option<Resp> {
    let (body, tag) = served(path)?;
    Some(asset(ctx, path, content_type(path), body, &tag))
}

/// Origins allowed to frame a page, from a settings list; empty means `empty`.
fn ancestors(app: &App, key: &str, empty: &str) -> String {
    let list = app.desk.public_setting(key).ok().flatten();
    let origins: Vec<String> = list
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|o| o.starts_with("https://") || o.starts_with("http://"))
        .filter(|o| !o.contains(|c: char| c.is_whitespace() || c == ';' || c == ','))
        .map(String::from)
        .collect();
    if origins.is_empty() {
        empty.to_string()
    } else {
        origins.join(" ")
    }
}

/// Serves a page or asset for GET requests outside the JSON APIs.
pub fn serve(app: &App, ctx: &Ctx) -> Option<Resp> {
    if ctx.method != "GET" && ctx.method != "HEAD" {
        return None;
    }
    let path = ctx.path.as_str();
    match path {
        "/widget.js" => cached(ctx, "widget/loader.js").map(|r| {
            r.with_header("Cache-Control", "public, max-age=300")
                .with_header("Cross-Origin-Resource-Policy", "cross-origin")
                .with_header("Content-Security-Policy", "default-src 'none'")
        }),
        "/widget/frame" => page("widget/frame.html").map(|(body, tag)| {
            // 'self' keeps the live preview in the inbox's settings working.
            let allowed = ancestors(app, "widget.allowed_domains", "*");
            asset(ctx, "widget/frame.html", content_type(".html"), body, &tag)
                .with_header("Cache-Control", "no-cache")
                .with_header("Content-Security-Policy", csp(&format!("'self' {allowed}")))
        }),
        "/" => Some(Resp::text(302, "text/plain", "").with_header("Location", "/admin")),
        "/favicon.ico" => cached(ctx, "favicon.ico")
            .map(|r| r.with_header("Cache-Control", "public, max-age=86400")),
        // `/chat/all` is Chat2Desk's embed URL (`?dialogID=N&minifiedView=1|2|3`).
        "/admin" | "/admin/" | "/admin/chat" | "/chat/all" => {
            // The Chat2Desk embed modes may be framed by the origins the admin allows.
            let embed = matches!(ctx.q("minifiedView"), Some("1" | "2" | "3"));
            let allowed = if embed {
                ancestors(app, "inbox.embed_origins", "'none'")
            } else {
                "'none'".into()
            };
            page("admin/index.html").map(|(body, tag)| {
                asset(ctx, "admin/index.html", content_type(".html"), body, &tag)
                    .with_header("Cache-Control", "no-cache")
                    .with_header("Content-Security-Policy", csp(&allowed))
            })
        }
        // The inbox's service worker, within the scope it registers (/admin/).
        "/admin/sw.js" => cached(ctx, "admin/sw.js").map(|r| {
            r.with_header("Cache-Control", "no-cache")
                .with_header("Content-Security-Policy", "default-src 'self'")
        }),
        _ if path.starts_with("/uploads/") => upload(app, ctx),
        _ if path.starts_with("/avatars/") => avatar(path),
        _ => {
            let rest = path.strip_prefix("/assets/")?;
            if rest.split('/').any(|seg| seg.is_empty() || seg == "..") {
                return None;
            }
            // Long caching only under the URL that names this very version.
            let immutable = ctx
                .q("v")
                .is_some_and(|v| Some(v) == version(rest).as_deref());
            cached(ctx, rest).map(|r| {
                r.with_header(
                    "Cache-Control",
                    if immutable {
                        "public, max-age=31536000, immutable"
                    } else {
                        "no-cache"
                    },
                )
                .with_header(
                    "Content-Security-Policy",
                    "default-src 'none'; frame-ancestors 'none'",
                )
            })
        }
    }
}

/// Background colours of generated avatars.
use crate::desk::users::AVATAR_COLORS;

/// Where the generated avatar with these initials lives (Support Board's
/// `get-avatar`). The picture is drawn from its path, so it needs no storage
/// and the URL keeps working.
pub fn avatar_path(letters: &str) -> String {
    let letters: String = letters
        .chars()
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect();
    let letters = if letters.is_empty() {
        "U".to_string()
    } else {
        letters
    };
    let encoded: String = letters
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("/avatars/{encoded}.svg")
}

/// A round avatar with one or two initials. The initials are checked to be
/// letters or digits, and the SVG is served sandboxed all the same.
fn avatar(path: &str) -> Option<Resp> {
    let name = path.strip_prefix("/avatars/")?.strip_suffix(".svg")?;
    let letters = crate::http::request::percent_decode(name);
    if letters.is_empty()
        || letters.chars().count() > 2
        || !letters.chars().all(char::is_alphanumeric)
    {
        return None;
    }
    let sum: usize = letters.bytes().map(usize::from).sum();
    let color = AVATAR_COLORS[sum % AVATAR_COLORS.len()];
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128"><circle cx="64" cy="64" r="64" fill="{color}"/><text x="64" y="64" dy=".35em" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="52" fill="#fff">{letters}</text></svg>"##
    );
    Some(
        Resp::text(200, "image/svg+xml", svg)
            .with_header(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            )
            .with_header("Cache-Control", "public, max-age=31536000, immutable")
            .with_header("Cross-Origin-Resource-Policy", "cross-origin"),
    )
}

/// Whether the caller may read upload `token`: a live signed link (see
/// `links`), or their own credentials and the conversation's scope. `Err`
/// is the refusal to send; it is decided before the upload is looked up, so
/// it never tells whether the file exists.
fn upload_allowed(app: &App, ctx: &Ctx, token: &str) -> Result<bool, Resp> {
    if app.desk.links.verify(token, ctx.q("exp"), ctx.q("sig")) {
        return Ok(true);
    }
    match super::auth::caller(app, ctx) {
        Ok(Caller::Staff { actor, .. } | Caller::Visitor { actor, .. }) => {
            Ok(app.desk.may_read_upload(&actor, token).unwrap_or(false))
        }
        _ => Err(Resp::error(&error::UNSIGNED_LINK.err())),
    }
}

/// An uploaded file: images may show inline, everything else downloads; no
/// type sniffing and a sandboxing policy, so nothing uploaded ever runs.
fn upload(app: &App, ctx: &Ctx) -> Option<Resp> {
    let token = crate::links::upload_token(&ctx.path)?;
    match upload_allowed(app, ctx, token) {
        Ok(true) => {}
        Ok(false) => return None,
        Err(refused) => return Some(refused),
    }
    let (u, file) = app.desk.open_upload(token).ok().flatten()?;
    let bytes = std::fs::read(file).ok()?;
    let inline = crate::desk::uploads::inline_ok(&u.content_type);
    Some(
        Resp::text(200, u.content_type.clone(), bytes)
            .with_header(
                "Content-Disposition",
                crate::desk::uploads::content_disposition(inline, &u.name),
            )
            .with_header("Content-Security-Policy", "default-src 'none'; sandbox")
            .with_header("Cache-Control", "private, max-age=86400")
            .with_header("Cross-Origin-Resource-Policy", "same-site"),
    )
}
