//! Parsing one file's content from memory, without the directory walk or the thread pool.
//!
//! Fuzz targets and tests use this to feed a parser bytes they build in place. Unlike
//! [`super::load`], it does not catch panics, so a fuzzer reports a parser's panic as a crash.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::report::{FileReport, FileStatus};
use super::{
    Format, LoadOptions, auditd, aws_vpc_flow, cisco, cloudtrail, docker, elastic_endpoint, entra,
    esxi, evtx_file, evtx_json, gcp_audit, journald, json_records, kubernetes_audit, m365,
    m365_csv, netflow, okta, osquery, sentinel_syslog, syslog, unified_log, windows_json, zeek,
};
use crate::store::EventBuilder;

/// The path written into reports of content parsed from memory.
pub const MEMORY_PATH: &str = "<memory>";

/// Parses `bytes` as the whole content of one file of `format` and returns the file's report
/// and the events in file order.
///
/// `records_read`, `events_loaded` and `records_skipped` are filled in as [`super::load`]
/// fills them. A format no parser reads returns a `Skipped` report and no events. Syslog
/// timestamps without a year take it from `options` or else from the current date, because
/// content in memory has no modification time.
pub fn parse_bytes(
    format: Format,
    bytes: &[u8],
    options: &LoadOptions,
) -> (FileReport, Vec<EventBuilder>) {
    let mut report = FileReport::new(PathBuf::from(MEMORY_PATH), format, FileStatus::Loaded);
    let mut events = Vec::new();
    let cancel = AtomicBool::new(false);
    let file = 0;
    match format {
        Format::Evtx => {
            evtx_file::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::EvtxJson => {
            evtx_json::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::Auditd => {
            auditd::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::Syslog => {
            syslog::parse_bytes(
                bytes,
                file,
                &options.for_file(std::path::Path::new(MEMORY_PATH)),
                None,
                &cancel,
                &mut report,
                &mut events,
            );
        }
        Format::WindowsJson => {
            let map = windows_json::map_record;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::CloudTrail => {
            let map = cloudtrail::map_record;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::M365Audit => {
            let map = m365::map_record;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::EntraId => {
            let map = entra::map_record;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::ZeekJson => {
            let map = zeek::map_record;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::AwsVpcFlow => {
            aws_vpc_flow::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::M365Csv => {
            m365_csv::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::OktaSystemLog => {
            let map = okta::map_record;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::GcpAudit => {
            let map = gcp_audit::map_record;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::KubernetesAudit => {
            let map = kubernetes_audit::map_record;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::NetflowCsv => {
            let time = options.for_file(std::path::Path::new(MEMORY_PATH));
            netflow::parse_bytes(bytes, file, &time, &cancel, &mut report, &mut events);
        }
        Format::CiscoSyslog => {
            let time = options.for_file(std::path::Path::new(MEMORY_PATH));
            cisco::parse_bytes(bytes, file, &time, None, &cancel, &mut report, &mut events);
        }
        Format::DockerEvents => {
            let map = docker::map_event;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::DockerJsonLog => {
            let map = docker::map_json_log;
            json_records::parse_bytes(bytes, file, map, &cancel, &mut report, &mut events);
        }
        Format::DockerDaemon => {
            docker::parse_daemon_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::ZeekTsv => {
            zeek::parse_tsv_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::SentinelSyslog => {
            sentinel_syslog::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::ElasticEndpoint => {
            elastic_endpoint::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::UnifiedLog => {
            unified_log::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::Journald => {
            journald::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::Osquery => {
            osquery::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::Esxi => {
            esxi::parse_bytes(bytes, file, &cancel, &mut report, &mut events);
        }
        Format::Json | Format::Unknown => report.status = FileStatus::Skipped,
    }
    super::limits::drop_events_over_field_limit(&mut report, &mut events);
    report.events_loaded = events.len() as u64;
    report.records_skipped = report.records_read.saturating_sub(report.events_loaded);
    (report, events)
}
