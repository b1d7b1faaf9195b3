#!/usr/bin/env bash
# Regenerates the hashed lock files from pyproject.toml (run it as `make lock`):
#   requirements/dev.txt    everything: the project, its audio and aws extras, the dev tools
#   requirements/voice.txt  dev.txt plus the voice extra: Piper and its voice (`make audio`)
#   requirements/serve.txt  what `workout-planner serve` needs, nothing more (`make run`)
#   requirements.txt        the Lambda bundle, from requirements/lambda.in (serverless.yml)
# dev.txt is resolved first; the others are constrained to its versions, so a package has
# the same version everywhere. Existing pins are kept unless asked:
#   ./scripts/lock.sh --upgrade                 # every package to its newest allowed version
#   ./scripts/lock.sh --upgrade-package flask   # just one
# Needs uv (in the dev lock: `make setup` installs it) and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

UV=${UV:-.venv/bin/uv}
if [ ! -x "$UV" ]; then
    UV=$(command -v uv) || { echo "lock: uv not found; run 'make setup' first" >&2; exit 1; }
fi
compile() {
    "$UV" pip compile --quiet --generate-hashes --custom-compile-command "make lock" "$@"
}

compile pyproject.toml --extra dev --universal --python-version 3.11 \
    -o requirements/dev.txt "$@"
compile pyproject.toml --extra dev --extra voice --universal --python-version 3.11 \
    -c requirements/dev.txt -o requirements/voice.txt
compile pyproject.toml --universal --python-version 3.11 \
    -c requirements/dev.txt -o requirements/serve.txt
# The Lambda runtime: CPython 3.12 on x86_64 Amazon Linux (serverless.yml's runtime).
compile requirements/lambda.in --python-version 3.12 --python-platform x86_64-manylinux_2_17 \
    -c requirements/dev.txt -o requirements.txt
echo "lock: requirements/dev.txt, voice.txt, serve.txt and requirements.txt are up to date"
