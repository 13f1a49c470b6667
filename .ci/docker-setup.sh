#!/usr/bin/env bash
# What the container tests need on the machine besides the Docker engine:
# debootstrap (test images are built from Debian's packages, no registry) and a
# Compose tool (`docker compose` if present, else Debian's docker-compose).
# Idempotent and quiet: installs only what is missing.
set -euo pipefail

missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    missing+=(docker-compose)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    echo "docker-setup: installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
    echo "docker-setup: the Docker engine is not reachable; the docker tests will fail under CI=true" >&2
fi
