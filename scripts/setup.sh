#!/bin/sh
# Make .venv ready: built on the newest Python >= 3.12 found (scripts/find_python.sh), with xiaoguan and its dev
# dependencies installed. Idempotent and quick when nothing changed: the install is keyed on pyproject.toml's content.
set -eu
cd "$(dirname "$0")/.."
python=$(scripts/find_python.sh)
minor='import sys; print("%d.%d" % sys.version_info[:2])'
want=$("$python" -c "$minor")
have=$(.venv/bin/python -c "$minor" 2>/dev/null || echo none)
if [ "$have" != "$want" ]; then
    if [ -e .venv ]; then
        echo "setup: .venv runs Python $have, not $want: rebuilding it with $python" >&2
        rm -rf .venv
    fi
    "$python" -m venv .venv
fi
stamp=.venv/.xiaoguan-installed
key=$(cksum < pyproject.toml)
if [ "$(cat "$stamp" 2>/dev/null)" != "$key" ]; then
    echo "setup: installing xiaoguan and its dev dependencies into .venv (Python $want) ..." >&2
    # pip's build step is chatty even with --quiet; its output is shown only when the install fails.
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' > .venv/setup.log 2>&1; then
        cat .venv/setup.log >&2
        echo "setup: pip install failed (log above, also in .venv/setup.log)" >&2
        exit 1
    fi
    echo "$key" > "$stamp"
fi
