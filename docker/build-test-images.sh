#!/usr/bin/env bash
# Builds the container images of the test suite from Debian's packages alone
# (no image registry is needed):
#   base      a minimal Debian bookworm root filesystem made by debootstrap,
#             imported with `docker import` (python3, venv, pip, CA certificates)
#   checker   docker/Dockerfile on top of that base
#   postgres  docker/postgres/Dockerfile (Debian's postgresql-15) on that base
#
# Usage: docker/build-test-images.sh [base|checker|postgres|all]   (default: all)
#
# Each image is tagged with a hash of its inputs and is built only when that tag
# is missing, so a second run costs a few hashes. Build logs go to stderr; the
# tags go to stdout, one per line, in the order base, checker, postgres.
#
# Environment:
#   DEBIAN_MIRROR           mirror for debootstrap (default: the host's apt source)
#   DEBIAN_SECURITY_MIRROR  security mirror (default: the host's apt source)
#   IMAGE_PREFIX            repository prefix of the tags (default: smg-test)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,python3-pip,ca-certificates
BASE_RECIPE=3 # bump when the base recipe below changes
PREFIX=${IMAGE_PREFIX:-smg-test}
LOCK_FILE=${TMPDIR:-/tmp}/smg-build-test-images.lock

CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}"' EXIT

log() { printf '[build-test-images] %s\n' "$*" >&2; }

# The first URI of the host's apt sources whose path ends in $1 ("debian" or "debian-security").
host_mirror() {
    local suffix=$1
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
        2>/dev/null | grep -v '^\s*#' | grep -oE "https?://[^ ]+/${suffix}/?( |$)" | head -n1 | tr -d ' ' || true
}

MIRROR=${DEBIAN_MIRROR:-$(host_mirror debian)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(host_mirror debian-security)}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# Hash of the named files' paths and contents (missing files count as absent).
hash_files() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        printf '%s\0' "$f"
        sha256sum <"$f"
    done | sha256sum | cut -c1-16
}

hash_text() { printf '%s' "$*" | sha256sum | cut -c1-16; }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# pip settings of the host that the image build should share (index, timeout).
pip_env_settings() {
    local name
    for name in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT; do
        [ -n "${!name:-}" ] && printf '%s=%s\n' "$name" "${!name}"
    done
    return 0
}

host_ca_files() { find /usr/local/share/ca-certificates -type f -name '*.crt' 2>/dev/null | sort; }

base_tag() {
    local inputs ca_files
    inputs="$BASE_RECIPE $SUITE $BASE_PACKAGES $MIRROR $SECURITY_MIRROR $(pip_env_settings | tr '\n' ' ')"
    mapfile -t ca_files < <(host_ca_files)
    inputs+=" $(hash_files /etc/pip.conf "${ca_files[@]}")"
    echo "$PREFIX/base:$(hash_text "$inputs")"
}

write_rootfs_config() {
    local rootfs=$1
    cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
    local crt
    while read -r crt; do
        [ -n "$crt" ] && cp "$crt" "$rootfs/usr/local/share/ca-certificates/"
    done < <(host_ca_files)
    # The chroot has none of the host's temp directories: a TMPDIR naming one breaks mktemp in there.
    chroot "$rootfs" env TMPDIR=/tmp update-ca-certificates >/dev/null 2>&1
    if [ -f /etc/pip.conf ]; then cp /etc/pip.conf "$rootfs/etc/pip.conf"; fi
    # Keep the image small: no documentation, no package caches.
    rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
}

build_base() {
    local tag=$1 rootfs changes=() setting
    command -v debootstrap >/dev/null || { log "debootstrap is missing (apt-get install debootstrap)"; exit 2; }
    [ "$(id -u)" = 0 ] || { log "debootstrap needs root"; exit 2; }
    rootfs=$(mktemp -d "${TMPDIR:-/var/tmp}/smg-rootfs.XXXXXX")
    CLEANUP+=("$rootfs")
    log "debootstrap $SUITE (minbase) from $MIRROR"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$MIRROR" >&2
    write_rootfs_config "$rootfs"
    changes=(--change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]')
    while read -r setting; do
        [ -n "$setting" ] && changes+=(--change "ENV $setting")
    done < <(pip_env_settings)
    tar -C "$rootfs" --numeric-owner -c . | docker import "${changes[@]}" - "$tag" >&2
}

checker_tag() {
    local files
    files=$(cd "$ROOT" && find checker rules -type f ! -path '*/__pycache__/*' ! -name '*.pyc' | sort)
    # shellcheck disable=SC2086
    echo "$PREFIX/checker:$(cd "$ROOT" && hash_text "$1 $(hash_files docker/Dockerfile pyproject.toml README.md $files)")"
}

# The build context holds only what the image installs (no .git, no virtualenvs).
stage_checker_context() {
    local ctx=$1
    cp "$ROOT/pyproject.toml" "$ROOT/docker/Dockerfile" "$ctx/"
    if [ -f "$ROOT/README.md" ]; then cp "$ROOT/README.md" "$ctx/"; else : >"$ctx/README.md"; fi
    (cd "$ROOT" && tar -c --exclude=__pycache__ --exclude='*.pyc' checker rules) | tar -C "$ctx" -x
}

build_checker() {
    local tag=$1 base=$2 ctx
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/smg-checker-ctx.XXXXXX")
    CLEANUP+=("$ctx")
    stage_checker_context "$ctx"
    log "building $tag"
    docker build --network host --build-arg "BASE_IMAGE=$base" -f "$ctx/Dockerfile" -t "$tag" "$ctx" >&2
}

postgres_tag() {
    echo "$PREFIX/postgres:$(cd "$ROOT" && hash_text "$1 $(hash_files docker/postgres/Dockerfile docker/postgres/entrypoint.sh)")"
}

build_postgres() {
    local tag=$1 base=$2
    log "building $tag"
    docker build --network host --build-arg "BASE_IMAGE=$base" -t "$tag" "$ROOT/docker/postgres" >&2
}

# ensure NAME TAG [BASE]: build NAME into TAG unless TAG exists; print TAG.
ensure() {
    local name=$1 tag=$2 base=${3:-}
    if image_exists "$tag"; then
        log "$tag is up to date"
    else
        local start=$SECONDS
        "build_$name" "$tag" "$base"
        log "built $tag in $((SECONDS - start))s"
    fi
    echo "$tag"
}

main() {
    local target=${1:-all} base
    case $target in base | checker | postgres | all) ;; *)
        log "usage: $0 [base|checker|postgres|all]"
        exit 2
        ;;
    esac
    exec 9>"$LOCK_FILE"
    flock 9
    base=$(base_tag)
    if [ "$target" = base ] || [ "$target" = all ]; then ensure base "$base"; else ensure base "$base" >/dev/null; fi
    if [ "$target" = checker ] || [ "$target" = all ]; then ensure checker "$(checker_tag "$base")" "$base"; fi
    if [ "$target" = postgres ] || [ "$target" = all ]; then ensure postgres "$(postgres_tag "$base")" "$base"; fi
}

main "$@"
