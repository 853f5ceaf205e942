#!/usr/bin/env bash
# Builds the appliance image: ./build.sh [mkosi options], e.g. ./build.sh (a directory tree in
# mkosi.output/), ./build.sh --format=gpt_squashfs --bootable (a disk image). As root.
#
# 1. The kiosk's wheels into mkosi.staging/: this checkout as a wheel, and every runtime
#    dependency pinned by constraints.txt (pip's cache makes a second run quick), with
#    systemd/ and docs/. mkosi.postinst installs them offline inside the image, so the image
#    holds exactly the tested versions.
# 2. mkosi build, in a private mount namespace with a tmpfs on /run/systemd/nspawn:
#    systemd-nspawn (which runs mkosi.postinst) refuses to clean up its
#    propagation directory when /run is not a tmpfs, as on a container host without systemd.
set -euo pipefail
cd "$(dirname "$0")"
REPO=$(cd .. && pwd)
PY=${BDMI_PYTHON:-$REPO/.venv/bin/python}
say() { printf '[image] %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { say "ERROR: mkosi needs root (debootstrap, mounts, nspawn)"; exit 1; }
command -v mkosi >/dev/null || { say "ERROR: mkosi missing: apt-get install mkosi (bootstrap.sh does)"; exit 1; }
[ -x "$PY" ] || { say "ERROR: $PY missing: run ./bootstrap.sh first"; exit 1; }

STAGE=mkosi.staging/root/bdmi-install
say "step 1/2: wheels and files for the image -> images/$STAGE"
rm -rf mkosi.staging && mkdir -p "$STAGE/wheels" mkosi.cache mkosi.output
# Runtime dependencies only (pyproject's [project] dependencies), at the pinned versions.
"$PY" -m pip wheel --quiet --disable-pip-version-check -c "$REPO/constraints.txt" \
    -w "$STAGE/wheels" "$REPO"
cp "$REPO/constraints.txt" "$STAGE/"
cp -r "$REPO/systemd" "$REPO/docs" "$STAGE/"
say "  $(ls "$STAGE/wheels" | wc -l) wheels, $(du -sh "$STAGE/wheels" | cut -f1)"

say "step 2/2: mkosi build $*"
mkdir -p /run/systemd/nspawn
exec unshare --mount --propagation private sh -c \
    'mount -t tmpfs tmpfs /run/systemd/nspawn && exec mkosi "$@" build' mkosi --force "$@"
