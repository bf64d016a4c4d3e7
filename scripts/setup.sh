#!/usr/bin/env bash
# Installs what Pulih needs and is missing: Debian packages (PostGIS, pgRouting, GDAL/GEOS/PROJ, Redis, gettext) and a
# virtualenv with the pinned dependencies. Idempotent: a second run checks and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[pulih setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[pulih setup] %s\033[0m\n' "$*" >&2; exit 1; }

PG_MAJOR=${PG_MAJOR:-15}
# pgRouting: travel times over roads, ferries and rivers (backend/travel); osmium-tool cuts a province out of a
# country extract (README "Travel times").
APT_PACKAGES=(postgresql-$PG_MAJOR postgresql-$PG_MAJOR-postgis-3 postgresql-$PG_MAJOR-pgrouting osmium-tool libgdal32 libgeos-c1v5 libproj25 redis-server gettext python3-venv)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install ${missing[*]} (or install them yourself)"
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || die "apt-get update failed: check the network / apt sources"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed: see the apt output above"
else
  say "Debian packages present"
fi

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON=$candidate; break
    fi
  done
fi
[ -n "$PYTHON" ] || die "Python 3.11 is required (Debian 12's python3 is 3.11)"

stamp=".venv/.pulih-installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  if [ ! -x .venv/bin/python ]; then
    say "creating virtualenv .venv with $PYTHON"
    "$PYTHON" -m venv .venv || die "could not create .venv (install python3-venv)"
  fi
  say "installing Python dependencies (pinned in pyproject.toml)"
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  .venv/bin/pip install -q --disable-pip-version-check -e ".[dev]" || die "pip install failed: see above"
  rm -f .venv/.pulih-installed-*
  touch "$stamp"
else
  say "virtualenv up to date"
fi

# Translations (Bahasa Indonesia is the source language; English is compiled from locale/en).
.venv/bin/python manage.py compilemessages -l en -v 0 --ignore=.venv >/dev/null 2>&1 \
  || die "compilemessages failed (is gettext installed?)"

# Front-end libraries of the web view (Leaflet, Chart.js): from the npm registry, pinned by
# web/frontend/package-lock.json, copied to web/static/web/vendor and served by the app itself (no CDN).
vendor=web/static/web/vendor
assets_stamp="$vendor/.installed-$(cat web/frontend/package-lock.json scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$assets_stamp" ]; then
  if ! command -v npm >/dev/null; then
    say "installing Debian package npm (for the web view's Leaflet and Chart.js)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null \
      || die "could not install npm: the web view needs Leaflet and Chart.js from the npm registry"
  fi
  say "installing the web view's front-end libraries (npm ci in web/frontend)"
  npm ci --prefix web/frontend --no-audit --no-fund --loglevel=error >/dev/null \
    || die "npm ci in web/frontend failed: see the npm output above"
  rm -rf "$vendor" && mkdir -p "$vendor"
  # With their source maps: the scripts name them, and collectstatic's manifest refuses a missing one.
  leaflet=web/frontend/node_modules/leaflet/dist chart=web/frontend/node_modules/chart.js/dist
  cp "$leaflet/leaflet.js" "$leaflet/leaflet.js.map" "$leaflet/leaflet.css" "$chart/chart.umd.js" \
    "$chart/chart.umd.js.map" "$vendor/"
  cp -r "$leaflet/images" "$vendor/images"
  touch "$assets_stamp"
else
  say "web view front-end libraries up to date"
fi

# Debian's Chromium for the browser test (tests/web/test_browser.py drives /usr/bin/chromium through Playwright's
# executable_path; Playwright never downloads a browser here). Not needed to run Pulih: when it cannot be
# installed, the browser test is skipped and says why.
if [ ! -x /usr/bin/chromium ] && [ "${PULIH_SKIP_CHROMIUM:-0}" != "1" ]; then
  say "installing Debian package chromium (for the browser test)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
      || say "could not install chromium: the browser test will be skipped"
  fi
fi
