//! Which addresses a web-server origin may reach, and the DNS resolver that enforces it.
//!
//! Owns: [`AddressPolicy`], [`refusal`], [`CheckedResolver`], [`Refused`]. The check runs
//! inside reqwest's resolver, so the address checked is the address connected to (no
//! DNS-rebinding window). May import `std` and reqwest's DNS types.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which address ranges may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressPolicy {
    /// Loopback, private (RFC 1918), unique-local, CGNAT and unspecified addresses.
    pub allow_private: bool,
    /// Link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254).
    pub allow_link_local: bool,
}

/// Why an address is refused, or `None` when `policy` allows it.
pub fn refusal(ip: IpAddr, policy: AddressPolicy) -> Option<&'static str> {
    // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let (link_local, private) = match ip {
        IpAddr::V4(v4) => (v4_link_local(v4), v4_private(v4)),
        IpAddr::V6(v6) => (v6_link_local(v6), v6_private(v6)),
    };
    if link_local && !policy.allow_link_local {
        return Some("a link-local or cloud-metadata address");
    }
    if private && !policy.allow_private {
        return Some("a loopback or private address");
    }
    None
}

fn v4_link_local(ip: Ipv4Addr) -> bool {
    // 169.254.169.254 (AWS, GCP, Azure metadata) is inside 169.254.0.0/16.
    ip.is_link_local()
}

fn v4_private(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || (o[0] == 100 && (o[1] & 0xC0) == 64) // 100.64.0.0/10, carrier-grade NAT
        || o[0] == 0 // "this network"
        || o[0] >= 240 // reserved
}

fn v6_link_local(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    (s[0] & 0xffc0) == 0xfe80 || ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
}

fn v6_private(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local (fd00::/8 included)
        || (s[0] & 0xffc0) == 0xfec0 // fec0::/10, deprecated site-local
        || (s[0] == 0x64 && s[1] == 0xff9b) // 64:ff9b::/96 NAT64 can reach IPv4 private space
}

/// DNS through the system resolver, with refused addresses removed.
pub(super) struct CheckedResolver {
    pub(super) policy: AddressPolicy,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                addrs.iter().copied().filter(|a| refusal(a.ip(), policy).is_none()).collect();
            if allowed.is_empty() {
                let why = addrs.first().and_then(|a| refusal(a.ip(), policy)).unwrap_or("no address");
                return Err(Box::new(Refused(format!("host '{host}' resolves to {why}"))) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The resolver's refusal, recognised again in reqwest's error chain.
#[derive(Debug)]
pub(super) struct Refused(pub(super) String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}
