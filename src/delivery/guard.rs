//! Refuses outbound URLs that point anywhere but the public internet
//! (loopback, private, link-local, translation and tunnel prefixes...),
//! unless the admin allowed it with FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS=1.
//! Checked when an endpoint is saved and again at connect time, after DNS,
//! so a name cannot be re-pointed later.

use crate::error::{self, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};

/// IPv4 ranges refused: every entry of IANA's IPv4 Special-Purpose Address
/// Registry that is not globally reachable, plus multicast (224.0.0.0/4,
/// its own registry). Whole blocks are refused even where the registry
/// marks a single address inside as global (192.0.0.9/32, 192.0.0.10/32):
/// they are anycast services, never a webhook receiver. Left out, because
/// the registry marks them globally reachable: 192.31.196.0/24 (AS112),
/// 192.52.193.0/24 (AMT), 192.175.48.0/24 (AS112 direct delegation).
const V4: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "this network (RFC 791)"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private use (RFC 1918)"),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        "shared address space, CGNAT (RFC 6598)",
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback (RFC 1122)"),
    (
        Ipv4Addr::new(169, 254, 0, 0),
        16,
        "link local, cloud metadata (RFC 3927)",
    ),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private use (RFC 1918)"),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        24,
        "IETF protocol assignments (RFC 6890)",
    ),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "documentation TEST-NET-1 (RFC 5737)",
    ),
    (
        Ipv4Addr::new(192, 88, 99, 0),
        24,
        "6to4 relay anycast, deprecated (RFC 7526)",
    ),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private use (RFC 1918)"),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking (RFC 2544)"),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "documentation TEST-NET-2 (RFC 5737)",
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "documentation TEST-NET-3 (RFC 5737)",
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast (RFC 5771)"),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "reserved (RFC 1112)"),
    (
        Ipv4Addr::new(255, 255, 255, 255),
        32,
        "limited broadcast (RFC 919)",
    ),
];

/// IPv6 ranges refused: every entry of IANA's IPv6 Special-Purpose Address
/// Registry that is not globally reachable, and the prefixes that carry an
/// IPv4 address inside (mapped, compatible, NAT64, 6to4, Teredo), which
/// could smuggle any IPv4 range above past the check. Whole blocks are
/// refused where the registry lists small global exceptions inside
/// (2001::/23: PCP and TURN anycast, AMT, AS112, ORCHIDv2). Besides these,
/// anything outside 2000::/3, the only block IANA allocates for global
/// unicast, is refused (see `is_private`).
const V6: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0),
        96,
        "IPv4-compatible, :: and ::1 (RFC 4291)",
    ),
    (
        Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0),
        96,
        "IPv4-mapped (RFC 4291)",
    ),
    (
        Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0),
        96,
        "IPv4/IPv6 translation, NAT64 (RFC 6052)",
    ),
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        "local-use IPv4/IPv6 translation (RFC 8215)",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only (RFC 6666)",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 1, 0, 0, 0, 0),
        64,
        "dummy IPv6 prefix (RFC 9780)",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF protocol assignments (RFC 2928)",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        32,
        "Teredo (RFC 4380)",
    ),
    (
        Ipv6Addr::new(0x2001, 0x2, 0, 0, 0, 0, 0, 0),
        48,
        "benchmarking (RFC 5180)",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation (RFC 3849)",
    ),
    (
        Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0),
        16,
        "6to4 (RFC 3056)",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation (RFC 9637)",
    ),
    (
        Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0),
        16,
        "segment routing SIDs (RFC 9602)",
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        "unique local (RFC 4193)",
    ),
    (
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        "link-local unicast (RFC 4291)",
    ),
    (
        Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
        8,
        "multicast (RFC 4291)",
    ),
];

/// Whether the top `len` bits of `a` and `net` agree.
fn in_prefix(a: u128, net: u128, len: u8, width: u8) -> bool {
    let shift = u32::from(width - len);
    len == 0 || (a >> shift) == (net >> shift)
}

/// The table entry that refuses `ip`, if any.
pub fn refused_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => V4
            .iter()
            .find(|(net, len, _)| in_prefix(u32::from(v4).into(), u32::from(*net).into(), *len, 32))
            .map(|e| e.2),
        IpAddr::V6(v6) => {
            let a = u128::from(v6);
            if let Some(e) = V6
                .iter()
                .find(|(net, len, _)| in_prefix(a, u128::from(*net), *len, 128))
            {
                return Some(e.2);
            }
            // Only 2000::/3 is allocated for global unicast.
            (!in_prefix(a, 0x2000 << 112, 3, 128))
                .then_some("not global unicast (outside 2000::/3)")
        }
    }
}

pub fn is_private(ip: IpAddr) -> bool {
    refused_range(ip).is_some()
}

/// Checks an endpoint URL: http(s), a host, and (unless allowed) no address
/// in a private range.
pub fn check_url(url: &str, allow_private: bool) -> Result<()> {
    let bad = |m: &str| error::INVALID_URL.with(m.to_string());
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
    // What a resolver sees: an IPv6 literal without its zone ("fe80::1%25eth0"
    // still reaches fe80::1), a name without its root dot ("localhost.").
    let host = host.split('%').next().unwrap_or(host).trim_end_matches('.');
    let refused = |what: &str| {
        error::PRIVATE_ADDRESS.with(format!("url resolves to {what}, not a public address (set FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS=1 to allow)"))
    };
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return Err(refused("localhost"));
    }
    let check = |ip: IpAddr| match refused_range(ip) {
        Some(range) => Err(refused(&format!("{ip} ({range})"))),
        None => Ok(()),
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        return check(ip);
    }
    // A name that does not resolve now may later: accept it; the connect-time
    // guard still applies.
    if let Ok(addrs) = (host, port).to_socket_addrs() {
        for a in addrs {
            check(a.ip())?;
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

    fn refused(ip: &str) -> bool {
        is_private(ip.parse().unwrap())
    }

    #[test]
    fn every_table_entry_is_refused_from_first_to_last_address() {
        for (net, len, name) in V4 {
            let first = u32::from(*net);
            let last = first | (u32::MAX.checked_shr(u32::from(*len)).unwrap_or(0));
            for a in [first, last] {
                assert!(
                    is_private(Ipv4Addr::from(a).into()),
                    "{name}: {}",
                    Ipv4Addr::from(a)
                );
            }
        }
        for (net, len, name) in V6 {
            let first = u128::from(*net);
            let last = first | (u128::MAX.checked_shr(u32::from(*len)).unwrap_or(0));
            for a in [first, last] {
                assert!(
                    is_private(Ipv6Addr::from(a).into()),
                    "{name}: {}",
                    Ipv6Addr::from(a)
                );
            }
        }
    }

    #[test]
    fn special_purpose_ranges() {
        for ip in [
            // IPv4
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.254",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.251",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            // IPv6
            "::",
            "::1",
            "::127.0.0.1",
            "::169.254.169.254",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "100::1",
            "100:0:0:1::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:2::1",
            "2001:10::1",
            "2001:1ff:ffff::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "4000::1",
            "e000::1",
        ] {
            assert!(refused(ip), "{ip} must be refused");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:200::1",
            "2001:4860:4860::8888",
            "2a00:1450:4001::1",
        ] {
            assert!(!refused(ip), "{ip} is public");
        }
    }

    #[test]
    fn urls() {
        assert!(check_url("http://127.0.0.1:9/x", false).is_err());
        assert!(check_url("http://localhost/x", false).is_err());
        assert!(check_url("http://[::1]:80/", false).is_err());
        assert!(check_url("http://10.0.0.1/", false).is_err());
        assert!(check_url("http://[2002:7f00:1::1]/", false).is_err());
        assert!(check_url("http://[::a9fe:a9fe]/", false).is_err());
        assert!(check_url("http://198.18.0.1/", false).is_err());
        assert!(check_url("http://[fe80::1%25eth0]/", false).is_err());
        assert!(check_url("http://localhost./", false).is_err());
        assert!(check_url("http://127.0.0.1./", false).is_err());
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
        assert!(check_url("ftp://example.com", true).is_err());
        assert!(check_url("http://user@example.com", true).is_err());
        assert!(check_url("http://example.com:99999/", true).is_err());
        assert!(check_url("https://8.8.8.8/hook", false).is_ok());
        let e = check_url("http://198.18.0.1/", false).unwrap_err();
        assert!(e.message.contains("benchmarking"), "{}", e.message);
    }
}
