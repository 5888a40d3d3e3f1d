#!/usr/bin/env bash
# Builds every fuzz target, then runs each one for SECONDS (default 300), JOBS at a time
# (default 1), every libFuzzer process under `nice -n NICE` (default 0).
# Usage: [JOBS=2] [NICE=10] fuzz/run_all.sh [SECONDS] [TARGET...]
# Crashing inputs go to fuzz/artifacts/<target>/ and each run's log to fuzz/logs/<target>.log.
set -u
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(eql_parse eql_execute analytic_toml sigma_rule ingest_evtx ingest_evtx_json
        ingest_auditd ingest_syslog ingest_netflow_csv ingest_cisco_syslog ingest_docker_daemon
        ingest_docker_events ingest_docker_json_log ingest_load_file
        ingest_cloudtrail ingest_m365 ingest_m365_csv ingest_entra
        ingest_okta ingest_gcp_audit ingest_kubernetes_audit ingest_vpc_flow ingest_zeek_json
        ingest_zeek_tsv ingest_esxi ingest_unified_log ingest_osquery ingest_journald
        ingest_elastic_endpoint ingest_sysmon_linux ingest_windows_json)
fi
jobs="${JOBS:-1}"
niceness="${NICE:-0}"

# RUSTC_BOOTSTRAP lets the stable compiler accept the sanitizer flags cargo-fuzz passes.
# Building once up front keeps the runs from rebuilding, or waiting on each other's build.
RUSTC_BOOTSTRAP=1 cargo +stable fuzz build || exit 1
binaries="fuzz/target/$(rustc +stable -vV | sed -n 's/^host: //p')/release"
mkdir -p fuzz/logs

run_target() {
    local target="$1"
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    local dictionary=()
    if [ "${target#eql_}" != "$target" ]; then
        dictionary=(-dict=fuzz/dictionaries/eql.dict)
    fi
    local start end
    start=$(date -u +%s)
    nice -n "$niceness" "$binaries/$target" "fuzz/corpus/$target" \
        -artifact_prefix="fuzz/artifacts/$target/" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
        "${dictionary[@]}" >"fuzz/logs/$target.log" 2>&1
    local status=$?
    end=$(date -u +%s)
    echo "$target exit $status, $((end - start)) s, $(grep -E '^Done' "fuzz/logs/$target.log" | tail -1)"
}
export -f run_target
export seconds niceness binaries

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_target {}'
