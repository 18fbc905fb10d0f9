# Shared by scripts/setup and scripts/test: find Odoo 18, start PostgreSQL.
# shellcheck shell=bash

PYTHON=${PYTHON:-python3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

shout() {
    printf '\n\033[1;33m%s\n!! %s\n%s\033[0m\n\n' "$(printf '!%.0s' {1..78})" "$*" "$(printf '!%.0s' {1..78})"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# ffmpeg converts PBX recordings to MP3 (the addon and its tests need it);
# openssl makes the throwaway certificate of the HTTPS recording tests.
ensure_ffmpeg() {
    if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null || ! command -v openssl >/dev/null; then
        say "Installing ffmpeg and openssl"
        apt_install ffmpeg openssl
    fi
}

odoo_is_importable() {
    "$PYTHON" -c 'import sys, odoo.release; sys.exit(odoo.release.version_info[0] != 18)' 2>/dev/null
}

# Odoo's own addons folders (a packaged Odoo has them in odoo/addons, a git
# checkout also in addons/ beside it), then this repository.
odoo_addons_path() {
    "$PYTHON" - "$ROOT" <<'PY'
import os, sys, odoo
package = os.path.dirname(odoo.__file__)
paths = [os.path.join(package, "addons")]
checkout = os.path.join(os.path.dirname(package), "addons")
if os.path.isdir(os.path.join(checkout, "web")):
    paths.append(checkout)
paths.append(sys.argv[1])
print(",".join(paths))
PY
}

# A TCP port nobody listens on now (test servers share this machine).
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pip_install_requirements() {
    "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r "$1"
}

ensure_postgres() {
    if ! pg_isready -q 2>/dev/null; then
        if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
            say "PostgreSQL is missing: installing Debian's postgresql"
            apt_install postgresql
        fi
        local version
        version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
        if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version \+main "; then
            as_root pg_createcluster "$version" main >/dev/null
        fi
        say "Starting PostgreSQL $version"
        as_root pg_ctlcluster "$version" main start || true
        for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
        pg_isready -q || { echo "PostgreSQL did not start" >&2; return 1; }
    fi
    if ! psql -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        as_root su postgres -c "createuser --superuser $(id -un)"
    fi
}

# MariaDB holds the MySQL CDR table of the CDR tests (as FreePBX keeps its
# asteriskcdrdb); without it those tests skip, saying why. No systemd here:
# the Debian init script, else mysqld_safe in the background.
MARIADB_SOCKET=${K2CC_MYSQL_SOCKET:-/run/mysqld/mysqld.sock}
mariadb_is_up() {
    mariadb-admin --socket="$MARIADB_SOCKET" -uroot ping >/dev/null 2>&1 \
        || mysqladmin --socket="$MARIADB_SOCKET" -uroot ping >/dev/null 2>&1
}

ensure_mariadb() {
    mariadb_is_up && return 0
    if ! command -v mariadbd >/dev/null && ! command -v mysqld >/dev/null \
        && [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then
        say "MariaDB is missing (the MySQL CDR tests need it): installing Debian's mariadb-server"
        apt_install mariadb-server || { shout "mariadb-server could not be installed: the MariaDB CDR tests will SKIP"; return 0; }
    fi
    say "Starting MariaDB"
    as_root service mariadb start >/dev/null 2>&1 || as_root service mysql start >/dev/null 2>&1 || true
    if ! mariadb_is_up && command -v mysqld_safe >/dev/null; then
        as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
        (as_root mysqld_safe >/dev/null 2>&1 &)
    fi
    for _ in $(seq 30); do mariadb_is_up && return 0; sleep 1; done
    shout "MariaDB did not start: the MariaDB CDR tests will SKIP"
}

ensure_chromium() {
    command -v chromium >/dev/null || command -v google-chrome >/dev/null || {
        say "Chromium is missing (browser tests need it): installing Debian's chromium"
        apt_install chromium
    }
}

# Install the modules $2 (the addon, and others beside it) into database $1
# and fail on any warning or error the addon itself logs (deprecations
# included). Extra arguments go to odoo.
install_addon() {
    local db=$1 modules=$2 log
    shift 2
    log=$(mktemp)
    dropdb --if-exists "$db"
    if ! "$PYTHON" -m odoo -d "$db" --addons-path="$(odoo_addons_path)" -i "$modules" \
        --stop-after-init --log-level=info --logfile="$log" "$@"; then
        tail -n 50 "$log" >&2
        echo "Installing k2_contact_center into $db failed" >&2
        return 1
    fi
    if grep -E ' (WARNING|ERROR|CRITICAL) ' "$log" | grep -iE 'k2_contact_center|k2\.cc|k2_cc' >&2; then
        echo "Installing k2_contact_center into $db logged the warnings above" >&2
        return 1
    fi
    rm -f "$log"
}
