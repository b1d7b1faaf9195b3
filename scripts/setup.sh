#!/usr/bin/env bash
# Sets up a fresh machine for running and testing the skill:
# - espeak-ng (the offline voice for the cues) from Debian, when root and missing;
# - a virtualenv with the project and its dev extras;
# - with --node: the Serverless Framework v3 from package-lock.json, for the packaging test;
# - with --bench: wrk, the HTTP load generator the benchmark prefers.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, installed when missing (as root) or named for the person to install.
need_debian() {  # need_debian COMMAND PACKAGE...
    command -v "$1" >/dev/null 2>&1 && return 0
    shift
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        echo "setup: missing; install with: sudo apt-get install $*" >&2
        return 1
    fi
}

need_debian espeak-ng espeak-ng || true  # only `audio build` needs it

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q -e '.[dev]'

if [ "${1:-}" = "--node" ]; then
    need_debian npm nodejs npm
    npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--bench" ]; then
    need_debian wrk wrk || echo "setup: without wrk the benchmark uses its slower Python client" >&2
fi
