# shellcheck shell=bash
# Shared by scripts/*: find (or build) a Python >= 3.14.2 and run commands in the project venv.
#
# Two environments are supported:
#   host     a Python >= 3.14.2 already on PATH (a laptop, a dev container): venv in .venv/
#   sysroot  otherwise, a Debian-testing sysroot in .sysroot/ (Home Assistant needs 3.14, and
#            Debian testing's python3.14 needs a newer glibc than older hosts have). The repo is
#            bind-mounted at /repo inside it and the venv lives at /opt/venv inside it.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SYSROOT="${TES_SYSROOT:-$REPO_ROOT/.sysroot}"
HOST_VENV="$REPO_ROOT/.venv"
SYSROOT_REPO=/repo
SYSROOT_VENV=/opt/venv
MIN_PY="3.14.2"
_MOUNTED=()

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

python_ok() {
    # True when $1 is a Python interpreter >= MIN_PY.
    "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)" 2>/dev/null
}

find_host_python() {
    local candidate
    for candidate in "${TES_PYTHON:-}" python3.14 python3 python; do
        [[ -n "$candidate" ]] || continue
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

env_kind() {
    if [[ -x "$HOST_VENV/bin/python" ]] && python_ok "$HOST_VENV/bin/python"; then
        echo host
    elif [[ -x "$SYSROOT/usr/bin/python3.14" ]]; then
        echo sysroot
    elif find_host_python >/dev/null; then
        echo host
    else
        echo sysroot
    fi
}

_mount_once() {
    # Mount only what is not mounted yet, and remember it so this process undoes only its own.
    local target="$1"; shift
    mkdir -p "$target"
    if ! mountpoint -q "$target"; then
        mount "$@" "$target"
        _MOUNTED+=("$target")
    fi
}

sysroot_mount() {
    _mount_once "$SYSROOT/proc" -t proc proc
    _mount_once "$SYSROOT/dev" --rbind /dev
    # Keep unmount events inside the sysroot from reaching the host's /dev.
    mount --make-rslave "$SYSROOT/dev"
    _mount_once "$SYSROOT$SYSROOT_REPO" --bind "$REPO_ROOT"
    # Resolver and CA bundle change with the host network; refresh them on every entry.
    cp -L /etc/resolv.conf "$SYSROOT/etc/resolv.conf" 2>/dev/null || true
    if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
        mkdir -p "$SYSROOT/etc/ssl/certs"
        cp -L /etc/ssl/certs/ca-certificates.crt "$SYSROOT/etc/ssl/certs/ca-certificates.crt"
    fi
    # A caller's own EXIT trap (develop's, check_develop's clean-up) calls sysroot_umount itself
    # and must not be replaced.
    [[ -n "$(trap -p EXIT)" ]] || trap sysroot_umount EXIT
}

sysroot_in_use() {
    # True while any other process still has the sysroot as its root (a second script, a helper).
    local link
    for link in /proc/[0-9]*/root; do
        [[ "$(readlink "$link" 2>/dev/null)" == "$SYSROOT" ]] && return 0
    done
    return 1
}

sysroot_umount() {
    local i
    if sysroot_in_use; then
        _MOUNTED=()
        return 0
    fi
    for ((i = ${#_MOUNTED[@]} - 1; i >= 0; i--)); do
        umount -l "${_MOUNTED[i]}" 2>/dev/null || true
    done
    _MOUNTED=()
}

# Run a command from the repo root with the venv's bin first on PATH.
in_env() {
    local kind
    kind="$(env_kind)"
    if [[ "$kind" == host ]]; then
        (cd "$REPO_ROOT" && PATH="$HOST_VENV/bin:$PATH" VIRTUAL_ENV="$HOST_VENV" "$@")
    else
        [[ ${#_MOUNTED[@]} -gt 0 ]] || sysroot_mount
        local -a passthrough=()
        local name
        # Project settings (TES_*) and CI travel into the chroot; nothing else of the host does.
        for name in $(compgen -e); do
            case "$name" in TES_* | CI | PYTEST_ADDOPTS) passthrough+=("$name=${!name}") ;; esac
        done
        chroot "$SYSROOT" /usr/bin/env -i \
            HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
            PATH="$SYSROOT_VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
            VIRTUAL_ENV="$SYSROOT_VENV" PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
            PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
            "${passthrough[@]}" \
            /bin/sh -c 'cd "$0" && exec "$@"' "$SYSROOT_REPO" "$@"
    fi
}

group_alive() {
    # True while a process of group $1 runs; exited ones not yet reaped (zombies) do not count.
    ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {found = 1} END {exit !found}'
}

stop_group() {
    # SIGTERM process group $1 (chroot'ed children included), SIGKILL it after $2 seconds.
    local pgid="$1" seconds="$2" i
    [[ -n "$pgid" ]] || return 0
    kill -TERM -- "-$pgid" 2>/dev/null || return 0
    for ((i = 0; i < seconds * 5; i++)); do
        group_alive "$pgid" || return 0
        sleep 0.2
    done
    log "Process group $pgid still running ${seconds}s after SIGTERM; killing it"
    kill -KILL -- "-$pgid" 2>/dev/null || true
}
