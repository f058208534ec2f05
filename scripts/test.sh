#!/usr/bin/env bash
# Run localshelf's whole test suite: the project's one test command.
#
#   bash scripts/test.sh [pytest args...]
#
# Idempotent; fast when everything is already set up. It:
#   1. creates .venv (python3 -m venv) if missing and runs `pip install -e ".[dev]"`
#      whenever pyproject.toml changed since the last install (sha256 stamp in .venv);
#   2. unless LOCALSHELF_TEST_POSTGRES_URL is already set (the caller then owns that
#      database and it is used as is): makes sure the local PostgreSQL server runs
#      (starting the cluster when root), installs PostGIS (Debian package
#      postgresql-<major>-postgis-3) when the server lacks it, recreates the database
#      localshelf_test with the postgis and pg_trgm extensions, and exports
#      LOCALSHELF_TEST_POSTGRES_URL pointing at it;
#   2c. installs Debian's `chromium` package (apt-get, non-interactive) when
#      /usr/bin/chromium (or $LOCALSHELF_CHROMIUM) is missing: the browser tests in tests/e2e
#      drive it with Playwright; browsers are never downloaded by `playwright install`;
#   3. runs `.venv/bin/python -m pytest "$@"` and exits with pytest's exit code.
#
# If PostgreSQL or Chromium cannot be provisioned, CI=true makes this a hard failure; otherwise
# a loud warning is printed and the suite runs anyway (it skips PostGIS/browser tests visibly).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO_ROOT"

VENV="$REPO_ROOT/.venv"
VENV_PY="$VENV/bin/python"
STAMP="$VENV/.localshelf-pyproject.sha256"

PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
TEST_DB=localshelf_test
TEST_URL="postgresql+psycopg://${PG_USER}@${PG_HOST}:${PG_PORT}/${TEST_DB}"

# One machine-wide lock: the database name is shared by every checkout on this
# machine, and a second run would DROP ... WITH (FORCE) the first run's database.
LOCK_FILE="${TMPDIR:-/tmp}/localshelf-test.lock"

step() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

is_ci() { [[ "${CI:-}" == "true" ]]; }

# ---------------------------------------------------------------------------
# Serialise concurrent runs (venv install and the shared test database).
# ---------------------------------------------------------------------------
if command -v flock >/dev/null 2>&1 && { exec 9>>"$LOCK_FILE"; } 2>/dev/null; then
  chmod a+rw "$LOCK_FILE" 2>/dev/null || true
  if ! flock -n 9; then
    step "another scripts/test.sh run holds $LOCK_FILE; waiting for it to finish"
    flock 9
  fi
fi

# ---------------------------------------------------------------------------
# 1. Virtualenv and dependencies
# ---------------------------------------------------------------------------
if [[ -x "$VENV_PY" ]] && "$VENV_PY" -c '' >/dev/null 2>&1; then
  step "using existing virtualenv .venv"
else
  if [[ -e "$VENV" ]]; then
    step "virtualenv .venv is broken (its python does not run); recreating it"
    rm -rf -- "$VENV"
  else
    step "creating virtualenv .venv"
  fi
  command -v python3 >/dev/null 2>&1 || die "python3 not found; install Python 3.11+ first"
  python3 -m venv "$VENV"
fi

if command -v sha256sum >/dev/null 2>&1; then
  want_hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
else
  want_hash="$("$VENV_PY" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' pyproject.toml)"
fi
have_hash="$(cat "$STAMP" 2>/dev/null || true)"

if [[ "$want_hash" == "$have_hash" ]]; then
  step "dependencies up to date (pyproject.toml unchanged since last install)"
else
  step "installing localshelf with the dev extra: pip install -e \".[dev]\""
  rm -f -- "$STAMP"
  "$VENV_PY" -m pip install --quiet --disable-pip-version-check -e ".[dev]" </dev/null
  printf '%s\n' "$want_hash" >"$STAMP"
fi

# ---------------------------------------------------------------------------
# 2. PostgreSQL + PostGIS test database
# ---------------------------------------------------------------------------
# Every step below checks its own result explicitly: provision_postgres is called in
# an `if` context, where `set -e` does not apply inside the function.
PROVISION_ERROR=""

# Run a command as root: directly when we are root, via passwordless sudo if possible.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    sudo -n "$@"
  else
    return 126
  fi
}

can_be_root() {
  [[ "$(id -u)" -eq 0 ]] || { command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; }
}

# psql as postgres over TCP; never prompt for a password, never hang on connect.
pg() {
  local db="$1"
  shift
  PGCONNECT_TIMEOUT=5 PGOPTIONS="-c client_min_messages=warning" psql -X -w -q -v ON_ERROR_STOP=1 \
    -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$db" "$@" </dev/null
}

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3 >/dev/null 2>&1; }

# Newest PostgreSQL version directory under /etc/postgresql (e.g. "15"), if any.
newest_etc_version() {
  local d versions=()
  for d in /etc/postgresql/*/; do
    [[ -d "$d" ]] && versions+=("$(basename "$d")")
  done
  ((${#versions[@]} > 0)) || return 1
  printf '%s\n' "${versions[@]}" | sort -V | tail -n 1
}

start_cluster() {
  local version=""
  # Prefer the cluster configured for our port; else the newest installed version.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    version="$(pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1; exit }')"
  fi
  if [[ -z "$version" ]]; then
    version="$(newest_etc_version || true)"
  fi
  [[ -n "$version" ]] || { PROVISION_ERROR="no PostgreSQL cluster found under /etc/postgresql"; return 1; }
  command -v pg_ctlcluster >/dev/null 2>&1 || { PROVISION_ERROR="pg_ctlcluster not found"; return 1; }
  step "starting PostgreSQL cluster $version/main"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start </dev/null || true
  local _
  for _ in $(seq 1 30); do
    pg_ready && return 0
    sleep 1
  done
  PROVISION_ERROR="PostgreSQL cluster $version/main did not come up on $PG_HOST:$PG_PORT within 30s"
  return 1
}

postgis_available() {
  [[ "$(pg postgres -tA -c "select 1 from pg_available_extensions where name = 'postgis'" 2>/dev/null)" == "1" ]]
}

server_major_version() {
  local num
  num="$(pg postgres -tA -c 'show server_version_num' 2>/dev/null || true)"
  if [[ "$num" =~ ^[0-9]+$ ]]; then
    echo $((num / 10000))   # 150020 -> 15 (valid for PostgreSQL >= 10)
  elif command -v pg_config >/dev/null 2>&1; then
    pg_config --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/'
  else
    newest_etc_version || true
  fi
}

# Install one Debian package (non-interactive); on failure APT_ERROR says why.
APT_ERROR=""
apt_install() {
  local pkg="$1" what="$2"
  local apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! command -v apt-get >/dev/null 2>&1; then
    APT_ERROR="$what is missing and apt-get is not available to install $pkg"
    return 1
  fi
  if ! can_be_root; then
    APT_ERROR="$what is missing and installing $pkg needs root (run as root or with passwordless sudo)"
    return 1
  fi
  step "$what missing: apt-get update"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" -qq update </dev/null; then
    APT_ERROR="apt-get update failed"
    return 1
  fi
  step "$what missing: apt-get install -y $pkg"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" -qq -y \
      --no-install-recommends install "$pkg" </dev/null; then
    APT_ERROR="apt-get install $pkg failed"
    return 1
  fi
}

install_postgis() {
  local pkg="postgresql-${1}-postgis-3"
  apt_install "$pkg" PostGIS || { PROVISION_ERROR="$APT_ERROR"; return 1; }
  if ! postgis_available; then
    PROVISION_ERROR="$pkg installed but the server still does not list the postgis extension"
    return 1
  fi
}

provision_postgres() {
  local tool
  for tool in psql pg_isready; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      PROVISION_ERROR="$tool not found: the PostgreSQL client/server packages are not installed"
      return 1
    fi
  done

  step "checking PostgreSQL on $PG_HOST:$PG_PORT"
  if ! pg_ready; then
    if ! can_be_root; then
      PROVISION_ERROR="PostgreSQL is not accepting connections on $PG_HOST:$PG_PORT and starting it needs root"
      return 1
    fi
    start_cluster || return 1
  fi

  # Connection check first, so a refused login is not mistaken for "PostGIS missing".
  local out
  if ! out="$(pg postgres -tA -c 'select 1' 2>&1)"; then
    PROVISION_ERROR="cannot connect as $PG_USER to $PG_HOST:$PG_PORT: ${out//$'\n'/ }"
    return 1
  fi

  local major
  major="$(server_major_version)"
  if ! [[ "$major" =~ ^[0-9]+$ ]]; then
    PROVISION_ERROR="could not determine the PostgreSQL server's major version (is user $PG_USER allowed on $PG_HOST?)"
    return 1
  fi
  step "PostgreSQL $major is running"

  if postgis_available; then
    step "PostGIS extension available"
  else
    install_postgis "$major" || return 1
    step "PostGIS extension installed"
  fi

  step "recreating database $TEST_DB with extensions postgis, pg_trgm"
  if ! pg postgres -c "DROP DATABASE IF EXISTS $TEST_DB WITH (FORCE)" -c "CREATE DATABASE $TEST_DB"; then
    PROVISION_ERROR="could not (re)create database $TEST_DB as $PG_USER@$PG_HOST"
    return 1
  fi
  if ! pg "$TEST_DB" -c 'CREATE EXTENSION postgis' -c 'CREATE EXTENSION pg_trgm'; then
    PROVISION_ERROR="could not create the postgis/pg_trgm extensions in $TEST_DB"
    return 1
  fi
}

if [[ -n "${LOCALSHELF_TEST_POSTGRES_URL:-}" ]]; then
  step "LOCALSHELF_TEST_POSTGRES_URL set by caller; using that database as is"
elif provision_postgres; then
  export LOCALSHELF_TEST_POSTGRES_URL="$TEST_URL"
  step "LOCALSHELF_TEST_POSTGRES_URL=$LOCALSHELF_TEST_POSTGRES_URL"
else
  if is_ci; then
    die "PostgreSQL/PostGIS test database could not be provisioned: $PROVISION_ERROR (CI=true: refusing to run without it)"
  fi
  warn "################################################################"
  warn "PostgreSQL/PostGIS test database could NOT be provisioned:"
  warn "  $PROVISION_ERROR"
  warn "PostGIS tests will be SKIPPED. Fix the above or set"
  warn "LOCALSHELF_TEST_POSTGRES_URL to a database with postgis + pg_trgm."
  warn "################################################################"
fi

# ---------------------------------------------------------------------------
# 2b. Real MCP clients (Inspector CLI, conformance suite) for tests/ecosystem/
# ---------------------------------------------------------------------------
if ! bash "$REPO_ROOT/scripts/mcp-clients.sh"; then
  is_ci && die "MCP clients (scripts/mcp-clients.sh) could not be installed (CI=true: refusing to skip tests/ecosystem)"
  warn "MCP clients could not be installed: tests/ecosystem will be SKIPPED (run scripts/mcp-clients.sh)"
fi

# ---------------------------------------------------------------------------
# 2c. Chromium for the browser tests (tests/e2e): Debian's `chromium` package, driven by
#     Playwright with executable_path; never `playwright install` (no downloaded browsers).
# ---------------------------------------------------------------------------
CHROMIUM_BIN="${LOCALSHELF_CHROMIUM:-/usr/bin/chromium}"
CHROMIUM_ERROR=""

install_chromium() {
  apt_install chromium Chromium || { CHROMIUM_ERROR="$APT_ERROR"; return 1; }
  if [[ ! -x "$CHROMIUM_BIN" ]]; then
    CHROMIUM_ERROR="chromium installed but $CHROMIUM_BIN is still missing"
    return 1
  fi
}

if [[ -x "$CHROMIUM_BIN" ]]; then
  step "Chromium for browser tests: $CHROMIUM_BIN"
elif install_chromium; then
  step "Chromium installed: $CHROMIUM_BIN"
elif is_ci; then
  die "Chromium for the browser tests could not be installed: $CHROMIUM_ERROR (CI=true: refusing to run without it)"
else
  warn "################################################################"
  warn "Chromium for the browser tests could NOT be installed:"
  warn "  $CHROMIUM_ERROR"
  warn "Browser tests (tests/e2e) will be SKIPPED. Install Debian's"
  warn "chromium package or set LOCALSHELF_CHROMIUM to a Chromium binary."
  warn "################################################################"
fi

# ---------------------------------------------------------------------------
# 3. Tests
# ---------------------------------------------------------------------------
# Two pytest-xdist workers by default, one per core of the CI machine (each worker has its own PostGIS database
# and SQLite files; a test file stays on one worker). LOCALSHELF_TEST_WORKERS=0 runs in one process; an explicit
# -n / -p no:xdist in the arguments wins.
args=("$@")
workers="${LOCALSHELF_TEST_WORKERS:-2}"
if [[ "$workers" != "0" && " $* " != *" -n"* && " $* " != *"no:xdist"* ]]; then
  args=(-n "$workers" --dist loadfile "${args[@]}")
fi
step "running: python -m pytest ${args[*]}"
rc=0
"$VENV_PY" -m pytest "${args[@]}" || rc=$?
step "pytest exited with code $rc"
exit "$rc"
