#!/usr/bin/env bash
# Makes the throwaway keys the signed and encrypted corpus messages use, in
# DIR (never anywhere else): an S/MIME CA with certificates for
# a@tenant.example and bob@example.net (openssl), and an OpenPGP keyring
# with keys for both (gpg, GNUPGHOME=DIR/gnupg, no passphrases).
# Created with a clock set to January 2024 so that they are valid at the
# fixed dates of the corpus. A fresh set on every run: signatures vary.
#
# Usage: keys.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir/smime"
# The tools' chatter goes to a log that is shown when a step fails.
log="$dir/keys.log"
exec 3>&2 2>"$log"
trap 'status=$?; [ $status -eq 0 ] || { cat "$log" >&3; echo "keys.sh failed ($status)" >&3; }' EXIT
clock=(faketime '2024-01-15 08:00:00')

cd "$dir/smime"
"${clock[@]}" openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
  -subj "/O=Tenant Example/CN=Tenant Example Throwaway CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout ca.key -out ca.pem
for who in "alice:Alice Tenant:a@tenant.example" "bob:Bob Example:bob@example.net"; do
  IFS=: read -r file cn mail <<<"$who"
  "${clock[@]}" openssl req -newkey rsa:2048 -nodes -subj "/O=Tenant Example/CN=$cn/emailAddress=$mail" \
    -keyout "$file.key" -out "$file.csr"
  printf 'subjectAltName=email:%s\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n' "$mail" > "$file.ext"
  "${clock[@]}" openssl x509 -req -in "$file.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
    -extfile "$file.ext" -out "$file.pem"
  cat "$file.key" "$file.pem" > "$file.pair.pem"
done

export GNUPGHOME="$dir/gnupg"
mkdir -m 700 -p "$GNUPGHOME"
gpg=("${clock[@]}" gpg --batch --quiet --pinentry-mode loopback --passphrase '')
for uid in "Alice Tenant <a@tenant.example>" "Bob Example <bob@example.net>"; do
  "${gpg[@]}" --quick-gen-key "$uid" ed25519 sign,cert never
  fpr=$(gpg --list-keys --with-colons "$uid" | awk -F: '/^fpr/ {print $10; exit}')
  "${gpg[@]}" --quick-add-key "$fpr" cv25519 encr never
done
gpgconf --kill gpg-agent || true
