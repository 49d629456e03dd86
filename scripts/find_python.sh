#!/bin/sh
# Print the path of the newest Python >= 3.12 on this machine: python3.1x on PATH, else pyenv's versions folder.
# Each candidate is run, so a pyenv shim that is not active for this folder, or an old `python3`, is skipped.
# Exit 1 with a message on stderr when there is none.
set -u
best_version=0
best=""
consider() {
    version=$("$1" -c 'import sys, venv; print("%d%02d%03d" % sys.version_info[:3])' 2>/dev/null) || return 0
    if [ "$version" -ge 312000 ] && [ "$version" -gt "$best_version" ]; then
        best_version=$version
        best=$1
    fi
}
for name in python3.19 python3.18 python3.17 python3.16 python3.15 python3.14 python3.13 python3.12 python3; do
    path=$(command -v "$name" 2>/dev/null) && consider "$path"
done
if [ -z "$best" ]; then
    for path in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
        [ -x "$path" ] && consider "$path"
    done
fi
if [ -z "$best" ]; then
    echo "No Python 3.12 or newer found (looked for python3.12+ on PATH and in ~/.pyenv/versions). Install one, e.g. 'apt-get install python3.12' or 'pyenv install 3.13'." >&2
    exit 1
fi
echo "$best"
