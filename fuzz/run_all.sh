#!/usr/bin/env bash
# Runs every fuzz target one after another, each for SECONDS (default 300) on one core.
# Usage: fuzz/run_all.sh [SECONDS] [TARGET...]
# Crashing inputs go to fuzz/artifacts/<target>/ and each run's log to fuzz/logs/<target>.log.
set -u
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(eql_parse eql_execute analytic_toml ingest_evtx ingest_evtx_json ingest_auditd
        ingest_syslog ingest_netflow_csv ingest_cisco_syslog ingest_docker_daemon ingest_load_file
        ingest_cloudtrail ingest_m365 ingest_m365_csv ingest_entra
        ingest_okta ingest_gcp_audit ingest_kubernetes_audit ingest_vpc_flow ingest_zeek_json
        ingest_zeek_tsv ingest_esxi ingest_unified_log ingest_osquery ingest_journald
        ingest_elastic_endpoint ingest_sysmon_linux ingest_windows_json)
fi
mkdir -p fuzz/logs
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    dictionary=()
    if [ "${target#eql_}" != "$target" ]; then
        dictionary=(-dict=fuzz/dictionaries/eql.dict)
    fi
    echo "== $target for ${seconds}s"
    # RUSTC_BOOTSTRAP lets the stable compiler accept the sanitizer flags cargo-fuzz passes.
    RUSTC_BOOTSTRAP=1 cargo +stable fuzz run "$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
        "${dictionary[@]}" >"fuzz/logs/$target.log" 2>&1
    echo "   exit $? ; $(grep -E '^(#[0-9]+.*DONE|Done)' "fuzz/logs/$target.log" | tail -1)"
done
