#!/usr/bin/env bash
# Entrypoint with the behaviour of the official postgres image's, for Debian's
# postgresql package: drops root for the postgres user, runs initdb on the first
# start, then execs the server listening on all interfaces.
set -Eeuo pipefail

log() { printf '%s\n' "$*" >&2; }

check_auth_settings() {
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
        log "Error: database is uninitialized and superuser password is not specified."
        log "       Set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow"
        log "       all connections without a password (never in production)."
        exit 1
    fi
}

init_cluster() {
    local pwfile=() secret
    secret=$(mktemp)
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        printf '%s\n' "$POSTGRES_PASSWORD" >"$secret"
        pwfile=(--pwfile="$secret")
    fi
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --encoding=UTF8 --locale=C.UTF-8 "${pwfile[@]}" \
        ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$secret"
    printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
}

psql_init() { psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" "$@"; }

run_init_scripts() {
    local f
    if [ "$POSTGRES_DB" != postgres ]; then
        psql_init --dbname postgres -c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        # shellcheck disable=SC1090
        case $f in
            *.sh) log "running $f"; . "$f" ;;
            *.sql) log "running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
            *.sql.gz) log "running $f"; gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" >/dev/null ;;
            *) ;;
        esac
    done
}

first_start() {
    check_auth_settings
    log "initialising database in $PGDATA"
    init_cluster
    # A server on the Unix socket only, so that nobody connects before the init is over.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    run_init_scripts
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    log "PostgreSQL init process complete; ready for start up."
}

main() {
    if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
    if [ "$1" != postgres ]; then exec "$@"; fi
    export POSTGRES_USER=${POSTGRES_USER:-postgres}
    export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$PGDATA" /var/run/postgresql
        chown postgres:postgres "$PGDATA" /var/run/postgresql
        chmod 700 "$PGDATA"
        exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
    fi
    if [ ! -s "$PGDATA/PG_VERSION" ]; then first_start; fi
    exec "$@"
}

main "$@"
