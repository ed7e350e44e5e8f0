#!/usr/bin/env bash
# Installs the `biosim` command: a framework-dependent, ReadyToRun publish of cli/ into PREFIX/lib/biosim (the plotting
# library's native libraries included, which a single-file publish loses) and a wrapper PREFIX/bin/biosim that `exec`s
# dotnet on it, so that a scheduler's signals (SIGTERM, SIGUSR1) reach biosim itself and job scripts can call `biosim` from
# anywhere.
#
#   bash cli/install.sh            # PREFIX=/usr/local (with sudo when not root), the same as .ci/setup's packages
#   bash cli/install.sh ~/.local   # a user install: add ~/.local/bin to PATH
#
# ReadyToRun (precompiled native code in every assembly) halves the start-up of a short run (a sweep starts one biosim
# per task): it needs the runtime pack and crossgen2 for this machine's runtime identifier, which dotnet restores from
# NuGet on the first install. The publish runs on a copy of the sources, because a runtime-specific restore rewrites every
# project's packages.lock.json and obj/ (the repository's stay as they are). Where that restore fails (offline, no
# crossgen2 for this platform), the install says so and falls back to a portable publish without ReadyToRun.
#
# Needs the .NET 10 SDK (dotnet) and the packages .ci/setup installs; run it again after pulling to update.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-/usr/local}"
SUDO=""
if [ ! -w "$(dirname "$prefix")" ] && [ "$(id -u)" != 0 ] && [ ! -d "$prefix" -o ! -w "$prefix" ]; then SUDO="sudo"; fi
dotnet_path="$(command -v dotnet)" || { echo "install: the .NET 10 SDK (dotnet) is required and was not found on PATH" >&2; exit 1; }
case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) rid="" ;;
esac
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
# The sources the command is built from (no tests, benchmarks, examples, build outputs or git data).
mkdir -p "$staging/src"
tar -cf - --exclude='./*/bin' --exclude='./*/obj' --exclude=./.git --exclude=./tests --exclude=./benchmarks --exclude=./examples . \
  | tar -C "$staging/src" -xf -
# The copy has no git data: name the commit, so that the version (0.1.0+commit, which checkpoints carry and which decides
# whether a checkpoint may be resumed) is the same as a build in the repository.
revision=()
if commit="$(git rev-parse HEAD 2>/dev/null)"; then revision=("-p:SourceRevisionId=$commit"); fi
kind="portable"
if [ -n "$rid" ] && dotnet publish "$staging/src/cli/BioSim.Cli.csproj" -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true \
     "${revision[@]}" -o "$staging/lib" --nologo -v q >"$staging/publish.log" 2>&1; then
  kind="ReadyToRun $rid"
else
  [ -z "$rid" ] || { echo "install: the ReadyToRun publish for $rid failed; installing a portable publish (slower start-up):" >&2; tail -5 "$staging/publish.log" >&2; }
  rm -rf "$staging/lib"
  dotnet publish "$staging/src/cli/BioSim.Cli.csproj" -c Release "${revision[@]}" -o "$staging/lib" --nologo -v q
fi
$SUDO mkdir -p "$prefix/lib" "$prefix/bin"
$SUDO rm -rf "$prefix/lib/biosim"
$SUDO cp -r "$staging/lib" "$prefix/lib/biosim"
cat > "$staging/biosim" <<WRAPPER
#!/bin/sh
# Installed by BioSim's cli/install.sh from $(pwd) ($(git rev-parse --short HEAD 2>/dev/null || echo "unknown commit"); $kind).
exec "$dotnet_path" "$prefix/lib/biosim/biosim.dll" "\$@"
WRAPPER
$SUDO install -m 755 "$staging/biosim" "$prefix/bin/biosim"
echo "install: $prefix/bin/biosim ($("$prefix/bin/biosim" --version); $kind)"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "install: $prefix/bin is not on PATH; add it (export PATH=\"$prefix/bin:\$PATH\") to call biosim by name" >&2 ;;
esac
