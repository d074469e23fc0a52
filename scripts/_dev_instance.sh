# shellcheck shell=bash
# Shared by scripts/check_develop and scripts/screenshots: run scripts/develop on a throwaway copy
# of config/ in its own session, drive Debian's Chromium with Playwright, and stop everything.
#
# The caller sets WORK_REL (a folder under the repository for the config copy, logs and the
# browser profile) and TAG (the progress prefix) before sourcing this file. Ports come from the
# same TES_* variables scripts/develop reads, so both agree on them.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

HA_PORT="${TES_HA_PORT:-8123}"
CDP_PORT="${TES_CHECK_CDP_PORT:-9339}"
READY_TIMEOUT="${TES_CHECK_READY_TIMEOUT:-900}"
# The simulators' ports, as scripts/develop picks them: they must be free too.
KAFKA_PORT="${TES_KAFKA_PORT:-8129}"
IFS=, read -r -a POWERWALL_PORTS <<<"${TES_POWERWALL_PORTS:-8130,8131}"
SIM_PORTS=("${TES_AMBER_PORT:-8124}" "${TES_COMED_PORT:-8125}" "${TES_TESLA_PORT:-8126}"
    "${TES_WALL_CONNECTOR_PORT:-8127}" "$KAFKA_PORT" "${POWERWALL_PORTS[@]}")
PLAYWRIGHT=playwright==1.65.2
BASE="http://127.0.0.1:$HA_PORT"
WORK="$REPO_ROOT/$WORK_REL"
# One Playwright venv for every script that drives the browser.
BROWSER_VENV=.develop/check/browser-venv

DEV_PID=""
CHROME_PID=""
START=$SECONDS

say() { printf '\033[1;35m%s [%4ss]\033[0m %s\n' "$TAG" "$((SECONDS - START))" "$*" >&2; }
fail() {
    say "FAIL: $*"
    exit 1
}

session_pids() {
    # Live processes of scripts/develop's session (it runs under setsid); zombies do not count.
    ps -e -o pid=,sid=,stat= | awk -v s="$DEV_PID" '$2 == s && $3 !~ /^Z/ {print $1}'
}

hass_pid() {
    ps -e -o pid=,sid=,args= | awk -v s="$DEV_PID" '$2 == s && /\/hass --config/ {print $1; exit}'
}

leftovers() {
    # This run's hass, the simulators and their broker, found by command line wherever they are.
    local procs
    procs=$(ps -e -o pid=,stat=,args=)
    awk -v hass="hass --config $WORK_REL/config" -v sims="-m simulators --host 127.0.0.1 --amber-port ${SIM_PORTS[0]} " \
        -v tansu="tansu broker --listener-url tcp://127.0.0.1:$KAFKA_PORT " \
        '$2 !~ /^Z/ && (index($0, hass) || index($0, sims) || index($0, tansu))' <<<"$procs"
}

answers() { curl -sf -o /dev/null --max-time 5 "$BASE/auth/providers"; }

dev_cleanup() {
    # The EXIT trap: whatever happened, scripts/develop's session and the browser are stopped.
    trap '' INT TERM
    local pid
    if [[ -n "$DEV_PID" ]] && [[ -n "$(session_pids)" ]]; then
        say "cleaning up: SIGTERM to scripts/develop, then SIGKILL to what is left of its session"
        kill -TERM "$DEV_PID" 2>/dev/null || true
        for _ in $(seq 150); do
            [[ -n "$(session_pids)" ]] || break
            sleep 1
        done
        for pid in $(session_pids); do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    [[ -z "$CHROME_PID" ]] || stop_group "$CHROME_PID" 10
    wait 2>/dev/null || true
    sysroot_umount
}

require_free_ports() {
    local port
    for port in "$HA_PORT" "${SIM_PORTS[@]}" "$CDP_PORT"; do
        if [[ -n "$(ss -ltnH "( sport = :$port )")" ]]; then
            fail "something already listens on port $port (a running scripts/develop?)"
        fi
    done
}

ensure_browser() {
    # Debian's Chromium and Playwright (own venv) to drive it; no browser is downloaded.
    if ! command -v chromium >/dev/null 2>&1; then
        [[ $EUID -eq 0 ]] || fail "chromium is missing; install Debian's chromium package"
        say "installing Chromium (Debian package)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    if ! in_env "$BROWSER_VENV/bin/python" -c "import playwright" 2>/dev/null; then
        say "installing $PLAYWRIGHT into $BROWSER_VENV (drives the Debian Chromium; no browser download)"
        in_env python -m venv --clear "$BROWSER_VENV"
        in_env "$BROWSER_VENV/bin/python" -m pip install --quiet "$PLAYWRIGHT"
    fi
}

fresh_config() {
    say "fresh config in $WORK_REL/config"
    rm -rf "$WORK/config"
    mkdir -p "$WORK/config/.storage"
    cp "$REPO_ROOT/config/configuration.yaml" "$WORK/config/"
}

start_develop() {
    # Start scripts/develop on $WORK_REL/config and wait until Home Assistant answers; sets
    # DEV_PID, LAUNCH, READY, ANSWERED (seconds from launch) and HASS (its pid).
    say "starting scripts/develop (log: $WORK_REL/develop.log)"
    # Its own session, so every process it starts can be found afterwards. SIGINT is reset to its
    # default: a background job of a script would otherwise ignore it, and so could not trap it.
    TES_HA_CONFIG="$WORK_REL/config" TES_HA_PORT="$HA_PORT" \
        setsid env --default-signal=INT "$REPO_ROOT/scripts/develop" >"$WORK/develop.log" 2>&1 </dev/null &
    DEV_PID=$!
    LAUNCH=$SECONDS
    sleep 1
    [[ "$(ps -o sid= -p "$DEV_PID" | tr -d ' ')" == "$DEV_PID" ]] || fail "scripts/develop did not get its own session"

    until answers; do
        if [[ -z "$(session_pids)" ]]; then
            tail -20 "$WORK/develop.log" >&2
            fail "scripts/develop exited before Home Assistant answered"
        fi
        ((SECONDS - START < READY_TIMEOUT)) || fail "Home Assistant did not answer within ${READY_TIMEOUT}s"
        sleep 2
    done
    READY=$SECONDS
    ANSWERED=$((READY - LAUNCH))
    HASS=$(hass_pid)
    say "Home Assistant (pid $HASS) answers on $BASE"
}

start_chromium() {
    say "headless Chromium on 127.0.0.1:$CDP_PORT"
    rm -rf "$WORK/chromium"
    mkdir -p "$WORK/chromium"
    # Loopback only: every other address goes to a closed local proxy port, no name is resolved.
    set -m
    chromium --headless --no-sandbox --user-data-dir="$WORK/chromium" --no-first-run \
        --remote-debugging-address=127.0.0.1 --remote-debugging-port="$CDP_PORT" \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --proxy-server=http://127.0.0.1:9 \
        --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' about:blank \
        >"$WORK/chromium.log" 2>&1 </dev/null &
    CHROME_PID=$!
    set +m
    for _ in $(seq 30); do
        curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$CDP_PORT/json/version" && return 0
        sleep 1
    done
    fail "Chromium's DevTools port did not answer"
}

stop_chromium() {
    stop_group "$CHROME_PID" 10
    CHROME_PID=""
}

stop_develop() {
    # Signal $1 (TERM, INT) to scripts/develop; fail unless its whole session, the simulators and
    # the broker are gone and the ports are free within 150 s.
    local signal="$1" stop status=0 left port
    say "SIG$signal to scripts/develop (pid $DEV_PID)"
    stop=$SECONDS
    kill -"$signal" "$DEV_PID"
    while [[ -n "$(session_pids)" ]]; do
        ((SECONDS - stop < 150)) || fail "processes left 150s after SIG$signal: $(session_pids | tr '\n' ' ')"
        sleep 1
    done
    wait "$DEV_PID" || status=$?
    say "scripts/develop exited ($status) after $((SECONDS - stop))s; processes left in its session: 0"
    left=$(leftovers)
    [[ -z "$left" ]] || fail "left running: $left"
    for port in "$HA_PORT" "${SIM_PORTS[@]}"; do
        [[ -z "$(ss -ltnH "( sport = :$port )")" ]] || fail "port $port still listened on"
    done
    say "no hass, simulators or Tansu left; ports $HA_PORT ${SIM_PORTS[*]} free"
    DEV_PID=""
}
