# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this file
# Shared settings for infra/containers/*. Sourced, not executed. Reuses infra/local's state folder,
# logging and package installer conventions.

# shellcheck source-path=SCRIPTDIR source=../local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../local/lib.sh"

REPO_DIR="$(cd "$INFRA_DIR/.." && pwd)"
CONTAINERS_STATE="$ZOCKET_LOCAL_DIR/containers"
# Debian release of the stand-in bases: the one the Dockerfiles' node:<major>-bookworm-slim names.
DEBIAN_SUITE="bookworm"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# The drop-in podman reads after its own containers.conf (see ensure-podman).
PODMAN_DROPIN="/etc/containers/containers.conf.d/50-zocket.conf"

log() { printf '[zocket-containers] %s\n' "$*" >&2; }
die() { printf '[zocket-containers] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi

# apt_install PKG...: apt-get update once, then install without recommends.
apt_install() {
  [ "$#" -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    die "missing Debian packages: $* (install them as root, then re-run)"
  fi
  log "installing Debian packages: $*"
  local rc=0 try
  for try in 1 2 3 4 5; do
    rc=0
    $SUDO apt-get update -q -o DPkg::Lock::Timeout=60 </dev/null >&2 && break || rc=$?
    log "apt-get update failed (exit $rc, attempt $try of 5); retrying in 15 s"
    sleep 15
  done
  [ "$rc" -eq 0 ] || die "apt-get update failed (exit $rc)"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "$@" </dev/null >&2 || die "apt-get install $* failed"
}

# podman with the settings this project needs on every call (the drop-in holds them too).
pm() { podman "$@"; }
