//! Sysmon for Linux events, which Sysmon writes to syslog as one `<Event>` XML document per
//! message.
//!
//! The XML is read with quick-xml into the JSON shape the `evtx` crate renders (`Event` →
//! `System` / `EventData`, attributes under `#attributes`), so the Windows Sysmon tables in
//! [`super::windows`] map it: Sysmon for Linux keeps the event ids and `EventData` names of
//! Sysmon for Windows.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

use super::windows::map_event;
use crate::store::{EventBuilder, Origin, PendingValue, Platform};

/// The ATT&CK log source of Sysmon for Linux events.
pub(crate) const LOG_SOURCE: &str = "linux:Sysmon";

/// The channel the Windows tables are keyed on. Sysmon for Linux writes
/// `Linux-Sysmon/Operational`, which is kept in `winlog.channel`.
const WINDOWS_SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";

/// Maximum element depth accepted; Sysmon events are three levels deep, so anything far
/// deeper is not a Sysmon event and is rejected before it can cost much.
const MAX_DEPTH: usize = 16;

/// Returns whether a syslog message is a Sysmon `<Event>` document.
pub(crate) fn is_sysmon_xml(message: &str) -> bool {
    message.trim_start().starts_with("<Event>") || message.trim_start().starts_with("<Event ")
}

/// Maps one Sysmon for Linux `<Event>` document to an event with log source `linux:Sysmon`
/// and platform Linux.
///
/// A document cut short, as syslog daemons cut messages longer than their size limit, is
/// loaded with the items before the cut and tagged `truncated`; its last item may be partial.
pub(crate) fn map_sysmon_xml(xml: &str, origin: Origin) -> Result<EventBuilder, String> {
    let (mut record, truncated) = event_xml_to_json(xml)?;
    let channel = record
        .pointer("/Event/System/Channel")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(system_channel) = record.pointer_mut("/Event/System/Channel") {
        *system_channel = Value::from(WINDOWS_SYSMON_CHANNEL);
    }
    let windows = map_event(&record, origin).map_err(|err| err.to_string())?;
    let mut builder = EventBuilder::new(windows.timestamp(), LOG_SOURCE, Platform::Linux, origin);
    for (name, value) in windows.pending_fields() {
        builder.field(name.clone(), value.clone());
    }
    builder.field("winlog.channel", channel);
    // Linux user names have no `DOMAIN\` part, which the Windows tables split on.
    let user = record
        .pointer("/Event/EventData/User")
        .and_then(Value::as_str)
        .filter(|user| !user.contains('\\') && *user != "-");
    if let Some(user) = user {
        builder.field("user.name", user);
    }
    if truncated {
        builder.field("tags", PendingValue::List(vec!["truncated".into()]));
    }
    Ok(builder)
}

/// Converts an `<Event>` document to the `evtx` crate's JSON shape: child elements become
/// keys, attributes go under `#attributes`, text under `#text` when the element also has
/// attributes, and `<Data Name="X">` items of `EventData` become `"X": text`.
///
/// Returns the value and whether the document was cut short: an `<Event>` that ends inside an
/// element is closed where it ends, after dropping a partial tag at its end.
pub(crate) fn event_xml_to_json(xml: &str) -> Result<(Value, bool), String> {
    match convert(xml) {
        Err(err) if !xml.trim_end().ends_with('>') => {
            match xml
                .rfind('<')
                .filter(|&cut| cut > 0)
                .and_then(|cut| xml.get(..cut))
            {
                Some(head) => convert(head).map_err(|_| err),
                None => Err(err),
            }
        }
        other => other,
    }
}

fn convert(xml: &str) -> Result<(Value, bool), String> {
    let mut reader = Reader::from_str(xml);
    // Sysmon for Linux writes `&quot` without its `;` inside command lines; such text is kept
    // as written rather than rejecting the whole event.
    reader.config_mut().allow_dangling_amp = true;
    // Open elements, innermost last: name, attributes, children and text.
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let event = reader.read_event().map_err(|err| {
            format!(
                "invalid Sysmon XML at byte {}: {err}",
                reader.error_position()
            )
        })?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "invalid Sysmon XML: elements nested deeper than {MAX_DEPTH}"
                    ));
                }
                stack.push(Element::open(&start)?);
            }
            Event::Empty(start) => {
                let element = Element::open(&start)?;
                close(element, &mut stack, &mut root);
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or("invalid Sysmon XML: unmatched closing tag")?;
                close(element, &mut stack, &mut root);
            }
            Event::Text(text) => {
                if let Some(element) = stack.last_mut() {
                    let decoded = text.decode().map_err(|err| err.to_string())?;
                    element.text.push_str(&decoded);
                }
            }
            Event::CData(data) => {
                if let Some(element) = stack.last_mut() {
                    let decoded = data.decode().map_err(|err| err.to_string())?;
                    element.text.push_str(&decoded);
                }
            }
            Event::GeneralRef(reference) => {
                let character = reference
                    .resolve_char_ref()
                    .map_err(|err| err.to_string())?;
                let name = reference.decode().map_err(|err| err.to_string())?;
                let resolved = match character {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("invalid Sysmon XML: unknown entity &{name};"))?
                        .to_owned(),
                };
                if let Some(element) = stack.last_mut() {
                    element.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    let truncated = !stack.is_empty();
    if truncated && stack.first().is_some_and(|element| element.name == "Event") {
        while let Some(element) = stack.pop() {
            close(element, &mut stack, &mut root);
        }
    }
    match root {
        Some((name, value)) if name == "Event" => {
            let mut object = Map::new();
            object.insert(name, value);
            Ok((Value::Object(object), truncated))
        }
        Some((name, _)) => Err(format!(
            "not a Sysmon event: the root element is <{name}>, not <Event>"
        )),
        None if truncated => Err("invalid Sysmon XML: document ends inside an element".to_owned()),
        None => Err("not a Sysmon event: no XML element".to_owned()),
    }
}

/// An element being read.
#[derive(Debug)]
struct Element {
    name: String,
    attributes: Map<String, Value>,
    children: Map<String, Value>,
    text: String,
}

impl Element {
    fn open(start: &BytesStart<'_>) -> Result<Element, String> {
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let mut attributes = Map::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|err| format!("invalid Sysmon XML: {err}"))?;
            let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("invalid Sysmon XML: {err}"))?;
            attributes.insert(key, Value::from(value.into_owned()));
        }
        Ok(Element {
            name,
            attributes,
            children: Map::new(),
            text: String::new(),
        })
    }

    /// The element's value in the `evtx` crate's JSON shape.
    fn into_value(self) -> Value {
        if self.children.is_empty() && self.attributes.is_empty() {
            return Value::from(self.text);
        }
        let mut object = self.children;
        if !self.attributes.is_empty() {
            object.insert("#attributes".to_owned(), Value::Object(self.attributes));
        }
        if !self.text.trim().is_empty() {
            object.insert("#text".to_owned(), Value::from(self.text));
        }
        Value::Object(object)
    }
}

/// Attaches a finished element to its parent, or makes it the root.
fn close(element: Element, stack: &mut [Element], root: &mut Option<(String, Value)>) {
    let Some(parent) = stack.last_mut() else {
        if root.is_none() {
            *root = Some((element.name.clone(), element.into_value()));
        }
        return;
    };
    // `<Data Name="X">` items are keyed by their name, as `evtx` renders `EventData`.
    let data_name = (element.name == "Data")
        .then(|| element.attributes.get("Name").and_then(Value::as_str))
        .flatten()
        .map(str::to_owned);
    let (key, value) = match data_name {
        Some(name) => (name, Value::from(element.text)),
        None => (element.name.clone(), element.into_value()),
    };
    match parent.children.get_mut(&key) {
        // A repeated element becomes an array of its values.
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            parent.children.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventStore, SourceFile, ValueRef};

    const PROCESS_CREATE: &str = concat!(
        r#"<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/>"#,
        r#"<EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task>"#,
        r#"<TimeCreated SystemTime="2022-05-11T18:12:09.537457000Z"/>"#,
        r#"<EventRecordID>245800</EventRecordID><Correlation/>"#,
        r#"<Execution ProcessID="1590" ThreadID="1590"/><Channel>Linux-Sysmon/Operational</Channel>"#,
        r#"<Computer>UBUNTU5</Computer><Security UserId="0"/></System><EventData>"#,
        r#"<Data Name="RuleName">-</Data><Data Name="ProcessId">4242</Data>"#,
        r#"<Data Name="Image">/usr/bin/bash</Data>"#,
        r#"<Data Name="CommandLine">bash -c "echo a &amp;&amp; id &gt; /tmp/x"</Data>"#,
        r#"<Data Name="User">root</Data><Data Name="ParentImage">/usr/bin/java</Data>"#,
        r#"<Data Name="ParentProcessId">4000</Data></EventData></Event>"#
    );

    fn origin() -> Origin {
        Origin {
            file: 0,
            record: 1,
            offset: Some(0),
        }
    }

    fn store_of(builder: EventBuilder) -> EventStore {
        let mut store = EventStore::new();
        store.add_file(SourceFile {
            path: "sysmon.json".into(),
            format: "sentinel-syslog",
        });
        store.push(builder);
        store
    }

    fn str_field<'a>(store: &'a EventStore, name: &str) -> Option<&'a str> {
        match store.field(0, name) {
            Some(ValueRef::Str(s)) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn xml_converts_to_evtx_shape() {
        let (value, truncated) = event_xml_to_json(PROCESS_CREATE).unwrap();

        assert!(!truncated);
        assert_eq!(value["Event"]["System"]["EventID"], "1");
        assert_eq!(
            value["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"],
            "2022-05-11T18:12:09.537457000Z"
        );
        assert_eq!(
            value["Event"]["EventData"]["CommandLine"],
            "bash -c \"echo a && id > /tmp/x\""
        );
        assert_eq!(value["Event"]["System"]["Correlation"], "");
    }

    #[test]
    fn process_create_uses_sysmon_tables() {
        let store = store_of(map_sysmon_xml(PROCESS_CREATE, origin()).unwrap());

        assert_eq!(store.log_source(0), "linux:Sysmon");
        assert_eq!(store.events()[0].platform, Platform::Linux);
        assert_eq!(str_field(&store, "process.name"), Some("bash"));
        assert_eq!(str_field(&store, "process.parent.name"), Some("java"));
        assert_eq!(store.field(0, "process.pid"), Some(ValueRef::Int(4242)));
        assert_eq!(str_field(&store, "user.name"), Some("root"));
        assert_eq!(str_field(&store, "event.code"), Some("1"));
        assert_eq!(
            str_field(&store, "winlog.channel"),
            Some("Linux-Sysmon/Operational")
        );
        assert_eq!(str_field(&store, "host.name"), Some("UBUNTU5"));
    }

    #[test]
    fn invalid_xml_is_an_error() {
        for xml in [
            "",
            "<Event>",
            "<Event><System></Event>",
            "<Event><System><TimeCreated SystemTime='2022-05-11T18:10:20Z'",
            "<Other><Event>",
            "<Other/>",
            "<Event><System><EventID>1</EventID></System></Event>",
            "<Event>&bogus;</Event>",
            "<Event><System><TimeCreated SystemTime='x'/></System></Event>",
            "</Event>",
            "<Event a='1' a='2'/>",
        ] {
            assert!(map_sysmon_xml(xml, origin()).is_err(), "accepted {xml:?}");
        }
    }

    #[test]
    fn dangling_ampersand_is_kept() {
        let xml = "<Event><EventData><Data Name='C'>a &quot b</Data></EventData></Event>";
        let (value, _) = event_xml_to_json(xml).unwrap();

        assert_eq!(value["Event"]["EventData"]["C"], "a &quot b");
    }

    #[test]
    fn truncated_event_keeps_items_before_cut() {
        for cut in [PROCESS_CREATE.len() - 40, PROCESS_CREATE.len() - 60] {
            let xml = &PROCESS_CREATE[..cut];

            let store = store_of(map_sysmon_xml(xml, origin()).unwrap());

            assert_eq!(str_field(&store, "process.name"), Some("bash"), "{xml}");
            assert!(store.field(0, "tags").is_some(), "{xml}");
        }
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let xml = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));

        assert!(event_xml_to_json(&xml).is_err());
    }
}
