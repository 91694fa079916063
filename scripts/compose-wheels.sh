#!/usr/bin/env bash
# Download into compose/wheels/ every wheel the evalbox image installs (the site, the worker,
# Flower and the build backend), for Python 3.11 on Linux x86-64 (Debian bookworm's python3), with
# this machine's pip configuration: compose/debian-build.yml then builds the image with no index.
# Idempotent: pip skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP="${PIP:-.venv/bin/pip}"
deps=$(.venv/bin/python - <<'PY'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))
extras = project["project"]["optional-dependencies"]
print("\n".join(project["project"]["dependencies"] + extras["site"] + extras["worker"]
                + project["build-system"]["requires"] + ["flower>=2.0,<3", "wheel"]))
PY
)
mapfile -t requirements <<<"$deps"
echo "compose-wheels: downloading ${#requirements[@]} requirements into compose/wheels/" >&2
"$PIP" download -q --dest compose/wheels --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --platform linux_x86_64 --implementation cp \
    --abi cp311 --abi abi3 --abi none "${requirements[@]}"
echo "compose-wheels: $(ls compose/wheels/*.whl | wc -l) wheels in compose/wheels/" >&2
