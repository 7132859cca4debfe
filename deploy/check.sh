#!/usr/bin/env bash
# Checks the release artefacts of Frontdesk (docs/operations.md, "Installing a release"):
#   1. builds the wheel and the sdist (python -m build), the wheel the container installs,
#      and checks the wheel carries the themes and the default config;
#   2. verifies deploy/frontdesk.service with systemd-analyze, where it is installed;
#   3. builds deploy/Containerfile with podman or docker, where one is installed.
# Prints one "<part>: ok|skipped|FAILED (why)" line per part; exits non-zero only on a
# failure of Frontdesk's own files, never because a tool or a base image is unavailable.
#
# Environment: PYTHON (default .venv/bin/python, else python3), DIST_DIR (default dist/),
# BUILD_ISOLATION=0 (build with the installed backend instead of a fresh one),
# CONTAINER=auto|podman|docker|skip (default auto), IMAGE (default frontdesk:check),
# PYTHON_IMAGE (another base image, e.g. a mirror's python:3.11-slim), CONTAINER_BUILD_ARGS
# (more arguments for the build, e.g. --isolation=chroot for podman inside a container).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
DIST_DIR=${DIST_DIR:-$ROOT/dist}
CONTAINER=${CONTAINER:-auto}
IMAGE=${IMAGE:-frontdesk:check}
status=0

# --- 1. The wheel and the sdist ---------------------------------------------------------
build_args=(--outdir "$DIST_DIR")
[ "${BUILD_ISOLATION:-1}" = 0 ] && build_args+=(--no-isolation)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$PYTHON" -m build "${build_args[@]}" "$ROOT" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "wheel: FAILED (python -m build; output above)"
  exit 1
fi
version=$("$PYTHON" -c 'import tomllib, sys; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$ROOT/pyproject.toml")
wheel="$DIST_DIR/frontdesk-$version-py3-none-any.whl"
missing=$("$PYTHON" - "$wheel" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
needed = ["core/_bundled/config/default.toml", "core/_bundled/themes/default/templates/base.html",
          "core/_bundled/themes/default/static/css/frontdesk.css", "core/scaffold/template/package/models.py.tmpl"]
print(" ".join(name for name in needed if name not in names))
PY
)
if [ -n "$missing" ]; then
  echo "wheel: FAILED ($wheel lacks $missing)"
  exit 1
fi
echo "wheel: ok ($wheel)"

# --- 2. The systemd unit ------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify checks ExecStart's binary exists: point it at a stand-in on a scratch copy.
  scratch=$(mktemp -d)
  trap 'rm -f "$log"; rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/bin"
  printf '#!/bin/sh\nexit 0\n' >"$scratch/bin/frontdesk"
  chmod +x "$scratch/bin/frontdesk"
  sed -e "s#/opt/frontdesk/venv/bin/frontdesk#$scratch/bin/frontdesk#g" \
      -e "s#^EnvironmentFile=.*#EnvironmentFile=-$ROOT/deploy/frontdesk.env.example#" \
      "$ROOT/deploy/frontdesk.service" >"$scratch/frontdesk.service"
  if out=$(systemd-analyze verify --man=no "$scratch/frontdesk.service" 2>&1); then
    # verify exits 0 on some warnings; treat any line naming the unit as a failure.
    if grep -q "frontdesk.service" <<<"$out"; then
      echo "$out" >&2; echo "unit: FAILED (systemd-analyze verify; output above)"; status=1
    else
      echo "unit: ok (systemd-analyze verify)"
    fi
  else
    if grep -qiE "frontdesk.service" <<<"$out"; then
      echo "$out" >&2; echo "unit: FAILED (systemd-analyze verify; output above)"; status=1
    else
      # No systemd running (a container, a CI runner): verify cannot load its own units.
      echo "unit: skipped (systemd-analyze cannot run here: $(head -n 1 <<<"$out"))"
    fi
  fi
else
  echo "unit: skipped (systemd-analyze is not installed)"
fi

# --- 3. The container image ---------------------------------------------------------------
engine=""
case "$CONTAINER" in
  skip) ;;
  auto) for candidate in podman docker; do
          if command -v "$candidate" >/dev/null 2>&1; then engine=$candidate; break; fi
        done ;;
  *) engine=$CONTAINER ;;
esac
build_extra=()
if [ -n "${PYTHON_IMAGE:-}" ]; then build_extra+=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE"); fi
read -r -a more <<<"${CONTAINER_BUILD_ARGS:-}"
build_extra+=("${more[@]}")
if [ "$CONTAINER" = skip ]; then
  echo "container: skipped (CONTAINER=skip)"
elif [ -z "$engine" ]; then
  echo "container: skipped (neither podman nor docker is installed)"
elif ! "$engine" info >/dev/null 2>&1; then
  echo "container: skipped ($engine cannot reach its daemon or runtime)"
elif "$engine" build "${build_extra[@]}" -f "$ROOT/deploy/Containerfile" -t "$IMAGE" "$ROOT" >"$log" 2>&1; then
  echo "container: ok ($engine build -t $IMAGE)"
elif grep -qiE "resolve source metadata|pull access denied|error pulling|failed to pull|trying to pull|manifest unknown|initializing source|Error response from daemon: Get" "$log"; then
  echo "container: skipped (the base image could not be pulled: $(grep -iE 'error|failed' "$log" | tail -n 1))"
elif grep -qiE "Failed to establish a new connection|No matching distribution found|Temporary failure in name resolution|Network is unreachable" "$log"; then
  echo "container: skipped (the build could not reach the package index: $(grep -iE 'error' "$log" | tail -n 1))"
else
  tail -n 30 "$log" >&2
  echo "container: FAILED ($engine build; output above)"
  status=1
fi
exit $status
