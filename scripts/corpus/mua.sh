#!/usr/bin/env bash
# Legitimate mail written by Debian's mail programs, actually run: NeoMutt,
# s-nail, GNU Mailutils `mail` and `git send-email`. Each hands its message
# to fake-sendmail (which stores it instead of sending); the stored message
# gets CRLF line ends, as the MTA behind sendmail(8) would give it on SMTP,
# and is checked and written to OUTDIR as <program>-<what>.eml.
#
# NeoMutt's interactive functions (bounce, reply, forward, PGP signing and
# encryption from the compose menu) are driven through tmux on a private
# socket. The clock is frozen with faketime (Date fields are fixed); what
# varies between runs is listed in scripts/corpus/README.md.
#
# Usage: mua.sh OUTDIR KEYDIR   (KEYDIR made by keys.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath "$1")
keys=$(realpath "$2")
work=$(mktemp -d)
tmux_sock="$work/tmux.sock"
cleanup() { tmux -S "$tmux_sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export LC_ALL=C.UTF-8 TZ=Europe/Berlin HOME="$work/home" GNUPGHOME="$keys/gnupg"
mkdir -p "$HOME" "$work/att"
sendmail="$here/fake-sendmail"
count=0

# store CAPTURED_FILE NAME: LF -> CRLF, constraint check, OUTDIR/NAME.eml
store() {
  python3 "$here/corpuslib.py" store "$1" "$out/$2.eml"
  count=$((count + 1))
}

# msgid NAME AT: the left part of a Message-ID in NeoMutt's shape (UTC time stamp, 16 base32
# characters), fixed per message; NeoMutt's own would be random. Used through my_hdr in the rc file.
msgid() {
  printf '%s.%s' "$(date -u -d "TZ=\"Europe/Berlin\" $2" +%Y%m%d%H%M%S)" \
    "$(printf '%s' "$1" | sha256sum | tr '0189' 'wxyz' | cut -c1-16)"
}

# run NAME AT COMMAND...: runs COMMAND at the frozen time AT with a fresh capture dir; stores 001.eml as NAME.
run() {
  local name=$1 at=$2
  shift 2
  local cap="$work/cap/$name"
  mkdir -p "$cap"
  CORPUS_MSGID=$(msgid "$name" "$at") CORPUS_CAPTURE_DIR="$cap" faketime -f "$at x0" "$@"
  [ -f "$cap/001.eml" ] || { echo "$name: nothing was sent" >&2; exit 1; }
  store "$cap/001.eml" "$name"
}

# tui NAME AT 'COMMAND' STEP...: runs COMMAND in a tmux window at the frozen time AT.
# Each STEP is "WAIT-FOR-TEXT=>KEYS": wait until the screen shows the text, then type the keys
# (tmux send-keys syntax, words separated by spaces, e.g. "Enter"). Stores 001.eml as NAME.
tui() {
  local name=$1 at=$2 cmd=$3
  shift 3
  local cap="$work/cap/$name"
  mkdir -p "$cap"
  tmux -S "$tmux_sock" -f /dev/null new-session -d -s "$name" -x 120 -y 40 \
    "env CORPUS_MSGID='$(msgid "$name" "$at")' CORPUS_CAPTURE_DIR='$cap' faketime -f '$at x0' $cmd; sleep 30"
  local step want keys i
  for step in "$@"; do
    want=${step%%=>*}
    keys=${step#*=>}
    for i in $(seq 1 100); do
      tmux -S "$tmux_sock" capture-pane -t "$name" -p | grep -qF -- "$want" && break
      [ "$i" = 100 ] && { tmux -S "$tmux_sock" capture-pane -t "$name" -p >&2; echo "$name: waited for '$want'" >&2; exit 1; }
      sleep 0.1
    done
    # shellcheck disable=SC2086 # keys are tmux words
    tmux -S "$tmux_sock" send-keys -t "$name" $keys
  done
  for i in $(seq 1 100); do
    [ -s "$cap/001.eml" ] && ! pgrep -f "fake-sendmail" >/dev/null 2>&1 && break
    sleep 0.1
  done
  sleep 0.3
  tmux -S "$tmux_sock" kill-session -t "$name" 2>/dev/null || true
  [ -f "$cap/001.eml" ] || { echo "$name: nothing was sent" >&2; exit 1; }
  store "$cap/001.eml" "$name"
}

att_long="$work/att/Übersicht der Quartalszahlen 2024 – Vertrieb, Marketing und Kundenservice (endgültige Fassung).csv"
printf 'Monat;Umsatz\nJanuar;1200\nFebruar;1350\n' > "$att_long"
printf '%%PDF-1.4\n%%\342\343\317\323\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n' > "$work/att/Angebot 2024-117.pdf"

# ------------------------------------------------------------------ NeoMutt
nm_version=$(neomutt -v | head -1)
rc="$work/neomuttrc"
cat > "$rc" <<EOF
set sendmail="$sendmail"
my_hdr Message-ID: <\${CORPUS_MSGID}@tenant.example>
set from="Alice Tenant <a@tenant.example>"
set use_from=yes
set hostname="tenant.example"
set folder="$work"
set spoolfile="$work/inbox.mbox"
set charset="utf-8"
set send_charset="us-ascii:utf-8"
set copy=no
set record=""
set editor="true"
set mbox_type=mbox
set read_only=yes
set quit=yes
set move=no
set help=no
set bounce=yes
set abort_unmodified=no
set fast_reply=yes
set include=yes
set mime_forward=yes
set forward_edit=no
set signature=""
set crypt_use_gpgme=yes
set pgp_default_key="a@tenant.example"
set pgp_sign_as="a@tenant.example"
set crypt_autosign=no
set crypt_autoencrypt=no
set crypt_opportunistic_encrypt=no
EOF
nmrc() { # nmrc NAME LINES...: an rc file that sources the base one and adds LINES
  local f="$work/$1.rc"
  shift
  { echo "source $rc"; printf '%s\n' "$@"; } > "$f"
  echo "$f"
}
body() { printf '%s\n' "$@" > "$work/body.txt"; echo "$work/body.txt"; }

run neomutt-plain '2024-03-04 09:00:00' bash -c "neomutt -n -F '$rc' -s 'Lunch on Friday?' -- bob@example.net < '$(body 'Hi Bob,' '' 'lunch on Friday at noon?' '' 'Alice')'"
run neomutt-attachment-rfc2231 '2024-03-04 09:05:00' bash -c "neomutt -n -F '$rc' -s 'Quartalszahlen' -a '$att_long' '$work/att/Angebot 2024-117.pdf' -- bob@example.net carol@example.org < '$(body 'Anbei die Zahlen und das Angebot.')'"
run neomutt-utf8-name '2024-03-04 09:10:00' bash -c "neomutt -n -F '$(nmrc utf8 'set from="Jürgen Müller <a@tenant.example>"')' -s 'Grüße aus München' -- 'Zoë Faure <zoe@example.org>' < '$(body 'Servus Zoë,' '' 'schöne Grüße aus München!')'"
run neomutt-quoted-pair-name '2024-03-04 09:15:00' bash -c "neomutt -n -F '$(nmrc qp 'set from="\"Ann \\\"Boss\\\" Tenant\" <a@tenant.example>"')' -s 'Approval' -- bob@example.net < '$(body 'Approved.')'"
run neomutt-iso2022jp '2024-03-04 09:20:00' bash -c "neomutt -n -F '$(nmrc jp 'set from="山田 太郎 <a@tenant.example>"' 'set send_charset="us-ascii:iso-2022-jp"')' -s '明日の会議について' -- '佐藤 花子 <hanako@example.jp>' < '$(body '佐藤様' '' 'お世話になっております。' '明日の会議は十時からです。' '' '山田')'"
run neomutt-shift-jis '2024-03-04 09:25:00' bash -c "neomutt -n -F '$(nmrc sjis 'set from="鈴木 一郎 <a@tenant.example>"' 'set send_charset="us-ascii:shift_jis"')' -s '御見積書の送付' -- bob@example.net < '$(body '見積書をお送りします。' 'ご確認ください。')'"
run neomutt-gb2312 '2024-03-04 09:30:00' bash -c "neomutt -n -F '$(nmrc gb 'set from="张伟 <a@tenant.example>"' 'set send_charset="us-ascii:gb2312"')' -s '会议时间调整' -- bob@example.net < '$(body '各位：' '会议改到明天上午十点。')'"
run neomutt-koi8r '2024-03-04 09:35:00' bash -c "neomutt -n -F '$(nmrc koi 'set from="Иван Петров <a@tenant.example>"' 'set send_charset="us-ascii:koi8-r"')' -s 'Собрание в пятницу' -- bob@example.net < '$(body 'Коллеги,' 'собрание переносится на пятницу.')'"
run neomutt-windows-1252 '2024-03-04 09:40:00' bash -c "neomutt -n -F '$(nmrc cp1252 'set from="Zoë Ångström <a@tenant.example>"' 'set send_charset="us-ascii:windows-1252"')' -s 'Invoice – €1,250.00' -- bob@example.net < '$(body 'Total: €1,250.00 – due in 30 days.')'"
run neomutt-emoji-zwj-name '2024-03-04 09:45:00' bash -c "neomutt -n -F '$(nmrc emoji 'set from="👩‍💻 Alice Tenant <a@tenant.example>"')' -s 'Deploy finished 🚀' -- bob@example.net < '$(body 'All green ✅')'"
run neomutt-ulabel-from '2024-03-04 09:50:00' bash -c "neomutt -n -F '$(nmrc idn 'set from="Anaïs Tenant <a@ténant.example>"')' -s 'Nouvelle adresse' -- bob@example.net < '$(body 'NeoMutt writes the domain as an A-label.')'"
run neomutt-on-behalf '2024-03-04 09:55:00' bash -c "neomutt -n -F '$(nmrc behalf 'set from="Tenant Support <shared@tenant.example>"' 'my_hdr Sender: Alice Tenant <a@tenant.example>')' -s 'Ticket 5521' -- bob@example.net < '$(body 'We have received your request.')'"
run neomutt-reply-to-read-receipt '2024-03-04 10:00:00' bash -c "neomutt -n -F '$(nmrc rr 'my_hdr Reply-To: Replies <reply@tenant.example>, Tenant Support <shared@tenant.example>' 'my_hdr Disposition-Notification-To: Alice Tenant <a@tenant.example>')' -s 'Contract signed' -- bob@example.net < '$(body 'Please confirm receipt.')'"
{
  echo "To: Dev Team <dev@example.org>"
  echo "Subject: Re: Proposal for the migration of the customer database to the new cluster, including rollback plan and maintenance window"
  echo "In-Reply-To: <mig-30@example.org>"
  printf 'References:'
  for i in $(seq 1 30); do printf ' <mig-%d@example.org>' "$i"; done
  printf '\n\n'
} > "$work/draft.txt"
run neomutt-draft-references '2024-03-04 10:05:00' bash -c "neomutt -n -F '$rc' -H '$work/draft.txt' < '$(body 'Sounds good to me.')'"

# An incoming message in a mailbox for the interactive functions: from the team mailbox to Alice.
cat > "$work/inbox.mbox" <<'EOF'
From shared@tenant.example Mon Mar  4 08:00:00 2024
Date: Mon, 4 Mar 2024 08:00:00 +0100
From: Tenant Support <shared@tenant.example>
To: Alice Tenant <a@tenant.example>
Subject: Printer on floor 3
Message-ID: <printer-floor3.20240304@tenant.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

The printer on floor 3 is out of toner.

EOF
tui neomutt-bounce '2024-03-04 10:10:00' "neomutt -n -F '$rc' -f '$work/inbox.mbox'" \
  "Printer on floor 3=>b" "Bounce message to:=>facilities@example.com Enter"
# The bounced message, delivered to Facilities and bounced on again by the shared mailbox.
{ echo "From a@tenant.example Mon Mar  4 09:10:00 2024"; tr -d '\r' < "$out/neomutt-bounce.eml"; echo; } > "$work/bounced.mbox"
tui neomutt-bounce-twice '2024-03-04 10:15:00' "neomutt -n -F '$(nmrc b2 'set from="Tenant Support <shared@tenant.example>"')' -f '$work/bounced.mbox'" \
  "Printer on floor 3=>b" "Bounce message to:=>berlin@example.com Enter"
tui neomutt-reply '2024-03-04 10:20:00' "neomutt -n -F '$rc' -f '$work/inbox.mbox'" \
  "Printer on floor 3=>r" "Compose=>y"
tui neomutt-forward-attached '2024-03-04 10:25:00' "neomutt -n -F '$rc' -f '$work/inbox.mbox'" \
  "Printer on floor 3=>f" "To:=>facilities@example.com Enter" "Compose=>y"
echo "Signed hello." > "$work/signed.txt"
tui neomutt-pgp-signed '2024-03-04 10:30:00' "neomutt -n -F '$(nmrc sign 'set crypt_autosign=yes')' -s 'Signed with PGP/MIME' -i '$work/signed.txt' bob@example.net" \
  "Compose=>y"
tui neomutt-pgp-encrypted '2024-03-04 10:35:00' "neomutt -n -F '$(nmrc enc 'set crypt_autosign=yes' 'set crypt_autoencrypt=yes')' -s 'Encrypted with PGP/MIME' -i '$work/signed.txt' bob@example.net" \
  "Compose=>y"

# ------------------------------------------------------------------ s-nail
snail() { s-nail -:/ -Sv15-compat -Smta="$sendmail" -Shostname=tenant.example -Sttycharset=utf-8 "$@"; }
export -f snail
export sendmail
run snail-plain-attachment '2024-03-05 09:00:00' bash -c "snail -Sfrom='Alice Tenant <a@tenant.example>' -s 'Offer 2024-117' -a '$work/att/Angebot 2024-117.pdf' -a '$att_long' bob@example.net < '$(body 'Offer and figures attached.')'"
run snail-utf8-name '2024-03-05 09:05:00' bash -c "snail -Sfrom='Jürgen Müller <a@tenant.example>' -s 'Grüße aus Köln' bob@example.net < '$(body 'Schöne Grüße!')'"
run snail-koi8r '2024-03-05 09:10:00' bash -c "snail -Sfrom='Иван Петров <a@tenant.example>' -Ssendcharsets=koi8-r,utf-8 -s 'Отчёт за февраль' bob@example.net < '$(body 'Коллеги, отчёт готов.')'"
# (Not iso-2022-jp: s-nail 14.9.24 labels its ISO-2022-JP encoded words "us-ascii", see README.)
run snail-shift-jis '2024-03-05 09:15:00' bash -c "snail -Sfrom='山田 太郎 <a@tenant.example>' -Ssendcharsets=shift_jis,utf-8 -s '会議の件' bob@example.net < '$(body '明日の会議は十時からです。')'"
run snail-euc-jp '2024-03-05 09:17:00' bash -c "snail -Sfrom='鈴木 一郎 <a@tenant.example>' -Ssendcharsets=euc-jp,utf-8 -s '見積書の件' bob@example.net < '$(body '見積書を添付いたします。')'"
run snail-two-from-sender '2024-03-05 09:20:00' bash -c "snail -Sfrom='Alice Tenant <a@tenant.example>, Tenant Support <shared@tenant.example>' -Ssender='Alice Tenant <a@tenant.example>' -s 'From both of us' bob@example.net < '$(body 'Joint message.')'"
run snail-on-behalf-read-receipt '2024-03-05 09:25:00' bash -c "snail -Sfrom='Tenant Support <shared@tenant.example>' -Ssender='Alice Tenant <a@tenant.example>' -Sdisposition-notification-send -s 'Your request 7781' bob@example.net < '$(body 'We will call you tomorrow.')'"
run snail-reply-to '2024-03-05 09:30:00' bash -c "snail -Sfrom='Alice Tenant <a@tenant.example>' -Sreply-to='Replies <reply@tenant.example>' -c carol@example.org -s 'Survey' bob@example.net < '$(body 'Answers to the Reply-To address, please.')'"
run snail-resend '2024-03-05 09:35:00' bash -c "echo 'resend 1 facilities@example.com' | snail -# -Sfrom='Alice Tenant <a@tenant.example>' -Rf '$work/inbox.mbox'"
run snail-resend-sender '2024-03-05 09:40:00' bash -c "echo 'resend 1 facilities@example.com' | snail -# -Sfrom='Tenant Support <shared@tenant.example>' -Ssender='Alice Tenant <a@tenant.example>' -Rf '$work/inbox.mbox'"
run snail-resend-after-neomutt-bounce '2024-03-05 09:45:00' bash -c "echo 'resend 1 berlin@example.com' | snail -# -Sfrom='Tenant Support <shared@tenant.example>' -Ssender='Alice Tenant <a@tenant.example>' -Rf '$work/bounced.mbox'"
run snail-smime-signed '2024-03-05 09:50:00' bash -c "snail -Sfrom='Alice Tenant <a@tenant.example>' -Ssmime-sign -Ssmime-sign-cert='$keys/smime/alice.pair.pem' -Ssmime-sign-digest=SHA256 -Ssmime-ca-file='$keys/smime/ca.pem' -s 'Signed with S/MIME' bob@example.net < '$(body 'This message is signed with S/MIME by s-nail.')'"
snail_version=$(s-nail -V)

# ------------------------------------------------------------------ GNU Mailutils mail
gmail() { mail -E "set sendmail=sendmail://$sendmail" "$@"; }
export -f gmail
run mailutils-plain '2024-03-05 10:00:00' bash -c "gmail -r a@tenant.example -a 'From: Alice Tenant <a@tenant.example>' -s 'Backup report' ops@example.com < '$(body 'Backup finished at 03:12, 0 errors.')'"
run mailutils-utf8-attachment '2024-03-05 10:05:00' bash -c "gmail -r a@tenant.example -a 'From: Jürgen Müller <a@tenant.example>' -s 'Übersicht für März' -A '$att_long' bob@example.net < '$(body 'Anbei die Übersicht.')'"
run mailutils-reply-to-sender '2024-03-05 10:10:00' bash -c "gmail -r a@tenant.example -a 'From: Tenant Support <shared@tenant.example>' -a 'Sender: Alice Tenant <a@tenant.example>' -a 'Reply-To: reply@tenant.example' -s 'Maintenance tonight' customers@example.net < '$(body 'Maintenance from 22:00 to 23:00.')'"
mailutils_version=$(mail --version | head -1)

# ------------------------------------------------------------------ git send-email
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
repo="$work/repo"
git init -q -b main "$repo"
git -C "$repo" config user.name "Jürgen Müller"
git -C "$repo" config user.email a@tenant.example
for i in 1 2 3; do
  echo "line $i" >> "$repo/README"
  git -C "$repo" add README
  GIT_AUTHOR_DATE="2024-03-0$i 10:00:00 +0100" GIT_COMMITTER_DATE="2024-03-0$i 10:00:00 +0100" \
    git -C "$repo" commit -q -m "readme: add line $i" -m "Explain why line $i matters."
done
echo "Grüße" >> "$repo/README"
git -C "$repo" add README
GIT_AUTHOR_NAME="Carol Contributor" GIT_AUTHOR_EMAIL="carol@example.org" GIT_AUTHOR_DATE="2024-03-03 18:00:00 +0100" \
  GIT_COMMITTER_DATE="2024-03-04 08:00:00 +0100" git -C "$repo" commit -q -m "readme: grüße hinzufügen" -m "Ein Gruß in der README."
(cd "$repo" && faketime -f '2024-03-05 11:00:00 x0' git format-patch -q --cover-letter -o "$work/series" -3 HEAD~1)
sed -i 's/\*\*\* SUBJECT HERE \*\*\*/README: document the three lines/; s/\*\*\* BLURB HERE \*\*\*/This series adds three lines to the README./' "$work/series/0000-cover-letter.patch"
(cd "$repo" && faketime -f '2024-03-05 11:00:00 x0' git format-patch -q -o "$work/single" -1)
cap="$work/cap/git"
mkdir -p "$cap"
(cd "$repo" && CORPUS_CAPTURE_DIR="$cap" faketime -f '2024-03-05 11:05:00 x0' git send-email --quiet --confirm=never \
  --sendmail-cmd="$sendmail" --from "Jürgen Müller <a@tenant.example>" --to "Dev List <dev@lists.example.org>" \
  --cc "Reviewer <rev@example.com>" "$work"/series/*.patch >/dev/null)
store "$cap/001.eml" git-send-email-series-0-cover
store "$cap/002.eml" git-send-email-series-1
store "$cap/003.eml" git-send-email-series-2
store "$cap/004.eml" git-send-email-series-3
(cd "$repo" && CORPUS_CAPTURE_DIR="$cap" faketime -f '2024-03-05 11:10:00 x0' git send-email --quiet --confirm=never \
  --sendmail-cmd="$sendmail" --from "Alice Tenant <a@tenant.example>" --to "Dev List <dev@lists.example.org>" \
  --suppress-cc=all "$work"/single/*.patch >/dev/null)
store "$cap/005.eml" git-send-email-other-author
git_version=$(git --version)

echo "mua: $count messages ($nm_version; $snail_version; $mailutils_version; $git_version)"
