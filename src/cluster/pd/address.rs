//! Store addresses as PD reports them (`"tikv1:20160"`, `"[::1]:20160"`).

/// The host part of a store address: `tikv1:20160` -> `tikv1`,
/// `[::1]:20160` -> `::1`, `http://tikv1:20160` -> `tikv1`. An address
/// without a port is returned as is.
pub fn address_host(address: &str) -> &str {
    let address = address.trim();
    let address = address
        .split_once("://")
        .map_or(address, |(_scheme, rest)| rest);
    let address = address.split('/').next().unwrap_or(address);
    if let Some(bracketed) = address.strip_prefix('[') {
        return bracketed
            .split_once(']')
            .map_or(bracketed, |(host, _port)| host);
    }
    match address.rsplit_once(':') {
        // A bare IPv6 address without brackets has several colons and no port.
        Some((host, _port)) if !host.contains(':') => host,
        _ => address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_part_of_addresses() {
        assert_eq!(address_host("tikv1:20160"), "tikv1");
        assert_eq!(
            address_host("basic-tikv-5gzwgj.basic-tikv-peer.default:20160"),
            "basic-tikv-5gzwgj.basic-tikv-peer.default"
        );
        assert_eq!(address_host("172.16.6.168:20160"), "172.16.6.168");
        assert_eq!(address_host("[::1]:20160"), "::1");
        assert_eq!(address_host("[fe80::1]"), "fe80::1");
        assert_eq!(address_host("::1"), "::1");
        assert_eq!(address_host("tikv1"), "tikv1");
        assert_eq!(address_host("http://pd0:2379"), "pd0");
        assert_eq!(address_host(""), "");
    }
}
