//! Listening sockets as the kernel lists them in `/proc/net/{tcp,tcp6,udp,udp6}`: what a host
//! exposes now, for `harden analyze`. Pure parsing; the caller reads the files.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::roles::{Port, Protocol};

/// A socket bound for incoming traffic: TCP in the LISTEN state, or an unconnected UDP socket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Listener {
    pub port: Port,
    pub address: IpAddr,
    pub uid: u32,
    /// The socket's inode, which `/proc/PID/fd` links name (`socket:[INODE]`).
    pub inode: u64,
}

impl Listener {
    /// Bound to a loopback address only: not reachable from the network.
    pub fn is_loopback(&self) -> bool {
        self.address.is_loopback()
    }
}

/// TCP's LISTEN and UDP's unconnected state, as the kernel numbers them.
const TCP_LISTEN: &str = "0A";
const UDP_UNCONNECTED: &str = "07";

/// The listeners of one table; `v6` for the `tcp6`/`udp6` tables. Lines that cannot be read
/// are skipped with their number in the returned problems.
pub fn parse(text: &str, protocol: Protocol, v6: bool) -> (Vec<Listener>, Vec<String>) {
    let mut listeners = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let parsed = (|| {
            let (local, state, uid, inode) = (fields.get(1)?, fields.get(3)?, fields.get(7)?, fields.get(9)?);
            let listening = match protocol {
                Protocol::Tcp => *state == TCP_LISTEN,
                Protocol::Udp => *state == UDP_UNCONNECTED,
            };
            let (address, port) = local.split_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            let address = if v6 { IpAddr::V6(ipv6(address)?) } else { IpAddr::V4(ipv4(address)?) };
            Some(listening.then(|| Listener {
                port: Port { port, protocol },
                address,
                uid: uid.parse().unwrap_or(u32::MAX),
                inode: inode.parse().unwrap_or(0),
            }))
        })();
        match parsed {
            Some(Some(listener)) => listeners.push(listener),
            Some(None) => {}
            None => problems.push(format!("line {}: not a socket entry: {line:?}", index + 1)),
        }
    }
    listeners.sort();
    (listeners, problems)
}

/// The kernel prints an IPv4 address as one 32-bit word in the host's byte order.
fn ipv4(hex: &str) -> Option<Ipv4Addr> {
    if hex.len() != 8 {
        return None;
    }
    let word = u32::from_str_radix(hex, 16).ok()?;
    Some(Ipv4Addr::from(u32::from_be_bytes(word.to_ne_bytes())))
}

/// And an IPv6 address as four such words.
fn ipv6(hex: &str) -> Option<Ipv6Addr> {
    if hex.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(4).enumerate() {
        let word = u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok()?;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    Some(Ipv6Addr::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_are_read_from_the_kernel_tables() {
        // As a little-endian kernel prints them.
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1277 1 0 100 0 0 10 0\n\
   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 2345 1 0 100 0 0 10 0\n\
   2: 0201A8C0:0016 0501A8C0:D431 01 00000000:00000000 02:0000A2B4 00000000     0        0 3456 4 0 20 4 30 10 -1\n\
   3: garbage\n";
        let (listeners, problems) = parse(tcp, Protocol::Tcp, false);
        let seen: Vec<String> = listeners.iter().map(|l| format!("{} {} {}", l.address, l.port, l.inode)).collect();
        assert_eq!(seen, ["0.0.0.0 22/tcp 1277", "127.0.0.1 5432/tcp 2345"]);
        assert!(listeners[1].is_loopback() && !listeners[0].is_loopback());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("line 5:"));

        let tcp6 = "  sl  local_address                         remote_address                        st\n\
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1\n\
   1: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 998 1\n";
        let (listeners, _) = parse(tcp6, Protocol::Tcp, true);
        let seen: Vec<String> = listeners.iter().map(|l| format!("{} {}", l.address, l.port)).collect();
        assert_eq!(
            seen,
            ["::", "::1"].iter().zip(["80/tcp", "443/tcp"]).map(|(a, p)| format!("{a} {p}")).collect::<Vec<_>>()
        );

        let udp = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
  1: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 4321 2 0 0\n\
  2: 0100007F:A1B2 0100007F:0035 01 00000000:00000000 00:00000000 00000000  1000        0 4322 2 0 0\n";
        let (listeners, _) = parse(udp, Protocol::Udp, false);
        assert_eq!(listeners.len(), 1);
        assert_eq!((listeners[0].port.to_string(), listeners[0].uid), ("53/udp".to_owned(), 101));
    }

    #[test]
    fn this_hosts_tables_parse_without_problems() {
        for (file, protocol, v6) in [
            ("/proc/net/tcp", Protocol::Tcp, false),
            ("/proc/net/tcp6", Protocol::Tcp, true),
            ("/proc/net/udp", Protocol::Udp, false),
            ("/proc/net/udp6", Protocol::Udp, true),
        ] {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
            let (_, problems) = parse(&text, protocol, v6);
            assert!(problems.is_empty(), "{file}: {problems:?}");
        }
    }
}
