//! Where a server may deliver: an `http` or `https` URL whose host is not in a private, loopback,
//! link-local or otherwise internal range — the addresses a webhook could otherwise be aimed at
//! to reach inside the server's network. Names are checked on every address they resolve to, at
//! delivery time, so a name cannot be pointed inward after it was accepted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::Url;

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("not a URL: {0}")]
    NotAUrl(String),
    #[error("only http and https URLs can be delivered to, not {0:?}")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("the URL carries a user name or password")]
    Credentials,
    #[error("{0} is a private, loopback or link-local address; deliveries there are not allowed")]
    Internal(IpAddr),
}

/// Checks a URL given for an endpoint: its form, and its host when it is an address.
pub fn check_url(text: &str, allow_internal: bool) -> Result<Url, TargetError> {
    let url = Url::parse(text.trim()).map_err(|e| TargetError::NotAUrl(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme(url.scheme().to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    match url.host() {
        None => return Err(TargetError::NoHost),
        Some(url::Host::Ipv4(ip)) => check_address(IpAddr::V4(ip), allow_internal)?,
        Some(url::Host::Ipv6(ip)) => check_address(IpAddr::V6(ip), allow_internal)?,
        Some(url::Host::Domain(domain))
            if !allow_internal && (domain == "localhost" || domain.ends_with(".localhost")) =>
        {
            return Err(TargetError::Internal(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        }
        Some(url::Host::Domain(_)) => {}
    }
    Ok(url)
}

/// Checks one address a target resolved to.
pub fn check_address(ip: IpAddr, allow_internal: bool) -> Result<(), TargetError> {
    if allow_internal || is_public(ip) { Ok(()) } else { Err(TargetError::Internal(ip)) }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(ip),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // Carrier-grade NAT, "this network", benchmarking, reserved.
        || (a == 100 && (64..128).contains(&b))
        || a == 0
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, site-local fec0::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let refused = [
            ("ftp://example.com/x", "only http and https"),
            ("http://127.0.0.1:8080/hook", "private, loopback"),
            ("http://localhost/hook", "private, loopback"),
            ("http://10.1.2.3/", "private, loopback"),
            ("http://172.16.0.1/", "private, loopback"),
            ("http://192.168.1.1/", "private, loopback"),
            ("http://169.254.169.254/latest/meta-data", "private, loopback"),
            ("http://100.64.0.1/", "private, loopback"),
            ("http://[::1]/", "private, loopback"),
            ("http://[fe80::1]/", "private, loopback"),
            ("http://[fd00::1]/", "private, loopback"),
            ("http://[::ffff:127.0.0.1]/", "private, loopback"),
            ("http://0.0.0.0/", "private, loopback"),
            ("https://user:pw@example.com/", "user name or password"),
            ("not a url", "not a URL"),
        ];
        for (url, message) in refused {
            let error = check_url(url, false).unwrap_err().to_string();
            assert!(error.contains(message), "{url}: {error}");
        }
        for url in ["https://hooks.slack.com/services/x", "http://93.184.216.34/hook", "https://[2606:4700::1111]/"] {
            assert!(check_url(url, false).is_ok(), "{url}");
        }
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok(), "allowed by configuration");
    }
}
