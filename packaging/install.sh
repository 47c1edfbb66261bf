#!/usr/bin/env bash
# pkiadmin offline installer. Run from the unpacked bundle on the air-gapped machine:
#   ./install.sh [--prefix DIR] [--bindir DIR]      install (no network is used)
#   ./install.sh --uninstall [--prefix DIR]         remove what install.sh installed
# It refuses to install if any file of the bundle does not match SHA256SUMS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
prefix="$data_home/pkiadmin-app"
bindir="$HOME/.local/bin"
mode=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --bindir) bindir=$2; shift 2 ;;
    --uninstall) mode=uninstall; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
record="$prefix/installed-files.txt"

fail() { echo "install.sh: $*" >&2; exit 1; }

if [ "$mode" = uninstall ]; then
  [ -f "$record" ] || fail "nothing to uninstall: $record does not exist."
  while IFS= read -r path; do
    [ -n "$path" ] && rm -f -- "$path"
  done < "$record"
  rm -rf -- "$prefix/venv"
  rm -f -- "$record"
  rmdir -- "$prefix" 2>/dev/null || true
  echo "pkiadmin uninstalled (workspaces are kept; remove them yourself if you mean to)."
  exit 0
fi

# 1. Every file must match the manifest, and nothing may be added to the bundle.
cd "$here"
[ -f SHA256SUMS ] || fail "SHA256SUMS is missing; this is not a complete pkiadmin bundle."
if ! sha256sum --check --strict --quiet SHA256SUMS; then
  fail "a file of the bundle does not match its SHA-256 in SHA256SUMS. Do not install: copy the bundle again and check the bundle's own SHA-256."
fi
listed=$(sed -E 's/^[0-9a-f]{64} [ *]//' SHA256SUMS | sed 's|^\./||' | sort)
present=$(find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort)
if [ "$listed" != "$present" ]; then
  extra=$(comm -13 <(echo "$listed") <(echo "$present") | tr '\n' ' ')
  fail "the bundle holds files that SHA256SUMS does not list: $extra. Do not install."
fi
echo "Bundle verified: every file matches SHA256SUMS."

# 2. Python and the Debian packages pkiadmin needs.
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || fail "Python 3.11 or newer is needed (python3 is $(python3 --version 2>&1))."
missing=()
while IFS= read -r pkg; do
  case "$pkg" in ''|\#*) continue ;; esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < debian-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  if [ -d debs ] && [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages from the bundle: ${missing[*]}"
    dpkg -i debs/*.deb
  else
    fail "these Debian packages are missing: ${missing[*]}. Install them (the bundle's debs/ folder has them if it was built with --with-debs; run as root to install them)."
  fi
fi

# 3. A dedicated virtual environment, from the bundle's wheels only, every hash checked.
#    PIP_CONFIG_FILE=/dev/null: no pip configuration of this machine can add an index.
mkdir -p "$prefix" "$bindir"
python3 -m venv "$prefix/venv"
PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 "$prefix/venv/bin/python" -m pip install --quiet \
  --disable-pip-version-check --no-index --find-links "$here/wheels" --require-hashes -r "$here/requirements.txt"

# 4. Launchers on PATH, desktop entry and icon in the XDG locations.
applications="$data_home/applications"
icons="$data_home/icons/hicolor/scalable/apps"
mkdir -p "$applications" "$icons"
ln -sf "$prefix/venv/bin/pkiadmin" "$bindir/pkiadmin"
ln -sf "$prefix/venv/bin/pkiadmin-cli" "$bindir/pkiadmin-cli"
sed "s|^Exec=pkiadmin$|Exec=$bindir/pkiadmin|" pkiadmin.desktop > "$applications/pkiadmin.desktop"
cp pkiadmin.svg "$icons/pkiadmin.svg"
printf '%s\n' "$bindir/pkiadmin" "$bindir/pkiadmin-cli" "$applications/pkiadmin.desktop" "$icons/pkiadmin.svg" > "$record"

"$bindir/pkiadmin-cli" --version
echo "Installed. Start it from the applications menu or with: $bindir/pkiadmin"
case ":$PATH:" in *":$bindir:"*) ;; *) echo "Note: $bindir is not on PATH; add it, or use the full path." ;; esac
