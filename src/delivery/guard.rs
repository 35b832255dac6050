//! Refuses outbound URLs that point into the server's own network
//! (loopback, private, link-local...), unless the admin allowed it with
//! FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS=1. Checked when an endpoint is saved and
//! again at connect time, after DNS, so a name cannot be re-pointed later.

use crate::error::{Error, Result};
use std::net::{IpAddr, ToSocketAddrs};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};

pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])) // carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 to anywhere
        }
    }
}

/// Checks an endpoint URL: http(s), a host, and (unless allowed) no address
/// in a private range.
pub fn check_url(url: &str, allow_private: bool) -> Result<()> {
    let bad = |m: &str| Error::bad("invalid_url", m.to_string());
    if url.len() > 2000 {
        return Err(bad("url is longer than 2000 characters"));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("url must start with http:// or https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return Err(bad("url needs a host (and no user info)"));
    }
    let default_port = if url.starts_with("https") { 443 } else { 80 };
    let bad_port = || bad("url has an invalid port");
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("url has an unclosed [ in its host"))?;
            match after.strip_prefix(':') {
                Some(p) => (h, p.parse::<u16>().map_err(|_| bad_port())?),
                None if after.is_empty() => (h, default_port),
                None => return Err(bad_port()),
            }
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad_port())?),
            None => (authority, default_port),
        },
    };
    if allow_private {
        return Ok(());
    }
    let refused = || {
        Error::bad(
            "private_address",
            "url resolves to a loopback, private or link-local address (set FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS=1 to allow)",
        )
    };
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return Err(refused());
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if is_private(ip) {
            Err(refused())
        } else {
            Ok(())
        };
    }
    // A name that does not resolve now may later: accept it; the connect-time
    // guard still applies.
    if let Ok(addrs) = (host, port).to_socket_addrs() {
        if addrs.into_iter().any(|a| is_private(a.ip())) {
            return Err(refused());
        }
    }
    Ok(())
}

/// ureq resolver that drops private addresses after DNS.
#[derive(Debug, Default)]
pub struct GuardedResolver {
    inner: DefaultResolver,
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let all = self.inner.resolve(uri, config, timeout)?;
        let mut out = self.empty();
        for a in all.iter().filter(|a| !is_private(a.ip())) {
            out.push(*a);
        }
        if out.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "refused: the host resolves only to private addresses",
            )));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls() {
        assert!(check_url("http://127.0.0.1:9/x", false).is_err());
        assert!(check_url("http://localhost/x", false).is_err());
        assert!(check_url("http://[::1]:80/", false).is_err());
        assert!(check_url("http://10.0.0.1/", false).is_err());
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
        assert!(check_url("ftp://example.com", true).is_err());
        assert!(check_url("http://user@example.com", true).is_err());
        assert!(check_url("http://example.com:99999/", true).is_err());
        assert!(check_url("https://8.8.8.8/hook", false).is_ok());
    }
}
