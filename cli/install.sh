#!/usr/bin/env bash
# Installs the `biosim` command: a framework-dependent publish of cli/ into PREFIX/lib/biosim (the plotting library's
# native libraries included, which a single-file publish loses) and a wrapper PREFIX/bin/biosim that `exec`s dotnet on it,
# so that a scheduler's signals (SIGTERM, SIGUSR1) reach biosim itself and job scripts can call `biosim` from anywhere.
#
#   bash cli/install.sh            # PREFIX=/usr/local (with sudo when not root), the same as .ci/setup's packages
#   bash cli/install.sh ~/.local   # a user install: add ~/.local/bin to PATH
#
# Needs the .NET 10 SDK (dotnet) and the packages .ci/setup installs; run it again after pulling to update.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-/usr/local}"
SUDO=""
if [ ! -w "$(dirname "$prefix")" ] && [ "$(id -u)" != 0 ] && [ ! -d "$prefix" -o ! -w "$prefix" ]; then SUDO="sudo"; fi
dotnet_path="$(command -v dotnet)" || { echo "install: the .NET 10 SDK (dotnet) is required and was not found on PATH" >&2; exit 1; }
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
dotnet publish cli/BioSim.Cli.csproj -c Release -o "$staging/lib" --nologo -v q
$SUDO mkdir -p "$prefix/lib" "$prefix/bin"
$SUDO rm -rf "$prefix/lib/biosim"
$SUDO cp -r "$staging/lib" "$prefix/lib/biosim"
cat > "$staging/biosim" <<WRAPPER
#!/bin/sh
# Installed by BioSim's cli/install.sh from $(pwd) ($(git rev-parse --short HEAD 2>/dev/null || echo "unknown commit")).
exec "$dotnet_path" "$prefix/lib/biosim/biosim.dll" "\$@"
WRAPPER
$SUDO install -m 755 "$staging/biosim" "$prefix/bin/biosim"
echo "install: $prefix/bin/biosim ($("$prefix/bin/biosim" --version))"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "install: $prefix/bin is not on PATH; add it (export PATH=\"$prefix/bin:\$PATH\") to call biosim by name" >&2 ;;
esac
