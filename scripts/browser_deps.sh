#!/bin/sh
# Browser tests drive Debian's Chromium (never `playwright install`). When it or the CJK fonts are missing, install them
# with apt-get if we are root or sudo works without a password; otherwise say so and leave it (make test then skips
# the browser tests outside CI).
set -u
missing=""
[ -x "${XIAOGUAN_CHROMIUM:-/usr/bin/chromium}" ] || missing=" chromium"  # the path tests/e2e/conftest.py uses
if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed" || missing="$missing fonts-noto-cjk"
fi
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser tests: missing$missing and there is no apt-get here; install Chromium (and Noto CJK fonts) yourself." >&2
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "browser tests: missing$missing; run 'sudo apt-get install -y chromium fonts-noto-cjk' to enable them." >&2
    exit 0
fi
echo "browser tests: installing$missing with apt-get ..." >&2
apt="$sudo env DEBIAN_FRONTEND=noninteractive apt-get"
# shellcheck disable=SC2086  # $apt and $missing are word lists
$apt install -y -q $missing >/dev/null 2>&1 || {
    $apt update -q >/dev/null 2>&1
    $apt install -y -q $missing >/dev/null || echo "browser tests: apt-get could not install$missing." >&2
}
exit 0
