#!/bin/sh
# Installs the Debian packages docgen needs when run as root; otherwise prints the
# exact command. Idempotent: does nothing when everything is already there.
set -eu

# Each check below names the Debian package that provides what it looks for: LibreOffice and fonts
# for the documents; poppler and NSS tools for the tests' PDF and seal checks; German hyphenation
# patterns; Chromium (+ driver) for the web app's browser tests; Redis and PostgreSQL for the workers
# past one machine (the tests start their own throw-away instances); npm for axe-core.
missing=""
command -v soffice >/dev/null 2>&1 || missing="$missing libreoffice-writer-nogui"
/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || missing="$missing python3-uno"
if command -v fc-list >/dev/null 2>&1; then
    fc-list : family | grep -q "Liberation Sans" || missing="$missing fonts-liberation2"
    fc-list : family | grep -q "Carlito" || missing="$missing fonts-crosextra-carlito"
else
    missing="$missing fontconfig fonts-liberation2 fonts-crosextra-carlito"
fi
command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v certutil >/dev/null 2>&1 || missing="$missing libnss3-tools"
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || missing="$missing python3-venv"
[ -e /usr/share/hyphen/hyph_de_DE.dic ] || missing="$missing hyphen-de"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v npm >/dev/null 2>&1 || missing="$missing npm"  # fetches axe-core for the accessibility test
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"

if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "docgen: installiere Systempakete:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Only what is missing: a machine whose Node.js brings its own npm cannot also take Debian's npm
    # package (they conflict), and what is there already stays as it is.
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "docgen: es fehlen Systempakete. Bitte als root ausführen:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi
