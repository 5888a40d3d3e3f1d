#!/usr/bin/env bash
# End-to-end check of the TUI in a real terminal: opens the bundled samples in a detached tmux
# session, at 80x24 and at 200x50, and drives it with keys like an analyst would. It filters to
# one host, drills from an analytic into a chain and an event, bookmarks the event, exports the
# case, runs a query from the EQL prompt and a malformed one, then quits. Each step waits for
# the screen it expects (tmux capture-pane), and the exported JSON, CSV and Markdown must cite
# the event's file and record as the screen showed them. Last, it closes the terminal under a
# running TUI and checks that the program quits.
#
# Usage: scripts/e2e-tmux.sh
# Needs tmux and bash. Builds the debug binary with cargo unless GLEXIA_BIN names one.
# GLEXIA_E2E_TIMEOUT sets the seconds each step may wait for its screen (default 60).
# Exit status: 0 when every check passed, 1 when one failed (the screen is printed), 2 when
# tmux or the binary is missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
timeout=${GLEXIA_E2E_TIMEOUT:-60}

if ! command -v tmux >/dev/null 2>&1; then
    echo "e2e-tmux: tmux not found; install tmux to run this check" >&2
    exit 2
fi

bin=${GLEXIA_BIN:-}
if [[ -z "$bin" ]]; then
    echo "e2e-tmux: building glexia"
    cargo build --quiet --manifest-path "$root/Cargo.toml"
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/glexia"
fi
if [[ ! -x "$bin" ]]; then
    echo "e2e-tmux: no executable at $bin" >&2
    exit 2
fi

# A private tmux server, so the check neither reads the user's tmux.conf nor touches their
# sessions.
socket="glexia-e2e-$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/glexia-e2e.XXXXXX")
screen=""

tmux_() {
    tmux -L "$socket" -f /dev/null "$@"
}

cleanup() {
    tmux_ kill-server >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "e2e-tmux: FAILED at ${size:-start}: $*" >&2
    if [[ -n "$screen" ]]; then
        echo "--- last screen ---" >&2
        echo "$screen" >&2
        echo "-------------------" >&2
    fi
    if [[ -f "${case_dir:-}/glexia.log" ]]; then
        echo "--- glexia log ---" >&2
        tail -n 20 "$case_dir/glexia.log" >&2
    fi
    exit 1
}

capture() {
    screen=$(tmux_ capture-pane -p -t e2e 2>/dev/null || true)
}

# Waits until the screen no longer matches the extended regular expression $1.
wait_gone() {
    local deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        capture
        if ! grep -Eq -- "$1" <<<"$screen"; then
            return 0
        fi
        sleep 0.2
    done
    fail "the screen still matches /$1/"
}

# Waits until the screen matches the extended regular expression $1.
wait_for() {
    local deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        capture
        if grep -Eq -- "$1" <<<"$screen"; then
            return 0
        fi
        sleep 0.2
    done
    fail "the screen never matched /$1/"
}

# Checks that the screen, captured last, matches $1 without waiting.
expect() {
    grep -Eq -- "$1" <<<"$screen" || fail "the screen does not match /$1/"
}

keys() {
    tmux_ send-keys -t e2e "$@"
}

type_text() {
    tmux_ send-keys -t e2e -l "$1"
}

run_at() {
    local width=$1 height=$2
    size="${width}x${height}"
    case_dir="$work/$size"
    mkdir -p "$case_dir"
    echo "e2e-tmux: $size"
    tmux_ new-session -d -s e2e -x "$width" -y "$height" \
        "exec '$bin' --case '$case_dir/case.json' --log-file '$case_dir/glexia.log'"
    local pane
    pane=$(tmux_ display-message -p -t e2e '#{pane_width}x#{pane_height}')
    [[ "$pane" == "$size" ]] || fail "the pane is $pane"

    # The samples load and correlate in the background; AN0750 then has two chains.
    wait_for 'SAMPLE DATA'
    wait_for 'AN0750 +T1021 +2 '
    expect '648 events'
    expect '\? help'

    # Filter to the domain controller: the picker opens on hosts, / narrows them.
    keys f
    wait_for 'Filter'
    keys /
    type_text DC01
    keys Enter
    wait_for '/DC01'
    keys Down Enter
    wait_for 'host=DC01\.corp\.example'
    wait_for 'AN0750 +T1021 +1 '
    # Other analytics also have chains on DC01, so search for AN0750 to select it.
    keys /
    type_text AN0750
    keys Enter
    wait_gone 'AN0755 '

    # Analytic, chain, event.
    keys Enter
    wait_for '1 of 2 chains \(filtered\)'
    keys Enter
    wait_for 'AN0750 chain 1/1'
    expect 'join keys: host\.name=DC01\.corp\.example'
    expect '4624 (Security|WinEventLog:Security)'
    keys Enter
    wait_for 'Origin: '
    # A long checkout path can push the record number past the right edge; l scrolls to it.
    local tries=0
    while ! grep -Eq 'DC01-Security\.jsonl record [0-9]+' <<<"$screen"; do
        ((tries += 1)) && ((tries <= 20)) || fail "the origin's record number is not shown"
        keys l
        sleep 0.2
        capture
    done
    local record
    record=$(grep -Eo 'DC01-Security\.jsonl record [0-9]+' <<<"$screen" | grep -Eo '[0-9]+$')
    keys g
    wait_for 'Fields \('

    # Bookmark the event and export the case.
    keys b
    wait_for 'bookmarked event'
    keys X
    wait_for 'exported the case to'

    local json="$case_dir/case.export.json" csv="$case_dir/case.csv" md="$case_dir/case.md"
    for file in "$json" "$csv" "$md"; do
        [[ -s "$file" ]] || fail "$file was not written"
    done
    grep -Eq "\"file\": \".*/samples/windows/DC01-Security\.jsonl\"" "$json" ||
        fail "$json does not name the event's file"
    grep -Eq "\"record\": $record(,|$)" "$json" || fail "$json does not cite record $record"
    grep -Eq "DC01-Security\.jsonl#$record(;|$|,)" "$csv" ||
        fail "$csv does not cite DC01-Security.jsonl#$record"
    grep -Eq "DC01-Security\.jsonl \`+, record $record( |$)" "$md" ||
        fail "$md does not cite record $record of DC01-Security.jsonl"

    # A query from the prompt opens its matches like a finding.
    keys Escape
    wait_for 'AN0750 chain 1/1'
    keys :
    wait_for 'EQL query'
    type_text 'sequence by host.name with maxspan=5m'
    keys M-Enter
    type_text '  [authentication where event.code == "4624"] [process where true]'
    keys Enter
    wait_for 'Query 1'
    wait_for '[0-9]+ match(es)?'
    keys Enter
    wait_for 'query 1 chain 1/'
    keys Escape
    wait_for 'Query 1'

    # A malformed query keeps the prompt open with a caret under the offending token.
    keys :
    wait_for 'EQL query'
    type_text 'process wher true'
    keys Enter
    wait_for 'invalid query at line 1, column 9'
    # Both rows start with the same borders, so equal prefix lengths put the caret under 'w'.
    local quoted line caret
    quoted=$(grep -n 'process wher true' <<<"$screen" | tail -n 1 | cut -d: -f1)
    line=$(sed -n "${quoted}p" <<<"$screen")
    caret=$(sed -n "$((quoted + 1))p" <<<"$screen")
    local before_token=${line%%wher*} before_caret=${caret%%^*}
    [[ "$caret" == *^* && ${#before_token} -eq ${#before_caret} ]] ||
        fail "the caret is not under 'wher'"
    keys Escape
    # An Escape followed at once by q can reach the program as Alt-q, so wait for the prompt
    # to close before quitting.
    wait_gone 'EQL query'

    keys q
    local deadline=$((SECONDS + timeout))
    while tmux_ has-session -t e2e 2>/dev/null; do
        ((SECONDS < deadline)) || fail "q did not quit"
        sleep 0.2
    done
    echo "e2e-tmux: $size passed"
}

# Closes the terminal under a running TUI, as a dropped SSH session does: the program must
# quit on the hangup and not stay behind reading the closed terminal.
hangup() {
    size="hangup"
    case_dir="$work/$size"
    mkdir -p "$case_dir"
    echo "e2e-tmux: $size"
    tmux_ new-session -d -s e2e -x 80 -y 24 \
        "exec '$bin' --case '$case_dir/case.json' --log-file '$case_dir/glexia.log'"
    wait_for 'SAMPLE DATA'
    local pid
    pid=$(tmux_ display-message -p -t e2e '#{pane_pid}')
    tmux_ kill-session -t e2e
    local deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            fail "glexia (pid $pid) still runs after its terminal closed"
        fi
        sleep 0.2
    done
    echo "e2e-tmux: $size passed"
}

run_at 80 24
run_at 200 50
hangup
echo "e2e-tmux: all checks passed"
