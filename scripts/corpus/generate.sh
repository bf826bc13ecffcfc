#!/usr/bin/env bash
# Regenerates the generated part of the legitimate mail corpus in
# tests/corpus/legit/ by RUNNING real mail generators (see README.md beside
# this file for which generator wrote which file and what varies per run).
# The hand-written messages there (names without a generator prefix) are
# left alone. Not part of CI: the corpus files are committed.
#
# Needs (installed when missing, like scripts/test.sh does):
#   Debian packages: neomutt s-nail mailutils git-email faketime tmux gnupg openssl
#                    python3 nodejs npm  (and a Rust toolchain: cargo)
#   npm:             nodemailer, pinned in node/package.json + package-lock.json (npm ci)
#   crates.io:       mail-builder, lettre (builder feature only), pinned in rust/Cargo.lock
#   PyPI:            nothing (Python's standard library `email` and `smtplib` only)
#
# Usage: scripts/corpus/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
legit="$root/tests/corpus/legit"
# File name prefixes of generated messages; everything else in $legit is hand-written.
prefixes=(python- nodemailer- mail-builder- lettre- neomutt- snail- mailutils- git-send-email- openssl- gpg-
  thunderbird-style- outlook-style- applemail-style- ios-style- gmail-style- k9-style- becky-style- foxmail-style-)

log() { printf '\n==> %s\n' "$*"; }

log "tools (Debian packages)"
# command:package pairs; a command that is already there (from any source) is not installed again.
need=(neomutt:neomutt s-nail:s-nail mail:mailutils faketime:faketime tmux:tmux gpg:gnupg openssl:openssl
  python3:python3 node:nodejs npm:npm)
missing=()
for pair in "${need[@]}"; do command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}"); done
# mail may be another mailx: GNU Mailutils' is the one wanted.
mail --version 2>/dev/null | grep -q 'GNU Mailutils' || missing+=(mailutils)
[ -x "$(git --exec-path)/git-send-email" ] || missing+=(git-email)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null || { echo "cargo (a Rust toolchain) is needed" >&2; exit 1; }

work=$(mktemp -d)
trap 'GNUPGHOME="$work/keys/gnupg" gpgconf --kill all 2>/dev/null || true; rm -rf "$work"' EXIT
out="$work/out"
mkdir -p "$out"

log "throwaway keys (S/MIME CA and certificates, OpenPGP keys)"
bash "$here/keys.sh" "$work/keys"

log "Python email + smtplib"
python3 "$here/python_email.py" "$out"

log "nodemailer"
(cd "$here/node" && npm ci --silent --no-audit --no-fund && node generate.js "$out")

log "Rust: mail-builder and lettre"
CARGO_TARGET_DIR="$root/target/corpus-gen" nice -n 10 cargo run --quiet --release --locked \
  --manifest-path "$here/rust/Cargo.toml" -- "$out"

log "NeoMutt, s-nail, GNU Mailutils, git send-email"
bash "$here/mua.sh" "$out" "$work/keys"

log "openssl (S/MIME) and gpg (OpenPGP)"
python3 "$here/crypto_mail.py" "$out" "$work/keys"

log "client-style reproductions"
python3 "$here/client_styles.py" "$out"

log "check and install into tests/corpus/legit"
python3 "$here/corpuslib.py" check "$out"/*.eml
for p in "${prefixes[@]}"; do rm -f "$legit/$p"*.eml; done
stray=$(find "$out" -name '*.eml' | while read -r f; do
  n=$(basename "$f"); ok=no
  for p in "${prefixes[@]}"; do case $n in "$p"*) ok=yes ;; esac; done
  [ $ok = yes ] || echo "$n"
done)
[ -z "$stray" ] || { echo "generated files without a known prefix: $stray" >&2; exit 1; }
cp "$out"/*.eml "$legit/"
python3 "$here/corpuslib.py" check "$legit"/*.eml
echo "generated: $(find "$out" -name '*.eml' | wc -l); in tests/corpus/legit: $(find "$legit" -name '*.eml' | wc -l) ($(du -sh "$legit" | cut -f1))"
