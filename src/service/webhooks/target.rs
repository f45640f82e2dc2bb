//! Where a webhook may be delivered: the SSRF guard. A subscription's host
//! is resolved when each delivery is sent (so a DNS change cannot slip a
//! private address past a check made at subscription time) and addresses
//! inside the operator's network are refused unless allowed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why an address may not receive webhooks, if it may not.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Some("private")
    } else if ip.is_link_local() {
        // 169.254.0.0/16 holds the cloud metadata services (169.254.169.254).
        Some("link-local or metadata")
    } else if ip.is_multicast() || ip.is_broadcast() {
        Some("multicast or broadcast")
    } else if ip.is_unspecified() || a == 0 || a >= 240 || special_v4(ip) {
        Some("reserved")
    } else {
        None
    }
}

/// IETF protocol assignments (192.0.0.0/24), documentation ranges and
/// benchmarking (198.18.0.0/15): never a real receiver.
fn special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    matches!((a, b, c), (192, 0, 0 | 2) | (198, 51, 100) | (203, 0, 113)) || (a == 198 && (b & 0xfe) == 18)
}

fn v4_at(hi: u16, lo: u16) -> Ipv4Addr {
    Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return forbidden_v4(v4_at(segments[6], segments[7]));
    }
    // 6to4 (2002::/16) reaches the IPv4 address in its second and third groups.
    if segments[0] == 0x2002 {
        return forbidden_v4(v4_at(segments[1], segments[2]));
    }
    // IPv4-compatible (::a.b.c.d, deprecated), Teredo (2001::/32) and
    // local-use NAT64 (64:ff9b:1::/48) tunnel to addresses we cannot judge.
    let compatible = segments[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified();
    let teredo = segments[..2] == [0x2001, 0];
    let local_nat64 = segments[..3] == [0x64, 0xff9b, 1];
    if compatible || teredo || local_nat64 {
        return Some("tunnelled");
    }
    // Site-local (fec0::/10, deprecated) is private addressing.
    if segments[0] & 0xffc0 == 0xfec0 {
        return Some("private");
    }
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("reserved")
    } else if ip.is_multicast() {
        Some("multicast or broadcast")
    } else if segments[0] & 0xfe00 == 0xfc00 {
        // Unique local (fc00::/7), including fd00:ec2::254, a metadata service.
        Some("private")
    } else if segments[0] & 0xffc0 == 0xfe80 {
        Some("link-local or metadata")
    } else {
        None
    }
}

/// A refusal, carried through the HTTP client's error chain so the
/// delivery log can say what happened.
#[derive(Debug, thiserror::Error)]
#[error("refused to deliver to {addr} ({reason} address); set webhook_allow_private_targets to allow it")]
pub struct Refused {
    pub addr: IpAddr,
    pub reason: &'static str,
}

/// Checks every address a name resolved to: one forbidden address refuses
/// the name, so a host cannot mix a public and a private address.
pub fn check(addrs: &[SocketAddr]) -> Result<(), Refused> {
    match addrs.iter().find_map(|a| forbidden(a.ip()).map(|reason| (a.ip(), reason))) {
        Some((addr, reason)) => Err(Refused { addr, reason }),
        None => Ok(()),
    }
}

/// The system resolver, refusing forbidden addresses.
#[derive(Debug)]
pub(super) struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            check(&addrs)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> bool {
        forbidden(ip.parse().unwrap()).is_some()
    }

    #[test]
    fn addresses_inside_the_network_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a9fe:a9fe",
            "::7f00:1",
            "2002:a00:1::1",
            "2001:0:4136:e378::1",
            "64:ff9b:1::1",
            "fec0::1",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(refused(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "172.32.0.1",
            "2002:808:808::1",
        ] {
            assert!(!refused(ip), "{ip} must be allowed");
        }
    }
}
