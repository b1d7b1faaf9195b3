#!/usr/bin/env bash
# Sets up a fresh machine for running and testing the skill, from the hashed lock files
# (regenerate them with `make lock` after editing pyproject.toml):
#   scripts/setup.sh          a virtualenv with requirements/dev.txt (tests, linters, audio
#                             tools), and espeak-ng (the light offline engine) from Debian;
#   scripts/setup.sh --voice  the same with requirements/voice.txt: dev and Piper with its voice
#                             (`make audio`, and `make test`, some of whose tests render with it);
#   scripts/setup.sh --serve  a virtualenv with requirements/serve.txt only: what `serve` needs;
#   --node                    also the Serverless Framework v3 and apl-suggester (Amazon's APL
#                             validator, for the screen tests) from package-lock.json;
#   --bench                   also wrk, the HTTP load generator the benchmark prefers.
set -euo pipefail
cd "$(dirname "$0")/.."

LOCK=requirements/dev.txt
NODE=0
BENCH=0
for arg in "$@"; do
    case "$arg" in
        --serve) LOCK=requirements/serve.txt ;;
        --voice) LOCK=requirements/voice.txt ;;
        --node) NODE=1 ;;
        --bench) BENCH=1 ;;
        *) echo "setup: unknown option $arg (--serve, --voice, --node, --bench)" >&2; exit 2 ;;
    esac
done

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

if [ "$LOCK" != requirements/serve.txt ]; then
    need_debian espeak-ng espeak-ng || true  # only `audio build` needs it
    # tests/test_nginx.py runs deploy/nginx/ in front of `serve`; nginx lives in /usr/sbin.
    PATH="$PATH:/usr/sbin" need_debian nginx nginx || true
fi

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# Exactly the locked versions, each checked against its hash; then the project itself, whose
# dependencies the lock already holds.
"$VENV/bin/pip" install -q --require-hashes --no-deps -r "$LOCK"
"$VENV/bin/pip" install -q --no-deps -e .

if [ "$NODE" = 1 ]; then
    need_debian npm nodejs npm
    npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$BENCH" = 1 ]; then
    need_debian wrk wrk || echo "setup: without wrk the benchmark uses its slower Python client" >&2
fi
