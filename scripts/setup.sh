#!/usr/bin/env bash
# Sets up a fresh machine for running and testing the skill:
# - espeak-ng (the offline voice for the cues) from Debian, when root and missing;
# - a virtualenv with the project and its dev extras;
# - with --node: the Serverless Framework v3 from package-lock.json, for the packaging test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v espeak-ng >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null
    else
        echo "setup: espeak-ng is missing; install it with: sudo apt-get install espeak-ng" >&2
    fi
fi

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q -e '.[dev]'

if [ "${1:-}" = "--node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "setup: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }
    npm ci --no-audit --no-fund --loglevel=error
fi
