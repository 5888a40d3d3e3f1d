//! Network endpoints in the messages of VMware's vmacore library, which hostd, vpxa, vpxd and
//! fdm share. Three notations name them:
//! - `<io_obj p:0x…, h:8, <TCP '10.0.0.5 : 60738'>, <TCP '10.0.0.9 : 443'>>`: a socket, with
//!   its local address first and its peer second;
//! - `<SSL(<io_obj …>)>`: the same socket carrying TLS;
//! - `<cs p:…, TCP:vc01.corp.example:443>`: the server that a client connection pool connects to.
//!
//! A socket's direction comes from the text before it: `(client)` or a form of the word
//! `connect` means this host opened it, `(server)` that the peer did. A socket whose direction
//! the text does not give only adds its addresses to `related.ip`.

use std::net::IpAddr;

use crate::ingest::syslog::string_list;
use crate::store::EventBuilder;

/// The side that opened a socket, seen from the ESXi host or vCenter that logged it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Egress,
    Ingress,
    Unknown,
}

/// One `address : port` endpoint.
#[derive(Debug, PartialEq, Eq)]
struct Endpoint<'a> {
    address: &'a str,
    port: Option<i64>,
}

/// Adds the endpoints of the first socket or connection spec in `message`, if it names one.
pub(super) fn map_connection(builder: &mut EventBuilder, message: &str) {
    let split_before = |marker: &str| {
        message
            .find(marker)
            .and_then(|i| message.split_at_checked(i))
    };
    if let Some((before, block)) = split_before("<io_obj") {
        let Some((local, peer)) = socket_endpoints(block) else {
            return;
        };
        let before = before.trim_end_matches("<SSL(");
        let related: Vec<&str> = [local.address, peer.address]
            .into_iter()
            .filter(|a| a.parse::<IpAddr>().is_ok())
            .collect();
        if !related.is_empty() {
            builder.field("related.ip", string_list(&related));
        }
        match direction(before) {
            Direction::Egress => add_flow(builder, &local, &peer, "egress", before),
            Direction::Ingress => add_flow(builder, &peer, &local, "ingress", before),
            Direction::Unknown => {}
        }
    } else if let Some((before, block)) = split_before("<cs p:") {
        let Some(peer) = connection_spec(block) else {
            return;
        };
        add_endpoint(builder, "destination", &peer);
        if peer.address.parse::<IpAddr>().is_ok() {
            builder.field("related.ip", string_list(&[peer.address]));
        }
        add_connection_fields(builder, "egress", before);
    }
}

/// Reads the first two `<TCP 'address : port'>` endpoints of an `<io_obj …>` block.
fn socket_endpoints(block: &str) -> Option<(Endpoint<'_>, Endpoint<'_>)> {
    let end = block.find(">>").map_or(block.len(), |i| i + 2);
    let block = block.get(..end).unwrap_or(block);
    let mut endpoints = block.match_indices("<TCP '").filter_map(|(i, marker)| {
        let rest = block.get(i + marker.len()..)?;
        let (text, _) = rest.split_once("'>")?;
        let (address, port) = text.rsplit_once(" : ")?;
        Some(Endpoint {
            address: address.trim(),
            port: port.trim().parse().ok(),
        })
    });
    let local = endpoints.next()?;
    let peer = endpoints.next()?;
    Some((local, peer))
}

/// Reads the server of a `<cs p:…, TCP:host:port>` connection spec.
fn connection_spec(block: &str) -> Option<Endpoint<'_>> {
    let (block, _) = block.split_once('>')?;
    let (_, target) = block.split_once("TCP:")?;
    let (address, port) = target.rsplit_once(':')?;
    let address = address.trim_start_matches('[').trim_end_matches(']');
    if address.is_empty() {
        return None;
    }
    Some(Endpoint {
        address,
        port: port.trim().parse().ok(),
    })
}

fn direction(before: &str) -> Direction {
    let lower = before.to_ascii_lowercase();
    if lower.contains("(server)") {
        return Direction::Ingress;
    }
    let connects = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| matches!(word, "connect" | "connecting" | "connected"));
    if lower.contains("(client)") || connects {
        Direction::Egress
    } else {
        Direction::Unknown
    }
}

fn add_flow(
    builder: &mut EventBuilder,
    source: &Endpoint<'_>,
    destination: &Endpoint<'_>,
    direction: &str,
    before: &str,
) {
    add_endpoint(builder, "source", source);
    add_endpoint(builder, "destination", destination);
    add_connection_fields(builder, direction, before);
}

fn add_connection_fields(builder: &mut EventBuilder, direction: &str, before: &str) {
    builder.field("network.direction", direction);
    builder.field("network.transport", "tcp");
    builder.field("event.category", string_list(&["network"]));
    builder.field("event.type", string_list(&["connection"]));
    if before.to_ascii_lowercase().contains("fail") {
        builder.field("event.outcome", "failure");
    }
}

/// Sets `<side>.address` and `<side>.port`, and `<side>.ip` or `<side>.domain` by the kind of
/// address.
fn add_endpoint(builder: &mut EventBuilder, side: &str, endpoint: &Endpoint<'_>) {
    builder.field(format!("{side}.address"), endpoint.address);
    if endpoint.address.parse::<IpAddr>().is_ok() {
        builder.field(format!("{side}.ip"), endpoint.address);
    } else {
        builder.field(format!("{side}.domain"), endpoint.address);
    }
    if let Some(port) = endpoint.port {
        builder.field(format!("{side}.port"), port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FieldName, Origin, PendingValue, Platform};

    fn fields(message: &str) -> Vec<(FieldName, PendingValue)> {
        let origin = Origin {
            file: 0,
            record: 1,
            offset: None,
        };
        let mut builder = EventBuilder::new(0, "esxi:vpxa", Platform::Esxi, origin);
        map_connection(&mut builder, message);
        builder.pending_fields().to_vec()
    }

    fn value(fields: &[(FieldName, PendingValue)], name: &str) -> Option<PendingValue> {
        fields
            .iter()
            .rev()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.clone())
    }

    #[test]
    fn failed_connect_is_egress() {
        let fields = fields(
            "Failed to connect; <io_obj p:0x00007f5288001d18, h:8, <TCP '10.10.2.21 : 60738'>, <TCP '203.0.113.77 : 443'>>, e: 110(Connection timed out), duration: 21004msec",
        );
        assert_eq!(value(&fields, "source.ip"), Some("10.10.2.21".into()));
        assert_eq!(value(&fields, "source.port"), Some(60738.into()));
        assert_eq!(
            value(&fields, "destination.ip"),
            Some("203.0.113.77".into())
        );
        assert_eq!(value(&fields, "destination.port"), Some(443.into()));
        assert_eq!(value(&fields, "network.direction"), Some("egress".into()));
        assert_eq!(value(&fields, "event.outcome"), Some("failure".into()));
    }

    #[test]
    fn server_session_is_ingress() {
        let fields = fields(
            "Starting Http2Session (server): <io_obj t:N7Vmacore6System19TCPSocketObjectAsioE, h:25, <TCP '127.0.0.1 : 8089'>, <TCP '127.0.0.1 : 49584'>>",
        );
        assert_eq!(value(&fields, "source.port"), Some(49584.into()));
        assert_eq!(value(&fields, "destination.port"), Some(8089.into()));
        assert_eq!(value(&fields, "network.direction"), Some("ingress".into()));
        assert_eq!(value(&fields, "event.outcome"), None);
    }

    #[test]
    fn connection_spec_names_server() {
        let fields = fields(
            "Failed to get pooled connection; <cs p:0000000001a26220, TCP:vcenter01.corp.example:443>, (null), duration: 3005msec",
        );
        assert_eq!(
            value(&fields, "destination.domain"),
            Some("vcenter01.corp.example".into())
        );
        assert_eq!(value(&fields, "destination.port"), Some(443.into()));
        assert_eq!(value(&fields, "destination.ip"), None);
        assert_eq!(value(&fields, "network.direction"), Some("egress".into()));
    }

    #[test]
    fn undirected_socket_adds_related_only() {
        let fields = fields(
            "SSL Async Handshake Timeout : Read timeout after approximately 25000ms. Closing stream <SSL(<io_obj p:0x1f33f794, h:31, <TCP '10.10.2.21 : 443'>, <TCP '192.0.2.200 : 47416'>>)>",
        );
        assert_eq!(
            value(&fields, "related.ip"),
            Some(PendingValue::List(vec![
                "10.10.2.21".into(),
                "192.0.2.200".into()
            ]))
        );
        assert_eq!(value(&fields, "source.ip"), None);
        assert_eq!(value(&fields, "network.direction"), None);
    }

    #[test]
    fn connection_word_is_not_connect() {
        // "Connection" describes a server's HTTP connection here, not an outbound connect.
        let fields = fields(
            "HTTP Connection has timed out while waiting for further requests; <io_obj p:0x1, h:-1, <TCP '10.10.2.21 : 443'>, <TCP '192.0.2.200 : 47416'>>",
        );
        assert_eq!(value(&fields, "network.direction"), None);
    }

    #[test]
    fn unix_sockets_and_odd_text_add_nothing() {
        for message in [
            "HTTP Connection has timed out; <io_obj t:N7Vmacore6System21LocalSocketObjectAsioE, h:-1, <UNIX 'hostd.sock'>, <UNIX 'hostd.sock'>>",
            "Failed to connect; <io_obj p:0x1, h:8, <TCP '10.0.0.1",
            "Failed to get pooled connection; <cs p:0001, TCP:>",
            "<cs p:",
        ] {
            let fields = fields(message);
            assert_eq!(value(&fields, "network.direction"), None, "{message}");
            assert_eq!(value(&fields, "related.ip"), None, "{message}");
        }
    }
}
