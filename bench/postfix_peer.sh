#!/usr/bin/env bash
# Configures and starts the system's Postfix as the "peer" of the benchmark:
# the relay doing the proxy's job the Postfix way. Submission on
# 127.0.0.1:PEER_PORT (plaintext AUTH on loopback, like the proxy's
# loopback mode), SASL via Cyrus sasldb, smtpd_sender_login_maps with
# reject_authenticated_sender_login_mismatch, relayhost = the sink with
# SASL credentials (as the proxy logs in to the mailbox's upstream). Its
# queue is on local disk (/var/spool/postfix). Needs root.
#
# Usage: bench/postfix_peer.sh start PEER_PORT SINK_PORT LOGIN PASSWORD FROM_ADDRESS LOGDIR | stop
set -euo pipefail
if [ "$1" = stop ]; then
  postfix stop >/dev/null 2>&1 || true
  exit 0
fi
port=$2 sink=$3 login=$4 password=$5 from=$6 logdir=$7
postfix stop >/dev/null 2>&1 || true
postconf -e \
  "inet_interfaces = loopback-only" "inet_protocols = ipv4" "mydestination =" "myhostname = localhost" \
  "relayhost = [127.0.0.1]:$sink" "default_transport = smtp" "relay_transport = smtp" "maillog_file_prefixes = /var, /dev/stdout, /tmp" "maillog_file = $logdir/postfix.log" \
  "smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = cyrus" "smtpd_sasl_path = smtpd" \
  "smtpd_sasl_local_domain = localhost" "smtpd_sasl_security_options = noanonymous" \
  "smtpd_tls_security_level = none" "smtpd_tls_auth_only = no" \
  "smtpd_sender_login_maps = hash:/etc/postfix/sendas_sender_login" \
  "smtpd_sender_restrictions = reject_authenticated_sender_login_mismatch" \
  "smtpd_relay_restrictions = permit_sasl_authenticated, reject" \
  "smtpd_recipient_restrictions = permit_sasl_authenticated, reject" \
  "smtpd_client_connection_count_limit = 200" "smtpd_client_message_rate_limit = 0" \
  "message_size_limit = 52428800" \
  "smtp_sasl_auth_enable = yes" "smtp_sasl_password_maps = static:billing:$password" \
  "smtp_sasl_security_options = noanonymous" "smtp_tls_security_level = none" \
  "default_destination_concurrency_limit = 50"
# The submission service on PEER_PORT, not chrooted (so it reads /etc/sasldb2).
sed -i '/^# sendas-bench$/,+1d' /etc/postfix/master.cf
printf '# sendas-bench\n127.0.0.1:%s inet n - n - - smtpd\n' "$port" >> /etc/postfix/master.cf
mkdir -p /etc/postfix/sasl
printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n' > /etc/postfix/sasl/smtpd.conf
echo -n "$password" | saslpasswd2 -p -c -u localhost "$login"
chown root:postfix /etc/sasldb2 && chmod 640 /etc/sasldb2
printf '%s %s@localhost, %s\n' "$from" "$login" "$login" > /etc/postfix/sendas_sender_login
postmap /etc/postfix/sendas_sender_login
postfix check
postfix start >/dev/null 2>&1
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && exit 0
  sleep 0.1
done
echo "postfix did not listen on $port" >&2
exit 1
