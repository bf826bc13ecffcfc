// German and English. The language comes from the browser
// (navigator.languages) unless the user picked one with the switch
// (remembered in localStorage: a preference, not a secret). Dates and
// numbers are formatted with Intl in the user's locale.

export type Lang = 'de' | 'en';

const en = {
  app_name: 'sendas',
  skip_to_content: 'Skip to content',
  switch_language: 'Deutsch',
  switch_language_label: 'Auf Deutsch umschalten',
  sign_out: 'Sign out',
  loading: 'Loading…',
  yes: 'yes',
  no: 'no',
  save: 'Save',
  cancel: 'Cancel',
  delete: 'Delete',
  create: 'Create',
  back: 'Back',
  revoke: 'Revoke',
  rename: 'Rename',
  copy: 'Copy',
  copied: 'Copied',
  saved: 'Saved.',
  deleted: 'Deleted.',
  name: 'Name',
  created: 'Created',
  actions: 'Actions',
  status: 'Status',
  enabled: 'Enabled',
  disabled: 'Disabled',
  enable: 'Enable',
  disable: 'Disable',
  none_yet: 'None yet.',
  confirm_delete: 'Really delete “{name}”?',
  confirm_revoke: 'Really revoke “{name}”? Programs using it stop working.',
  error_network: 'The server cannot be reached. Check the connection and try again.',
  error_title: 'That did not work',
  error_request_id: 'Request id: {id}',
  not_found_page: 'This page does not exist.',
  shown_once: 'Shown only this once: copy it now.',

  role_user: 'User',
  role_admin: 'Admin',
  role_operator: 'Operator',

  signin_title: 'Sign in',
  signin_intro: 'Paste an API token. It is kept only in this browser tab (session storage) and sent only to this server.',
  signin_token: 'API token',
  signin_tenant: 'Tenant id (admin tokens only)',
  signin_tenant_hint: 'The API does not tell which tenant an admin token belongs to; you got the tenant id together with the token.',
  signin_button: 'Sign in',
  signin_invalid: 'This token is not valid (or revoked, or its user or tenant is disabled).',
  signin_tenant_needed: 'This is an admin token: enter the tenant id as well.',
  signin_tenant_mismatch: 'This admin token does not belong to that tenant.',

  nav_mailboxes: 'Mailboxes',
  nav_users: 'Users',
  nav_groups: 'Groups',
  nav_companies: 'Companies',
  nav_tokens: 'API tokens',
  nav_audit: 'Audit log',
  nav_my_mailboxes: 'My addresses',
  nav_app_passwords: 'App passwords',
  nav_tenants: 'Tenants',
  nav_relay: 'System relay',
  nav_operator_tokens: 'Operator tokens',
  main_nav: 'Main',

  mailboxes_title: 'Mailboxes',
  mailboxes_intro: 'Addresses this tenant may send from or take replies at. Tick who may use each one.',
  quota_line: '{used} of {quota} additional mailboxes used (the system mailbox does not count).',
  quota_full: 'The quota is used up: a new mailbox needs a higher quota from the operator.',
  quota_exceeded_title: 'Mailbox quota reached',
  new_mailbox: 'New mailbox',
  address: 'Address',
  display_name: 'Display name',
  company: 'Company',
  flag_reply: 'Reply',
  flag_sender: 'Sender',
  flag_global: 'Global',
  flag_authenticated: 'Authenticated',
  flag_restricted: 'Restricted',
  flag_reply_hint: 'Selectable in the “Reply-To address” dropdown.',
  flag_sender_hint: 'Selectable in the “From address” dropdown.',
  flag_global_hint: 'Available in every company of the tenant.',
  flag_authenticated_hint: 'Sends through its own SMTP server with its own login.',
  flag_restricted_hint: 'Only the users and groups chosen below may use it.',
  flag_enabled_hint: 'A disabled mailbox can be used by nobody.',
  system_mailbox: 'System mailbox',
  system_mailbox_hint: 'The system mailbox always sends through the system relay, is global and cannot be restricted or deleted.',
  mailbox_new_title: 'New mailbox',
  mailbox_edit_title: 'Mailbox {address}',
  flags_legend: 'Use',
  company_choose: 'Choose a company',
  smtp_legend: 'SMTP settings',
  smtp_host: 'Server (host)',
  smtp_port: 'Port',
  smtp_tls: 'Encryption',
  tls_starttls: 'STARTTLS',
  tls_tls: 'TLS (implicit)',
  tls_none: 'None (loopback only)',
  smtp_username: 'Username',
  login_method: 'Login method',
  login_method_password: 'Password',
  password: 'Password',
  password_set_hint: 'A password is stored. It is never shown; type a new one to replace it.',
  password_unset_hint: 'No password stored yet.',
  verify: 'Verify login',
  verify_running: 'Connecting…',
  verify_ok: 'Login works (stage: {stage}).',
  verify_failed: 'Login failed at stage “{stage}”: {detail}',
  stage_connect: 'connect',
  stage_tls: 'TLS',
  stage_auth: 'authentication',
  stage_done: 'done',
  access_legend: 'Who may use it',
  access_users: 'Users',
  access_groups: 'Groups',
  access_empty_warning: 'Nobody is chosen: the mailbox is usable by no one.',
  mailbox_saved: 'Mailbox saved.',
  mailboxes_caption: 'Mailboxes with their flags',

  users_title: 'Users',
  users_intro: 'People who sign in to the backend. The login is also their SMTP username.',
  new_user: 'New user',
  login: 'Login',
  companies: 'Companies',
  groups: 'Groups',
  user_title: 'User {login}',
  user_may_send_as: 'May send as (From)',
  user_may_reply_to: 'May use as Reply-To',
  user_enabled_hint: 'A disabled user can neither sign in nor send.',
  users_caption: 'Users',

  groups_title: 'Groups',
  groups_intro: 'Named sets of users, e.g. a department. Mailboxes can be restricted to groups.',
  new_group: 'New group',
  members: 'Members',
  member_count: 'Members',
  group_title: 'Group {name}',
  add_member: 'Add member',
  remove: 'Remove',
  choose_user: 'Choose a user',
  groups_caption: 'Groups',
  members_caption: 'Members of the group',

  companies_title: 'Companies',
  companies_intro: 'Sub-units of the tenant (Mandanten). A mailbox belongs to one company or is global.',
  new_company: 'New company',
  companies_caption: 'Companies',

  tokens_title: 'API tokens',
  tokens_intro: 'Bearer tokens for the HTTP API. A token is shown once when issued.',
  new_token: 'Issue token',
  role: 'Role',
  user: 'User',
  token_issued: 'New token',
  signin_link: 'Sign-in link',
  tokens_caption: 'API tokens',

  audit_title: 'Audit log',
  audit_intro: 'Every SMTP transaction, accepted or refused, newest first.',
  audit_from: 'From (time)',
  audit_to: 'Until (time)',
  audit_mailbox: 'Mailbox',
  audit_all_mailboxes: 'All mailboxes',
  audit_page_size: 'Per page',
  audit_apply: 'Apply filters',
  audit_time: 'Time',
  audit_outcome: 'Outcome',
  audit_code: 'Code',
  audit_sending: 'Sending mailbox',
  audit_envelope: 'Envelope sender',
  audit_recipients: 'Recipients',
  audit_size: 'Size',
  audit_reply: 'Reply',
  outcome_accepted: 'accepted',
  outcome_rejected: 'refused',
  audit_newer: 'Newer',
  audit_older: 'Older',
  audit_page: 'Page {n}',
  audit_caption: 'Audit records',

  me_title: 'My addresses',
  me_intro: 'The addresses you may choose in the communication manager.',
  me_signed_in: 'Signed in as {name} ({login}), {tenant}.',
  me_from: 'From addresses',
  me_reply_to: 'Reply-To addresses',
  me_from_caption: 'Addresses you may send from',
  me_reply_caption: 'Addresses you may use as Reply-To',

  app_passwords_title: 'App passwords',
  app_passwords_intro: 'Mail programs sign in to the SMTP server with your login and an app password. Create one per program; revoke it when the program is gone.',
  new_app_password: 'New app password',
  app_password_name_placeholder: 'e.g. Thunderbird on my laptop',
  app_password_created: 'App password “{name}” created',
  client_settings: 'Settings for your mail program',
  port_starttls: 'Port {port} with STARTTLS',
  port_tls: 'Port {port} with TLS (SSL)',
  username: 'Username',
  smtp_unknown: 'Ask your administrator for the SMTP server name.',
  app_passwords_caption: 'Your app passwords',
  outgoing_server: 'Outgoing server (SMTP)',
  security: 'Security',

  tenants_title: 'Tenants',
  tenants_intro: 'Customers of the platform. Each starts with one company, a system mailbox and an admin token.',
  new_tenant: 'New tenant',
  system_address: 'System mailbox address',
  first_company: 'First company (optional)',
  quota: 'Mailbox quota',
  quota_hint: 'Mailboxes allowed beyond the system mailbox.',
  tenant_title: 'Tenant {name}',
  tenant_created: 'Tenant created. Its first admin token:',
  tenant_id: 'Tenant id',
  tenants_caption: 'Tenants',

  relay_title: 'System relay',
  relay_intro: 'Where mail of every mailbox without its own SMTP settings goes.',
  relay_kind: 'Kind',
  relay_outbox: 'Outbox directory (local)',
  relay_smtp: 'SMTP relay (e.g. Amazon SES)',
  relay_dir: 'Directory',
  relay_not_set: 'No system relay is configured.',
  relay_password_hint: 'Write-only. Leave empty to keep the stored password.',
  relay_username_optional: 'Username (optional)',
  operator_tokens_title: 'Operator tokens',
  operator_tokens_intro: 'Tokens with the operator role.',
};

export type Key = keyof typeof en;

const de: Record<Key, string> = {
  app_name: 'sendas',
  skip_to_content: 'Zum Inhalt springen',
  switch_language: 'English',
  switch_language_label: 'Switch to English',
  sign_out: 'Abmelden',
  loading: 'Wird geladen …',
  yes: 'ja',
  no: 'nein',
  save: 'Speichern',
  cancel: 'Abbrechen',
  delete: 'Löschen',
  create: 'Anlegen',
  back: 'Zurück',
  revoke: 'Widerrufen',
  rename: 'Umbenennen',
  copy: 'Kopieren',
  copied: 'Kopiert',
  saved: 'Gespeichert.',
  deleted: 'Gelöscht.',
  name: 'Name',
  created: 'Angelegt',
  actions: 'Aktionen',
  status: 'Status',
  enabled: 'Aktiv',
  disabled: 'Gesperrt',
  enable: 'Aktivieren',
  disable: 'Sperren',
  none_yet: 'Noch keine.',
  confirm_delete: '„{name}“ wirklich löschen?',
  confirm_revoke: '„{name}“ wirklich widerrufen? Programme, die es nutzen, funktionieren dann nicht mehr.',
  error_network: 'Der Server ist nicht erreichbar. Bitte die Verbindung prüfen und erneut versuchen.',
  error_title: 'Das hat nicht geklappt',
  error_request_id: 'Anfrage-ID: {id}',
  not_found_page: 'Diese Seite gibt es nicht.',
  shown_once: 'Wird nur dieses eine Mal angezeigt: jetzt kopieren.',

  role_user: 'Benutzer',
  role_admin: 'Administration',
  role_operator: 'Betreiber',

  signin_title: 'Anmelden',
  signin_intro: 'Füge ein API-Token ein. Es bleibt nur in diesem Browser-Tab (Session Storage) und wird nur an diesen Server gesendet.',
  signin_token: 'API-Token',
  signin_tenant: 'Tenant-ID (nur für Admin-Tokens)',
  signin_tenant_hint: 'Die API verrät nicht, zu welchem Kunden (Tenant) ein Admin-Token gehört; die ID hast du zusammen mit dem Token bekommen.',
  signin_button: 'Anmelden',
  signin_invalid: 'Dieses Token ist ungültig (oder widerrufen, oder der Benutzer bzw. Kunde ist gesperrt).',
  signin_tenant_needed: 'Das ist ein Admin-Token: bitte auch die Tenant-ID eingeben.',
  signin_tenant_mismatch: 'Dieses Admin-Token gehört nicht zu diesem Tenant.',

  nav_mailboxes: 'Postfächer',
  nav_users: 'Benutzer',
  nav_groups: 'Gruppen',
  nav_companies: 'Mandanten',
  nav_tokens: 'API-Tokens',
  nav_audit: 'Protokoll',
  nav_my_mailboxes: 'Meine Adressen',
  nav_app_passwords: 'App-Passwörter',
  nav_tenants: 'Kunden (Tenants)',
  nav_relay: 'System-Relay',
  nav_operator_tokens: 'Betreiber-Tokens',
  main_nav: 'Hauptnavigation',

  mailboxes_title: 'Postfächer',
  mailboxes_intro: 'Adressen, von denen aus gesendet oder an die geantwortet werden kann. Lege pro Postfach fest, wer es nutzen darf.',
  quota_line: '{used} von {quota} zusätzlichen Postfächern belegt (das System-Postfach zählt nicht).',
  quota_full: 'Das Kontingent ist ausgeschöpft: für ein weiteres Postfach muss der Betreiber es erhöhen.',
  quota_exceeded_title: 'Postfach-Kontingent erreicht',
  new_mailbox: 'Neues Postfach',
  address: 'Adresse',
  display_name: 'Anzeigename',
  company: 'Mandant',
  flag_reply: 'Antwort',
  flag_sender: 'Absender',
  flag_global: 'Global',
  flag_authenticated: 'mit Authentifizierung',
  flag_restricted: 'Benutzerrechte',
  flag_reply_hint: 'Im Dropdown „Antwortadresse“ des Kommunikationsmanagers auswählbar.',
  flag_sender_hint: 'Im Dropdown „Absenderadresse“ des Kommunikationsmanagers auswählbar.',
  flag_global_hint: 'Mandantenübergreifend verfügbar.',
  flag_authenticated_hint: 'Versand direkt über den eigenen SMTP-Server mit eigener Anmeldung.',
  flag_restricted_hint: 'Nur die unten gewählten Benutzer und Gruppen dürfen es nutzen.',
  flag_enabled_hint: 'Ein gesperrtes Postfach kann niemand nutzen.',
  system_mailbox: 'System-Postfach',
  system_mailbox_hint: 'Das System-Postfach sendet immer über das System-Relay, ist global und kann weder eingeschränkt noch gelöscht werden.',
  mailbox_new_title: 'Neues Postfach',
  mailbox_edit_title: 'Postfach {address}',
  flags_legend: 'Verwendung',
  company_choose: 'Mandant wählen',
  smtp_legend: 'SMTP-Postfacheinstellungen',
  smtp_host: 'Server (Host)',
  smtp_port: 'Port',
  smtp_tls: 'Verschlüsselung',
  tls_starttls: 'STARTTLS',
  tls_tls: 'TLS (implizit)',
  tls_none: 'Keine (nur Loopback)',
  smtp_username: 'Benutzername',
  login_method: 'Anmeldeverfahren',
  login_method_password: 'Passwort',
  password: 'Passwort',
  password_set_hint: 'Ein Passwort ist gespeichert. Es wird nie angezeigt; ein neues ersetzt es.',
  password_unset_hint: 'Noch kein Passwort gespeichert.',
  verify: 'Anmeldung prüfen',
  verify_running: 'Verbinde …',
  verify_ok: 'Die Anmeldung funktioniert (Schritt: {stage}).',
  verify_failed: 'Anmeldung fehlgeschlagen im Schritt „{stage}“: {detail}',
  stage_connect: 'Verbindung',
  stage_tls: 'TLS',
  stage_auth: 'Anmeldung',
  stage_done: 'fertig',
  access_legend: 'Wer darf es nutzen',
  access_users: 'Benutzer',
  access_groups: 'Gruppen',
  access_empty_warning: 'Niemand ist ausgewählt: das Postfach kann niemand nutzen.',
  mailbox_saved: 'Postfach gespeichert.',
  mailboxes_caption: 'Postfächer mit ihren Einstellungen',

  users_title: 'Benutzer',
  users_intro: 'Personen, die sich im Backend anmelden. Der Login ist auch ihr SMTP-Benutzername.',
  new_user: 'Neuer Benutzer',
  login: 'Login',
  companies: 'Mandanten',
  groups: 'Gruppen',
  user_title: 'Benutzer {login}',
  user_may_send_as: 'Darf senden als (Absender)',
  user_may_reply_to: 'Darf als Antwortadresse nutzen',
  user_enabled_hint: 'Ein gesperrter Benutzer kann sich weder anmelden noch senden.',
  users_caption: 'Benutzer',

  groups_title: 'Gruppen',
  groups_intro: 'Benannte Gruppen von Benutzern, z. B. eine Abteilung. Postfächer lassen sich auf Gruppen beschränken.',
  new_group: 'Neue Gruppe',
  members: 'Mitglieder',
  member_count: 'Mitglieder',
  group_title: 'Gruppe {name}',
  add_member: 'Mitglied hinzufügen',
  remove: 'Entfernen',
  choose_user: 'Benutzer wählen',
  groups_caption: 'Gruppen',
  members_caption: 'Mitglieder der Gruppe',

  companies_title: 'Mandanten',
  companies_intro: 'Untereinheiten des Kunden. Ein Postfach gehört zu einem Mandanten oder ist global.',
  new_company: 'Neuer Mandant',
  companies_caption: 'Mandanten',

  tokens_title: 'API-Tokens',
  tokens_intro: 'Bearer-Tokens für die HTTP-API. Ein Token wird nur beim Ausstellen einmal angezeigt.',
  new_token: 'Token ausstellen',
  role: 'Rolle',
  user: 'Benutzer',
  token_issued: 'Neues Token',
  signin_link: 'Anmelde-Link',
  tokens_caption: 'API-Tokens',

  audit_title: 'Protokoll',
  audit_intro: 'Jede SMTP-Übertragung, angenommen oder abgelehnt, die neueste zuerst.',
  audit_from: 'Von (Zeit)',
  audit_to: 'Bis (Zeit)',
  audit_mailbox: 'Postfach',
  audit_all_mailboxes: 'Alle Postfächer',
  audit_page_size: 'Pro Seite',
  audit_apply: 'Filter anwenden',
  audit_time: 'Zeit',
  audit_outcome: 'Ergebnis',
  audit_code: 'Code',
  audit_sending: 'Sendendes Postfach',
  audit_envelope: 'Umschlag-Absender',
  audit_recipients: 'Empfänger',
  audit_size: 'Größe',
  audit_reply: 'Antwort',
  outcome_accepted: 'angenommen',
  outcome_rejected: 'abgelehnt',
  audit_newer: 'Neuere',
  audit_older: 'Ältere',
  audit_page: 'Seite {n}',
  audit_caption: 'Protokolleinträge',

  me_title: 'Meine Adressen',
  me_intro: 'Die Adressen, die du im Kommunikationsmanager auswählen kannst.',
  me_signed_in: 'Angemeldet als {name} ({login}), {tenant}.',
  me_from: 'Absenderadressen',
  me_reply_to: 'Antwortadressen',
  me_from_caption: 'Adressen, von denen du senden darfst',
  me_reply_caption: 'Adressen, die du als Antwortadresse nutzen darfst',

  app_passwords_title: 'App-Passwörter',
  app_passwords_intro: 'Mailprogramme melden sich mit deinem Login und einem App-Passwort am SMTP-Server an. Lege pro Programm eines an und widerrufe es, wenn das Programm weg ist.',
  new_app_password: 'Neues App-Passwort',
  app_password_name_placeholder: 'z. B. Thunderbird auf meinem Laptop',
  app_password_created: 'App-Passwort „{name}“ angelegt',
  client_settings: 'Einstellungen für dein Mailprogramm',
  port_starttls: 'Port {port} mit STARTTLS',
  port_tls: 'Port {port} mit TLS (SSL)',
  username: 'Benutzername',
  smtp_unknown: 'Den Namen des SMTP-Servers erfährst du von deiner Administration.',
  app_passwords_caption: 'Deine App-Passwörter',
  outgoing_server: 'Postausgangsserver (SMTP)',
  security: 'Sicherheit',

  tenants_title: 'Kunden (Tenants)',
  tenants_intro: 'Kunden der Plattform. Jeder beginnt mit einem Mandanten, einem System-Postfach und einem Admin-Token.',
  new_tenant: 'Neuer Kunde',
  system_address: 'Adresse des System-Postfachs',
  first_company: 'Erster Mandant (optional)',
  quota: 'Postfach-Kontingent',
  quota_hint: 'Erlaubte Postfächer zusätzlich zum System-Postfach.',
  tenant_title: 'Kunde {name}',
  tenant_created: 'Kunde angelegt. Sein erstes Admin-Token:',
  tenant_id: 'Tenant-ID',
  tenants_caption: 'Kunden',

  relay_title: 'System-Relay',
  relay_intro: 'Hierüber geht die Post aller Postfächer ohne eigene SMTP-Einstellungen.',
  relay_kind: 'Art',
  relay_outbox: 'Ausgangsverzeichnis (lokal)',
  relay_smtp: 'SMTP-Relay (z. B. Amazon SES)',
  relay_dir: 'Verzeichnis',
  relay_not_set: 'Kein System-Relay eingerichtet.',
  relay_password_hint: 'Nur schreibbar. Leer lassen, um das gespeicherte Passwort zu behalten.',
  relay_username_optional: 'Benutzername (optional)',
  operator_tokens_title: 'Betreiber-Tokens',
  operator_tokens_intro: 'Tokens mit der Betreiber-Rolle.',
};

const LANG_KEY = 'sendas.lang';

function fromBrowser(): Lang {
  for (const l of navigator.languages ?? [navigator.language]) {
    const p = l.toLowerCase().slice(0, 2);
    if (p === 'de') return 'de';
    if (p === 'en') return 'en';
  }
  return 'en';
}

let current: Lang = (() => {
  try {
    const v = localStorage.getItem(LANG_KEY);
    if (v === 'de' || v === 'en') return v;
  } catch {
    /* storage blocked: use the browser's language */
  }
  return fromBrowser();
})();

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem(LANG_KEY, l);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = l;
}

/** The text of `key` with `{name}` placeholders filled in. */
export function t(key: Key, vars?: Record<string, string | number>): string {
  let s = (current === 'de' ? de : en)[key];
  if (vars) {
    for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  }
  return s;
}

/** The locale for dates and numbers: the browser's own when it speaks the chosen language. */
function locale(): string {
  const own = (navigator.languages ?? [navigator.language]).find((l) => l.toLowerCase().startsWith(current));
  return own ?? (current === 'de' ? 'de-DE' : 'en-GB');
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(locale()).format(n);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${formatNumber(n)} B`;
  const kb = n / 1024;
  if (kb < 1024) return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(kb)} KiB`;
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(kb / 1024)} MiB`;
}

/** Exported for the test of the dictionaries (same keys in both). */
export const dictionaries = { en, de };
