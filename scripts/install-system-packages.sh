#!/usr/bin/env bash
# Install the Debian packages listed in scripts/system-packages.txt that are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
wanted=$(grep -v '^#' scripts/system-packages.txt | tr -s ' \n' ' ' || true)
missing=()
for pkg in $wanted; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_="sudo"
$sudo_ apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
