// The web app in a real browser (headless Chromium driven by
// playwright-core) against a real `sendas serve --demo`, started by
// scripts/web_test.sh, which passes:
//   SENDAS_WEB_BASE   http://127.0.0.1:PORT
//   SENDAS_DATA_DIR   the serve's data directory (demo.json, outbox/)
//   SENDAS_SHOTS      where screenshots go (target/web-screenshots)
//   CHROMIUM          the browser (default /usr/bin/chromium)
//
// Every page visited is checked with axe-core (0 serious or critical
// violations), every request the browser makes is recorded (only the
// API's origin allowed), and Content-Security-Policy violations and page
// errors fail the run. Ends with "browser: N passed, M failed".

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = process.env.SENDAS_WEB_BASE ?? 'http://127.0.0.1:8080';
const DATA = process.env.SENDAS_DATA_DIR ?? 'sendas-data';
const SHOTS = process.env.SENDAS_SHOTS ?? join(here, '../../target/web-screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ORIGIN = new URL(BASE).origin;
const demo = JSON.parse(readFileSync(join(DATA, 'demo.json'), 'utf8'));
const AXE = readFileSync(join(here, '../node_modules/axe-core/axe.min.js'), 'utf8');
const DIST_INDEX = readFileSync(join(here, '../dist/index.html'), 'utf8');
mkdirSync(SHOTS, { recursive: true });

const alice = demo.users.find((u) => u.login === 'alice');
const bob = demo.users.find((u) => u.login === 'bob');
const link = (token, tenant) => `${BASE}/#token=${encodeURIComponent(token)}${tenant ? `&tenant=${tenant}` : ''}`;

// ---------------------------------------------------------------- harness

const results = [];
const foreignRequests = [];
const cspViolations = [];
const pageErrors = [];
const axeReport = [];

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: e });
    console.log(`FAIL  ${name}: ${e?.stack ?? e}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

function eq(a, b, msg) {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  chromiumSandbox: false,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});

async function newPage(locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${ORIGIN}/`)) foreignRequests.push(u);
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => void d.accept());
  return page;
}

/** axe-core on the current page: serious and critical violations fail. */
async function axe(page, name) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!has) await page.evaluate(AXE);
  const r = await page.evaluate(async () => {
    const res = await window.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  axeReport.push({ name, violations: r });
  const bad = r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) throw new Error(`axe on ${name}: ${JSON.stringify(bad, null, 1)}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** axe + screenshot of the page as it is now. */
async function look(page, name) {
  await shot(page, name);
  await axe(page, name);
}

async function h1(page) {
  return (await page.locator('main h1').first().textContent())?.trim();
}

async function waitH1(page, text) {
  await page.locator('main h1', { hasText: text }).first().waitFor({ timeout: 10000 });
}

async function nav(page, text) {
  await page.getByRole('navigation').getByRole('link', { name: text, exact: true }).click();
  await waitH1(page, text);
}

/** Presses Tab until the focused element matches, at most `max` times. */
async function tabTo(page, describe, matches, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return null;
      const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
      return { tag: el.tagName.toLowerCase(), name: el.getAttribute('name'), text: (el.textContent ?? '').trim(), label: label?.trim() ?? null, type: el.getAttribute('type') };
    });
    if (info && matches(info)) return info;
  }
  throw new Error(`Tab never reached ${describe}`);
}

async function flagsOf(page, address) {
  const row = page.locator(`tr[data-address="${address}"]`);
  await row.waitFor();
  const cells = await row.locator('td.center .sr-only').allTextContents();
  return cells;
}

function outbox() {
  const dir = join(DATA, 'outbox');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')) : [];
}

// ------------------------------------------------------------------ tests

await step('serving: CSP and cache headers on /, index is the built one, API keeps CORS closed', async () => {
  const r = await fetch(`${BASE}/`);
  eq(r.status, 200, 'GET /');
  const csp = r.headers.get('content-security-policy') ?? '';
  for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert(csp.includes(d), `CSP lacks ${d}: ${csp}`);
  assert(!/unsafe-inline|unsafe-eval/.test(csp), `CSP allows unsafe: ${csp}`);
  eq(r.headers.get('cache-control'), 'no-cache', 'index cache-control');
  eq(r.headers.get('x-content-type-options'), 'nosniff', 'nosniff');
  eq(r.headers.get('referrer-policy'), 'no-referrer', 'referrer-policy');
  eq(await r.text(), DIST_INDEX, 'the binary serves web/dist/index.html as built (rebuild sendas after npm run build)');
  const asset = DIST_INDEX.match(/assets\/(app-[A-Z0-9]+\.js)/)[1];
  const a = await fetch(`${BASE}/assets/${asset}`);
  eq(a.status, 200, 'asset');
  assert((a.headers.get('cache-control') ?? '').includes('immutable'), 'hashed asset is immutable');
  assert(a.headers.get('content-security-policy'), 'CSP on assets too');
  const api = await fetch(`${BASE}/v1/me`, { headers: { Origin: 'https://evil.example', Authorization: `Bearer ${alice.token}` } });
  eq(api.status, 200, '/v1/me');
  eq(api.headers.get('access-control-allow-origin'), null, 'no CORS header on the API');
  const pre = await fetch(`${BASE}/v1/me`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
  eq(pre.headers.get('access-control-allow-origin'), null, 'no CORS preflight answer');
  const unknown = await fetch(`${BASE}/v1/nope`);
  eq(unknown.headers.get('content-type'), 'application/problem+json', 'unknown /v1 path stays the API 404');
});

// ---- sign-in

const signPage = await newPage('en-US');
await step('sign-in form (en): a bad token is refused, an admin token alone signs in (its tenant from GET /v1/token)', async () => {
  await signPage.goto(BASE);
  await waitH1(signPage, 'Sign in');
  eq(await signPage.evaluate(() => document.documentElement.lang), 'en', 'html lang');
  await look(signPage, 'signin-en');
  await signPage.getByLabel('API token').fill('sendas_bogus_token');
  await signPage.getByRole('button', { name: 'Sign in' }).click();
  await signPage.locator('[data-reason="invalid_token"]').waitFor();
  await signPage.getByLabel('API token').fill(demo.tokens.admin);
  await signPage.getByRole('button', { name: 'Sign in' }).click();
  await waitH1(signPage, 'Mailboxes');
  eq(await signPage.getByTestId('role').textContent(), 'Admin', 'role badge');
  const stored = await signPage.evaluate(() => sessionStorage.getItem('sendas.session'));
  assert(stored && stored.includes(demo.tokens.admin), 'token kept in sessionStorage');
  const local = await signPage.evaluate(() => JSON.stringify(localStorage));
  assert(!local.includes('sendas_'), 'no token in localStorage');
  await signPage.getByTestId('sign-out').click();
  await waitH1(signPage, 'Sign in');
  eq(await signPage.evaluate(() => sessionStorage.getItem('sendas.session')), null, 'sign-out forgets the token');
});

// ---- operator

const op = await newPage('en-US');
await step('operator (en): tenants, raise the demo quota to 9, system relay, operator tokens', async () => {
  await op.goto(link(demo.tokens.operator));
  await waitH1(op, 'Tenants');
  assert(!op.url().includes('token='), `the token is removed from the URL: ${op.url()}`);
  eq(await op.getByTestId('role').textContent(), 'Operator', 'role');
  await look(op, 'operator-tenants-en');
  await op.locator('tr[data-tenant="Demo Seminars"] a').click();
  await waitH1(op, 'Tenant Demo Seminars');
  await op.getByLabel('Mailbox quota').fill('9');
  await op.getByRole('button', { name: 'Save', exact: true }).click();
  await op.getByText('Saved.').waitFor();
  eq(await op.getByLabel('Mailbox quota').inputValue(), '9', 'quota saved');
  await look(op, 'operator-tenant-en');
  await nav(op, 'System relay');
  eq(await op.getByLabel('Kind').inputValue(), 'outbox', 'the local relay is the outbox');
  await look(op, 'operator-relay-en');
  await nav(op, 'Operator tokens');
  await look(op, 'operator-tokens-en');
});

/** The input for one limit (e.g. 'Messages per minute') in the limits editor titled `part`. */
const limitInput = (page, part, label) => page.getByRole('group', { name: part, exact: true }).getByLabel(label, { exact: true });

await step('operator: sending limits (a user ceiling and default, kept after a reload; a default above its ceiling is refused)', async () => {
  await nav(op, 'Tenants');
  await op.locator('tr[data-tenant="Demo Seminars"] a').click();
  await waitH1(op, 'Tenant Demo Seminars');
  for (const part of ['Whole tenant', 'User ceiling', 'User default', 'Mailbox ceiling', 'Mailbox default']) {
    for (const l of ['Messages per minute', 'Messages per hour', 'Messages per day', 'Recipients per minute', 'Recipients per hour', 'Recipients per day']) {
      eq(await limitInput(op, part, l).inputValue(), '', `${part}, ${l}: empty (no limit) at first`);
    }
  }
  await limitInput(op, 'User ceiling', 'Messages per minute').fill('30');
  await limitInput(op, 'User ceiling', 'Recipients per day').fill('5000');
  await limitInput(op, 'User default', 'Messages per minute').fill('40');
  await op.getByRole('button', { name: 'Save', exact: true }).click();
  const alert = op.locator('[role="alert"][data-problem-type="validation_failed"]');
  await alert.waitFor();
  assert((await alert.textContent()).includes('40 is above the ceiling of 30'), `the detail: ${await alert.textContent()}`);
  eq(await limitInput(op, 'User default', 'Messages per minute').getAttribute('aria-invalid'), 'true', 'the default above its ceiling is marked');
  await look(op, 'operator-tenant-limits-error-en');
  await limitInput(op, 'User default', 'Messages per minute').fill('20');
  await op.getByRole('button', { name: 'Save', exact: true }).click();
  await op.getByText('Saved.').waitFor();
  await op.reload();
  await waitH1(op, 'Tenant Demo Seminars');
  eq(await limitInput(op, 'User ceiling', 'Messages per minute').inputValue(), '30', 'the user ceiling is kept');
  eq(await limitInput(op, 'User ceiling', 'Recipients per day').inputValue(), '5000', 'all its fields');
  eq(await limitInput(op, 'User default', 'Messages per minute').inputValue(), '20', 'the user default is kept');
  eq(await limitInput(op, 'Whole tenant', 'Messages per minute').inputValue(), '', 'the others stay unset');
  eq(await op.getByLabel('Mailbox quota').inputValue(), '9', 'and the quota');
  const t = await (await fetch(`${BASE}/v1/tenants/${demo.tenant_id}`, { headers: { Authorization: `Bearer ${demo.tokens.operator}` } })).json();
  eq([t.limits.user_ceiling.messages_per_minute, t.limits.user_ceiling.recipients_per_day, t.limits.user_default.messages_per_minute, t.limits.tenant.messages_per_minute], [30, 5000, 20, null], 'stored through the API');
  await look(op, 'operator-tenant-limits-en');
});

await step('operator: a new tenant shows its admin token once; its sign-in link opens that tenant only', async () => {
  await nav(op, 'Tenants');
  await op.getByLabel('Name', { exact: true }).fill('Second GmbH');
  await op.getByLabel('System mailbox address').fill('system@second.example');
  await op.getByLabel('Domains of the tenant (assigned by you)').fill('second.example');
  await op.getByLabel('First company (optional)').fill('Head office');
  await op.getByRole('button', { name: 'Create' }).click();
  const signin = op.locator('[data-secret="signin-link"]');
  await signin.waitFor();
  const url = await signin.inputValue();
  assert(/#token=sendas_[^&]+&tenant=[0-9a-f-]{36}$/.test(url), `sign-in link: ${url}`);
  await look(op, 'operator-tenant-created-en');
  const second = await newPage('en-US');
  await second.goto(url);
  await waitH1(second, 'Mailboxes');
  const rows = await second.locator('tr[data-address]').evaluateAll((r) => r.map((x) => x.dataset.address));
  eq(rows, ['system@second.example'], 'the new tenant sees only its own system mailbox');
  assert((await second.getByTestId('quota').textContent()).includes('0 of 1'), 'quota 0 of 1');
  await second.context().close();
});

// ---- admin

const admin = await newPage('en-US');
const MB = {
  reply: 'replies2@demo.example',
  news: 'news@demo.example',
  smtp: 'smtp@demo.example',
  web: 'web@demo.example',
  all: 'all@demo.example',
};

async function openNewMailbox(page) {
  await nav(page, 'Mailboxes');
  await page.getByRole('link', { name: 'New mailbox' }).click();
  await waitH1(page, 'New mailbox');
}

async function saveMailbox(page) {
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Mailbox saved.').waitFor();
}

await step('admin (en): mailbox list with the five flags and the quota', async () => {
  await admin.goto(link(demo.tokens.admin, demo.tenant_id));
  await waitH1(admin, 'Mailboxes');
  const heads = await admin.locator('thead th').allTextContents();
  for (const c of ['Reply', 'Sender', 'Global', 'Authenticated', 'Restricted']) assert(heads.includes(c), `column ${c} in ${heads}`);
  const quota = await admin.getByTestId('quota').textContent();
  assert(quota.includes('4 of 9'), `quota line: ${quota}`);
  eq(await flagsOf(admin, 'sales@demo.example'), ['yes', 'yes', 'yes', 'no', 'yes'], 'sales@ flags (reply, sender, global, auth, restricted)');
  eq(await flagsOf(admin, 'billing@demo.example'), ['yes', 'yes', 'no', 'yes', 'no'], 'billing@ flags');
  await look(admin, 'admin-mailboxes-en');
});

await step('admin: the system mailbox cannot lose its fixed flags', async () => {
  await admin.locator('tr[data-address="system@demo.example"] a').click();
  await waitH1(admin, 'Mailbox system@demo.example');
  for (const l of ['Sender', 'Global', 'Authenticated', 'Restricted']) assert(await admin.getByLabel(l, { exact: true }).isDisabled(), `${l} disabled`);
  assert((await admin.getByRole('button', { name: 'Delete' }).count()) === 0, 'no delete');
  await look(admin, 'admin-mailbox-system-en');
});

await step('admin: groups and members (a group "Web staff" with alice)', async () => {
  await nav(admin, 'Groups');
  await admin.getByLabel('Name', { exact: true }).fill('Web staff');
  await admin.getByRole('button', { name: 'Create' }).click();
  await admin.locator('tr[data-group="Web staff"] a').click();
  await waitH1(admin, 'Group Web staff');
  await admin.getByLabel('Add member').selectOption({ label: 'Alice Academy (alice)' });
  await admin.getByRole('button', { name: 'Add member' }).click();
  await admin.locator('tr[data-login="alice"]').waitFor();
  await look(admin, 'admin-group-en');
  await nav(admin, 'Groups');
  await look(admin, 'admin-groups-en');
});

await step('admin: companies (create one)', async () => {
  await nav(admin, 'Companies');
  await admin.getByLabel('Name', { exact: true }).fill('Online');
  await admin.getByRole('button', { name: 'Create' }).click();
  await admin.getByRole('cell', { name: 'Online', exact: true }).waitFor();
  await look(admin, 'admin-companies-en');
});

await step('admin: reply-only mailbox of one company (Reply, not Global: the company picker)', async () => {
  await openNewMailbox(admin);
  assert(await admin.getByTestId('smtp-settings').isHidden(), 'SMTP settings hidden while not authenticated');
  assert(await admin.getByTestId('access').isHidden(), 'pickers hidden while not restricted');
  await admin.getByLabel('Address').fill(MB.reply);
  await admin.getByLabel('Display name', { exact: true }).fill('Event replies');
  await admin.getByLabel('Sender', { exact: true }).uncheck();
  await admin.getByLabel('Company').selectOption({ label: 'Events' });
  await look(admin, 'admin-mailbox-new-en');
  await saveMailbox(admin);
  await nav(admin, 'Mailboxes');
  eq(await flagsOf(admin, MB.reply), ['yes', 'no', 'no', 'no', 'no'], 'reply-only flags');
});

await step('admin: keyboard only (Tab/Space/Enter) creates a global sender mailbox', async () => {
  await nav(admin, 'Mailboxes');
  await admin.locator('main h1').focus();
  await tabTo(admin, 'the New mailbox link', (i) => i.tag === 'a' && i.text === 'New mailbox');
  await admin.keyboard.press('Enter');
  await waitH1(admin, 'New mailbox');
  await tabTo(admin, 'Address', (i) => i.name === 'address');
  await admin.keyboard.type(MB.news);
  await admin.keyboard.press('Tab');
  await admin.keyboard.type('Newsletter');
  await tabTo(admin, 'Reply', (i) => i.name === 'reply');
  await admin.keyboard.press('Space'); // off
  await admin.keyboard.press('Tab');
  eq((await admin.evaluate(() => document.activeElement.getAttribute('name'))), 'sender', 'Tab order: Reply then Sender');
  await admin.keyboard.press('Tab');
  await admin.keyboard.press('Space'); // Global on
  assert(await admin.getByLabel('Global', { exact: true }).isChecked(), 'Space ticks Global');
  assert(await admin.getByLabel('Company').isHidden(), 'no company picker for a global mailbox');
  await admin.keyboard.press('Tab');
  await admin.keyboard.press('Space'); // Authenticated on ...
  assert(await admin.getByTestId('smtp-settings').isVisible(), 'SMTP settings appear when authenticated is ticked');
  await admin.keyboard.press('Space'); // ... and off again
  assert(await admin.getByTestId('smtp-settings').isHidden(), 'and hide again');
  await tabTo(admin, 'Save', (i) => i.tag === 'button' && i.text === 'Save');
  await admin.keyboard.press('Enter');
  await admin.getByText('Mailbox saved.').waitFor();
  await nav(admin, 'Mailboxes');
  eq(await flagsOf(admin, MB.news), ['no', 'yes', 'yes', 'no', 'no'], 'keyboard-made mailbox flags');
});

await step('admin: authenticated mailbox (SMTP settings, write-only password, verify shows the stage)', async () => {
  await openNewMailbox(admin);
  await admin.getByLabel('Address').fill(MB.smtp);
  await admin.getByLabel('Display name', { exact: true }).fill('Own server');
  await admin.getByLabel('Global', { exact: true }).check();
  await admin.getByLabel('Authenticated', { exact: true }).check();
  await admin.getByTestId('smtp-settings').waitFor({ state: 'visible' });
  await admin.getByLabel('Server (host)').fill('127.0.0.1');
  await admin.getByLabel('Port').fill('9'); // nothing listens on the discard port
  await admin.getByLabel('Encryption').selectOption('none');
  await admin.getByLabel('Username').fill('smtp@demo.example');
  await admin.getByLabel('Password', { exact: true }).fill('upstream-secret-123');
  await look(admin, 'admin-mailbox-smtp-en');
  await saveMailbox(admin);
  await waitH1(admin, `Mailbox ${MB.smtp}`);
  eq(await admin.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is never shown again');
  assert((await admin.getByText('A password is stored').count()) === 1, 'but it says one is stored');
  const html = await admin.content();
  assert(!html.includes('upstream-secret-123'), 'the password is nowhere in the page');
  await admin.getByTestId('verify').click();
  const res = admin.locator('[data-testid="verify-result"] [data-stage]');
  await res.waitFor({ timeout: 20000 });
  eq(await res.getAttribute('data-stage'), 'connect', 'verify stage');
  eq(await res.getAttribute('data-ok'), 'false', 'verify outcome');
  await look(admin, 'admin-mailbox-verify-en');
  await nav(admin, 'Mailboxes');
  eq(await flagsOf(admin, MB.smtp), ['yes', 'yes', 'yes', 'yes', 'no'], 'authenticated flags');
});

await step('admin: restricted mailbox for the group "Web staff" (pickers when restricted is ticked)', async () => {
  await openNewMailbox(admin);
  await admin.getByLabel('Address').fill(MB.web);
  await admin.getByLabel('Display name', { exact: true }).fill('Web team');
  await admin.getByLabel('Global', { exact: true }).check();
  await admin.getByLabel('Restricted', { exact: true }).check();
  await admin.getByTestId('access').waitFor({ state: 'visible' });
  assert(await admin.getByTestId('access-empty').isVisible(), 'warns while nobody is chosen');
  await admin.getByTestId('access').getByLabel('Web staff').check();
  assert(await admin.getByTestId('access-empty').isHidden(), 'no warning once a group is chosen');
  eq(await admin.getByLabel('Display name in messages').inputValue(), 'free', 'free by default');
  await admin.getByLabel('Display name in messages').selectOption('fixed');
  await look(admin, 'admin-mailbox-restricted-en');
  await saveMailbox(admin);
  assert(await admin.getByTestId('access').getByLabel('Web staff').isChecked(), 'group kept');
  eq(await admin.getByLabel('Display name in messages').inputValue(), 'fixed', 'the policy kept in the form');
  const list = await fetch(`${BASE}/v1/tenants/${demo.tenant_id}/mailboxes`, { headers: { Authorization: `Bearer ${demo.tokens.admin}` } });
  const saved = (await list.json()).items.find((m) => m.address === MB.web);
  eq(saved.display_name_policy, 'fixed', 'the policy stored through the API');
  await nav(admin, 'Mailboxes');
  eq(await flagsOf(admin, MB.web), ['yes', 'yes', 'yes', 'no', 'yes'], 'restricted flags');
});

await step('admin: all five ticked (restricted to a user), then the quota: the operator message', async () => {
  await openNewMailbox(admin);
  await admin.getByLabel('Address').fill(MB.all);
  await admin.getByLabel('Display name', { exact: true }).fill('Everything');
  for (const l of ['Global', 'Authenticated', 'Restricted']) await admin.getByLabel(l, { exact: true }).check();
  await admin.getByLabel('Server (host)').fill('smtp.demo.example');
  await admin.getByLabel('Port').fill('465');
  await admin.getByLabel('Encryption').selectOption('tls');
  await admin.getByLabel('Username').fill('all@demo.example');
  await admin.getByTestId('access').getByLabel('Bob Events (bob)').check();
  await saveMailbox(admin);
  await nav(admin, 'Mailboxes');
  eq(await flagsOf(admin, MB.all), ['yes', 'yes', 'yes', 'yes', 'yes'], 'all flags');
  const quota = await admin.getByTestId('quota').textContent();
  assert(quota.includes('9 of 9'), `quota line: ${quota}`);
  await openNewMailbox(admin);
  await admin.getByLabel('Address').fill('over@demo.example');
  await admin.getByLabel('Display name', { exact: true }).fill('One too many');
  await admin.getByLabel('Global', { exact: true }).check();
  await admin.getByRole('button', { name: 'Save', exact: true }).click();
  const alert = admin.locator('[role="alert"][data-problem-type="quota_exceeded"]');
  await alert.waitFor();
  const text = await alert.textContent();
  assert(text.includes('Mailbox quota reached') && text.includes('ask the operator'), `quota message: ${text}`);
  await look(admin, 'admin-mailbox-quota-en');
  await nav(admin, 'Mailboxes');
  await look(admin, 'admin-mailboxes-full-en');
});

await step('admin: an OAuth mailbox (Microsoft 365 client credentials): fields kept, secret write-only, verify fails at a stage, health shown', async () => {
  const SECRET = 'm365-client-secret-Zq8v7Kp2-never-shown';
  const TOKEN_URL = 'http://127.0.0.1:9/token'; // nothing listens on the discard port
  const CLIENT_ID = '11111111-2222-3333-4444-web-test';
  // The relay logs in to the proxy's own STARTTLS port without TLS (loopback): the greeting works, the token endpoint does not.
  const cfg = await (await fetch(`${BASE}/config.json`)).json();
  const apiBodies = [];
  const onResponse = async (r) => {
    if (!r.url().includes('/v1/')) return;
    try {
      apiBodies.push(await r.text());
    } catch {
      /* no body */
    }
  };
  admin.on('response', onResponse);
  try {
    await nav(admin, 'Mailboxes');
    await admin.locator(`tr[data-address="${MB.all}"] a`).click();
    await waitH1(admin, `Mailbox ${MB.all}`);
    const method = admin.getByLabel('Login method');
    assert(await method.isVisible(), 'the login method select is shown');
    eq(await method.inputValue(), 'password', 'a mailbox made without a method logs in with a password');
    await method.selectOption('oauth2_client_credentials');
    eq(await admin.getByLabel('Password', { exact: true }).count(), 0, 'no password field for client credentials');
    eq(await admin.getByLabel('Token endpoint').inputValue(), 'directory', 'a new Microsoft 365 login starts with the Entra directory');
    assert(await admin.getByLabel('Directory (tenant) id or domain').isVisible(), 'the directory field is shown');
    await admin.getByLabel('Token endpoint').selectOption('url');
    assert(await admin.getByLabel('Directory (tenant) id or domain').isHidden(), 'the directory field hides for a token URL');
    await admin.getByLabel('Server (host)').fill('127.0.0.1');
    await admin.getByLabel('Port').fill(String(cfg.smtp.starttls_port));
    await admin.getByLabel('Encryption').selectOption('none');
    await admin.getByLabel('Token URL').fill(TOKEN_URL);
    await admin.getByLabel('Client (application) id').fill(CLIENT_ID);
    await admin.getByLabel('Client secret', { exact: true }).fill(SECRET);
    await look(admin, 'admin-mailbox-oauth-en');
    await saveMailbox(admin);

    // A real reload: what the form shows now comes from GET.
    await admin.reload();
    await waitH1(admin, `Mailbox ${MB.all}`);
    const kept = async (what) => {
      eq(await admin.getByLabel('Login method').inputValue(), 'oauth2_client_credentials', `${what}: method kept`);
      eq(await admin.getByLabel('Token endpoint').inputValue(), 'url', `${what}: token endpoint kind`);
      eq(await admin.getByLabel('Token URL').inputValue(), TOKEN_URL, `${what}: token URL kept`);
      eq(await admin.getByLabel('Client (application) id').inputValue(), CLIENT_ID, `${what}: client id kept`);
      eq(await admin.getByLabel('Scope', { exact: true }).inputValue(), 'https://outlook.office365.com/.default', `${what}: the default scope filled in`);
      const secret = admin.getByLabel('Client secret', { exact: true });
      eq(await secret.inputValue(), '', `${what}: the client secret is never shown again`);
      const hint = await admin.locator(`[id="${await secret.getAttribute('aria-describedby')}"]`).textContent();
      assert(/stored/i.test(hint), `${what}: the hint says it is stored: ${hint}`);
      assert(!(await admin.content()).includes(SECRET), `${what}: the secret is nowhere in the page`);
    };
    await kept('after saving');

    // Saving again without a secret keeps the method and the stored secret (the form sends smtp.login).
    await admin.getByLabel('Display name', { exact: true }).fill('Everything (Microsoft 365)');
    await saveMailbox(admin);
    await admin.reload();
    await waitH1(admin, `Mailbox ${MB.all}`);
    eq(await admin.getByLabel('Display name', { exact: true }).inputValue(), 'Everything (Microsoft 365)', 'the edit is saved');
    await kept('after an edit without a secret');

    await admin.getByTestId('verify').click();
    const res = admin.locator('[data-testid="verify-result"] [data-stage]');
    await res.waitFor({ timeout: 30000 });
    const stage = await res.getAttribute('data-stage');
    assert(['token', 'connect'].includes(stage), `verify fails at the token or connect stage, not ${stage}`);
    eq(await res.getAttribute('data-ok'), 'false', 'verify outcome');
    const health = admin.locator('[data-testid="smtp-settings"] [data-testid="health"][data-ok="false"]');
    await health.waitFor();
    eq(await health.getAttribute('data-stage'), stage, 'the health notice shows the stage verify failed at');
    await look(admin, 'admin-mailbox-oauth-verify-en');

    // The other methods' fields (axe), and a key that is not JSON is refused before anything is written.
    await admin.getByLabel('Login method').selectOption('oauth2_refresh_token');
    assert(await admin.getByTestId('login-method-changed').isVisible(), 'switching methods warns that the stored secret no longer applies');
    assert(await admin.getByLabel('Refresh token').isVisible(), 'refresh token field');
    await look(admin, 'admin-mailbox-refresh-token-en');
    await admin.getByLabel('Login method').selectOption('google_service_account');
    await admin.getByLabel('Service account key (JSON)').fill('not a key file');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = admin.locator('[role="alert"]');
    await alert.waitFor();
    assert((await alert.textContent()).includes('not a JSON key file'), `the key is refused: ${await alert.textContent()}`);
    eq(await admin.getByLabel('Service account key (JSON)').getAttribute('aria-invalid'), 'true', 'the key field is marked');
    await look(admin, 'admin-mailbox-service-account-en');
    await admin.reload();
    await waitH1(admin, `Mailbox ${MB.all}`);
    eq(await admin.getByLabel('Login method').inputValue(), 'oauth2_client_credentials', 'nothing was saved');

    await nav(admin, 'Mailboxes');
    const cell = admin.locator(`tr[data-address="${MB.all}"] [data-testid="health"]`);
    eq(await cell.getAttribute('data-ok'), 'false', 'the list shows the failed login');
    eq(await cell.getAttribute('data-stage'), stage, 'at its stage');
    eq(await admin.locator(`tr[data-address="${MB.smtp}"] [data-testid="health"]`).getAttribute('data-stage'), 'connect', 'and the password mailbox\'s');
    assert((await admin.locator('thead th').allTextContents()).includes('Last login'), 'a "Last login" column');
    await look(admin, 'admin-mailboxes-health-en');
  } finally {
    admin.off('response', onResponse);
  }
  assert(apiBodies.length > 0 && !apiBodies.some((b) => b.includes(SECRET)), 'no API answer carries the secret');
});

await step('admin: users (create, disable, enable) and a user page with app passwords', async () => {
  await nav(admin, 'Users');
  await admin.getByLabel('Login').fill('carol');
  await admin.getByLabel('Name', { exact: true }).fill('Carol Online');
  await admin.getByRole('group', { name: 'Companies' }).getByLabel('Online').check();
  await admin.getByRole('button', { name: 'Create' }).click();
  await admin.locator('tr[data-login="carol"]').waitFor();
  await admin.getByRole('button', { name: 'Disable: bob' }).click();
  await admin.locator('tr[data-login="bob"]').getByText('Disabled', { exact: true }).waitFor();
  await look(admin, 'admin-users-en');
  await admin.getByRole('button', { name: 'Enable: bob' }).click();
  await admin.locator('tr[data-login="bob"]').getByText('Enabled', { exact: true }).waitFor();
  await admin.locator('tr[data-login="alice"] a').click();
  await waitH1(admin, 'User alice');
  const from = await admin.locator('.card', { hasText: 'May send as (From)' }).textContent();
  assert(from.includes(MB.web) && !from.includes(MB.reply), `alice's From on the admin page: ${from}`);
  await admin.getByLabel('Name', { exact: true }).last().fill('Admin-made');
  await admin.getByRole('button', { name: 'Create' }).click();
  await admin.locator('[data-secret="app-password"]').waitFor();
  await look(admin, 'admin-user-en');
});

await step('admin: a form opened before someone else\'s edit saves nothing over it (If-Match, 412)', async () => {
  // The admin is on alice's page; meanwhile another admin renames her through the API.
  const path = new URL(admin.url()).hash.replace(/^#/, '').split('?')[0];
  const id = path.split('/').pop();
  const api = `${BASE}/v1/tenants/${demo.tenant_id}/users/${id}`;
  const auth = { Authorization: `Bearer ${demo.tokens.admin}`, 'Content-Type': 'application/json' };
  const before = await fetch(api, { headers: auth });
  const original = await before.json();
  assert(before.headers.get('etag') === `"${original.version}"`, 'ETag is the version');
  const other = await fetch(api, { method: 'PATCH', headers: auth, body: JSON.stringify({ name: 'Alice (renamed elsewhere)' }) });
  assert(other.status === 200, `the other admin's edit: ${other.status}`);
  await admin.getByLabel('Name', { exact: true }).first().fill('Alice from a stale form');
  await admin.getByRole('button', { name: 'Save' }).first().click();
  await admin.locator('[data-problem-type="precondition_failed"]').waitFor();
  const stored = await (await fetch(api, { headers: auth })).json();
  assert(stored.name === 'Alice (renamed elsewhere)', `the stale form overwrote the other edit: ${stored.name}`);
  await admin.reload();
  await waitH1(admin, 'User alice');
  const shown = await admin.getByLabel('Name', { exact: true }).first().inputValue();
  assert(shown === 'Alice (renamed elsewhere)', `after reloading the form shows ${shown}`);
  const back = await fetch(api, { method: 'PATCH', headers: auth, body: JSON.stringify({ name: original.name }) });
  assert(back.status === 200, 'name restored for the later steps');
});

await step('admin: a user\'s sending limits (above the ceiling: the detail; within it: kept)', async () => {
  await nav(admin, 'Users');
  await admin.locator('tr[data-login="bob"] a').click();
  await waitH1(admin, 'User bob');
  const perMinute = limitInput(admin, 'Sending limits', 'Messages per minute');
  eq(await perMinute.inputValue(), '', 'no limit of his own yet');
  eq(await perMinute.getAttribute('placeholder'), '20', 'the tenant\'s user default shows through');
  const hint = await admin.locator(`[id="${await admin.getByRole('group', { name: 'Sending limits' }).getAttribute('aria-describedby')}"]`).textContent();
  assert(hint.includes('the tenant’s default applies') && hint.includes('ceiling'), `the hint: ${hint}`);
  await perMinute.fill('50');
  await admin.getByRole('button', { name: 'Save', exact: true }).first().click();
  const alert = admin.locator('[role="alert"][data-problem-type="validation_failed"]');
  await alert.waitFor();
  assert((await alert.textContent()).includes('messages_per_minute: 50 is above the ceiling of 30'), `the detail: ${await alert.textContent()}`);
  eq(await perMinute.getAttribute('aria-invalid'), 'true', 'the field is marked');
  await look(admin, 'admin-user-limits-error-en');
  await perMinute.fill('25');
  await limitInput(admin, 'Sending limits', 'Recipients per hour').fill('300');
  await admin.getByRole('button', { name: 'Save', exact: true }).first().click();
  await admin.getByText('Saved.').waitFor();
  await admin.reload();
  await waitH1(admin, 'User bob');
  eq(await limitInput(admin, 'Sending limits', 'Messages per minute').inputValue(), '25', 'the limit is kept');
  eq(await limitInput(admin, 'Sending limits', 'Recipients per hour').inputValue(), '300', 'and the other one');
  eq(await limitInput(admin, 'Sending limits', 'Messages per day').inputValue(), '', 'unset ones stay empty');
  const u = await (await fetch(`${BASE}/v1/tenants/${demo.tenant_id}/users/${bob.id}`, { headers: { Authorization: `Bearer ${demo.tokens.admin}` } })).json();
  eq([u.limits.messages_per_minute, u.limits.recipients_per_hour, u.limits.messages_per_day], [25, 300, null], 'stored through the API');
  await look(admin, 'admin-user-limits-en');
});

await step('admin: a mailbox\'s sending limits are saved (the full replace keeps the other fields)', async () => {
  await nav(admin, 'Mailboxes');
  await admin.locator(`tr[data-address="${MB.web}"] a`).click();
  await waitH1(admin, `Mailbox ${MB.web}`);
  await limitInput(admin, 'Sending limits', 'Recipients per day').fill('1000');
  await limitInput(admin, 'Sending limits', 'Messages per hour').fill('60');
  await saveMailbox(admin);
  await admin.reload();
  await waitH1(admin, `Mailbox ${MB.web}`);
  eq(await limitInput(admin, 'Sending limits', 'Recipients per day').inputValue(), '1000', 'the mailbox limit is kept');
  eq(await limitInput(admin, 'Sending limits', 'Messages per hour').inputValue(), '60', 'and the other one');
  eq(await admin.getByLabel('Display name in messages').inputValue(), 'fixed', 'the policy is kept');
  assert(await admin.getByTestId('access').getByLabel('Web staff').isChecked(), 'the access list is kept');
  const list = await (await fetch(`${BASE}/v1/tenants/${demo.tenant_id}/mailboxes`, { headers: { Authorization: `Bearer ${demo.tokens.admin}` } })).json();
  const saved = list.items.find((m) => m.address === MB.web);
  eq([saved.limits.recipients_per_day, saved.limits.messages_per_hour, saved.limits.messages_per_minute, saved.display_name_policy], [1000, 60, null, 'fixed'], 'stored through the API');
  await look(admin, 'admin-mailbox-limits-en');
});

await step('admin: API tokens (issue a user token for bob: shown once, with a sign-in link)', async () => {
  await nav(admin, 'API tokens');
  await admin.getByLabel('Name', { exact: true }).fill('bob laptop');
  await admin.getByLabel('User', { exact: true }).selectOption({ label: 'Bob Events (bob)' });
  await admin.getByRole('button', { name: 'Create' }).click();
  const tok = admin.locator('[data-secret="token"]');
  await tok.waitFor();
  assert((await tok.inputValue()).startsWith('sendas_'), 'token shown');
  assert((await admin.locator('[data-secret="signin-link"]').inputValue()).includes('#token=sendas_'), 'sign-in link shown');
  await look(admin, 'admin-tokens-en');
  await admin.reload();
  await waitH1(admin, 'API tokens');
  eq(await admin.locator('[data-secret="token"]').count(), 0, 'not shown again after a reload');
});

// ---- users

const al = await newPage('de-DE');
let appPassword = '';
let settings = {};
await step('alice (de, pasted token): "Meine Adressen" lists the group mailbox', async () => {
  await al.goto(BASE);
  await waitH1(al, 'Anmelden');
  eq(await al.evaluate(() => document.documentElement.lang), 'de', 'html lang');
  await look(al, 'signin-de');
  await al.getByLabel('API-Token').fill(alice.token);
  await al.getByRole('button', { name: 'Anmelden' }).click();
  await waitH1(al, 'Meine Adressen');
  const from = await al.getByTestId('from-list').locator('tr[data-address]').evaluateAll((rows) => rows.map((r) => r.dataset.address));
  const reply = await al.getByTestId('reply-list').locator('tr[data-address]').evaluateAll((rows) => rows.map((r) => r.dataset.address));
  for (const a of [MB.web, MB.news, MB.smtp, 'info@demo.example', 'sales@demo.example']) assert(from.includes(a), `alice may send as ${a}: ${from}`);
  for (const a of [MB.reply, MB.all, 'replies@demo.example']) assert(!from.includes(a), `alice may not send as ${a}: ${from}`);
  assert(reply.includes(MB.web) && !reply.includes(MB.news), `alice's Reply-To: ${reply}`);
  await look(al, 'user-addresses-de');
});

await step('alice (de): creates an app password: shown once with the client settings', async () => {
  await al.getByRole('navigation').getByRole('link', { name: 'App-Passwörter' }).click();
  await waitH1(al, 'App-Passwörter');
  await al.getByLabel('Name', { exact: true }).fill('Thunderbird');
  await al.getByRole('button', { name: 'Anlegen' }).click();
  const pw = al.locator('[data-secret="app-password"]');
  await pw.waitFor();
  appPassword = await pw.inputValue();
  assert(/^[a-z2-7]{32}$/i.test(appPassword), `app password: ${appPassword}`);
  settings = {
    host: await al.getByTestId('smtp-host').textContent(),
    port: Number(await al.getByTestId('smtp-starttls-port').getAttribute('data-port')),
    tlsPort: Number(await al.getByTestId('smtp-tls-port').getAttribute('data-port')),
    username: await al.getByTestId('smtp-username').textContent(),
  };
  eq(settings.host, demo.smtp.host, 'host');
  eq(settings.port, demo.smtp.port, 'STARTTLS port');
  eq(settings.tlsPort, demo.smtp.tls_port, 'TLS port');
  eq(settings.username, 'alice', 'username');
  assert((await al.getByText('mit STARTTLS').count()) === 1, 'says STARTTLS');
  await look(al, 'user-app-password-de');
  const dates = await al.locator('time').evaluateAll((ts) =>
    ts.map((t) => [t.textContent, new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(t.getAttribute('datetime')))]),
  );
  assert(dates.length > 0 && dates.every(([a, b]) => a === b), `dates in the German locale: ${JSON.stringify(dates)}`);
});

await step('alice sends through the proxy with that app password (swaks, STARTTLS): it lands in the outbox', async () => {
  const before = outbox().length;
  const out = execFileSync('swaks', [
    '--server', `${settings.host}:${settings.port}`, '--tls',
    '--auth', 'PLAIN', '--auth-user', settings.username, '--auth-password', appPassword,
    '--from', MB.web, '--to', 'someone@example.net',
    '--header', `From: Web team <${MB.web}>`, '--header', 'Subject: sent with a web-made app password',
  ], { encoding: 'utf8', timeout: 30000 });
  assert(/<[-~] +250 2\.0\.0/.test(out), `no 250 after DATA:\n${out}`);
  let files = [];
  for (let i = 0; i < 50 && files.length <= before; i++) {
    files = outbox();
    await new Promise((r) => setTimeout(r, 100));
  }
  const fresh = files.map((f) => readFileSync(join(DATA, 'outbox', f), 'utf8')).filter((m) => m.includes('sent with a web-made app password'));
  eq(fresh.length, 1, 'one message in the outbox');
  assert(fresh[0].includes(`From: Web team <${MB.web}>`), 'the message is the one sent');
  // And one that must be refused: all@ is bob's, not alice's.
  let refused = '';
  try {
    execFileSync('swaks', ['--server', `${settings.host}:${settings.port}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', appPassword,
      '--from', MB.web, '--to', 'someone@example.net', '--header', `From: Everything <${MB.all}>`], { encoding: 'utf8', timeout: 30000 });
  } catch (e) {
    refused = String(e.stdout);
  }
  assert(/550 5\.7\.1/.test(refused), `From: all@ refused for alice: ${refused}`);
});

await step('alice sends as smtp@, whose own server is down: 451 4.4.0, the client keeps it (a deferred record)', async () => {
  let deferred = '';
  try {
    execFileSync('swaks', ['--server', `${settings.host}:${settings.port}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', appPassword,
      '--from', MB.smtp, '--to', 'someone@example.net', '--header', `From: Own server <${MB.smtp}>`], { encoding: 'utf8', timeout: 30000 });
  } catch (e) {
    deferred = String(e.stdout);
  }
  assert(/451 4\.4\.0/.test(deferred), `From: smtp@ (upstream 127.0.0.1:9) deferred: ${deferred}`);
});

await step('alice: the language switch turns the page English', async () => {
  await al.getByTestId('lang-switch').click();
  await waitH1(al, 'App passwords');
  eq(await al.evaluate(() => document.documentElement.lang), 'en', 'html lang after the switch');
  await al.getByTestId('lang-switch').click();
  await waitH1(al, 'App-Passwörter');
});

const bo = await newPage('en-GB');
await step('bob (en, link): not in the group, so no web@ in his From list', async () => {
  await bo.goto(link(bob.token));
  await waitH1(bo, 'My addresses');
  const from = await bo.getByTestId('from-list').locator('tr[data-address]').evaluateAll((rows) => rows.map((r) => r.dataset.address));
  assert(!from.includes(MB.web), `bob must not see ${MB.web}: ${from}`);
  assert(from.includes(MB.news) && from.includes(MB.all), `bob sees news@ and all@ (listed by name): ${from}`);
  await look(bo, 'user-addresses-en');
  await nav(bo, 'App passwords');
  await look(bo, 'user-app-passwords-en');
});

// ---- audit and German admin

await step('admin: audit log (filter by mailbox, paging by one)', async () => {
  await nav(admin, 'Audit log');
  let rows = [];
  for (let i = 0; i < 30; i++) {
    rows = await admin.locator('tr[data-audit]').evaluateAll((r) => r.map((x) => x.dataset.code));
    if (['250', '550', '451'].every((c) => rows.includes(c))) break;
    await new Promise((r) => setTimeout(r, 200));
    await admin.getByRole('button', { name: 'Apply filters' }).click();
  }
  assert(rows.includes('250') && rows.includes('550') && rows.includes('451'), `audit codes: ${rows}`);
  await look(admin, 'admin-audit-en');
  await admin.getByLabel('Mailbox', { exact: true }).selectOption({ label: MB.news });
  await admin.getByRole('button', { name: 'Apply filters' }).click();
  await admin.locator('main .empty').waitFor();
  eq(await admin.locator('tr[data-audit]').count(), 0, 'nothing was sent as news@');
  await admin.getByLabel('Mailbox', { exact: true }).selectOption({ label: MB.web });
  await admin.getByRole('button', { name: 'Apply filters' }).click();
  await admin.locator('tr[data-audit][data-code="250"]').waitFor();
  await admin.getByLabel('Mailbox', { exact: true }).selectOption({ label: 'All mailboxes' });
  await admin.getByLabel('Per page').selectOption('1');
  await admin.getByRole('button', { name: 'Apply filters' }).click();
  // Each rendering of the page carries its query: wait for the one asked for, not the previous one.
  await admin.locator('section[data-query="limit=1"]').waitFor();
  eq(await admin.getByTestId('page-number').textContent(), 'Page 1', 'page number');
  const first = await admin.locator('tr[data-audit]').getAttribute('data-audit');
  await admin.getByTestId('older').click();
  await admin.locator('section[data-query^="limit=1&after="]').waitFor();
  eq(await admin.getByTestId('page-number').textContent(), 'Page 2', 'page number');
  const second = await admin.locator('tr[data-audit]').getAttribute('data-audit');
  assert(first !== second, 'page 2 is another record');
  await admin.getByTestId('newer').click();
  await admin.locator('section[data-query="limit=1"]').waitFor();
  eq(await admin.locator('tr[data-audit]').getAttribute('data-audit'), first, 'back to page 1');
});

await step('admin: audit log (filter by outcome and by user; deferred has its own badge)', async () => {
  const rowsOf = () => admin.locator('tr[data-audit]').evaluateAll((r) => r.map((x) => ({ code: x.dataset.code, outcome: x.dataset.outcome, user: x.dataset.user })));
  const apply = async (q) => {
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    await admin.locator(`section[data-query="${q}"]`).waitFor();
  };
  const outcome = admin.getByLabel('Outcome', { exact: true });
  const user = admin.getByLabel('User', { exact: true });
  await admin.getByLabel('Per page').selectOption('20');

  await outcome.selectOption({ label: 'refused' });
  await apply('limit=20&outcome=rejected');
  let rows = await rowsOf();
  assert(rows.some((r) => r.code === '550'), `the 550 is listed as refused: ${JSON.stringify(rows)}`);
  assert(rows.every((r) => r.outcome === 'rejected' && r.code.startsWith('5')), `only refused: ${JSON.stringify(rows)}`);

  await outcome.selectOption({ label: 'deferred (retried)' });
  await apply('limit=20&outcome=deferred');
  rows = await rowsOf();
  assert(rows.some((r) => r.code === '451'), `the 451 is listed as deferred: ${JSON.stringify(rows)}`);
  assert(rows.every((r) => r.outcome === 'deferred' && r.code.startsWith('4')), `only deferred: ${JSON.stringify(rows)}`);
  eq(await admin.locator('tr[data-audit] .badge-warn').first().textContent(), 'deferred (retried)', 'the deferred badge');
  eq(await admin.locator('tr[data-audit] .badge-off').count(), 0, 'no refused badge among deferred rows');
  await look(admin, 'admin-audit-deferred-en');

  await outcome.selectOption({ label: 'All outcomes' });
  await user.selectOption({ label: 'Alice Academy (alice)' });
  await apply(`limit=20&user_id=${alice.id}`);
  rows = await rowsOf();
  for (const c of ['250', '550', '451']) assert(rows.some((r) => r.code === c), `alice's ${c}: ${JSON.stringify(rows)}`);
  assert(rows.every((r) => r.user === alice.id), `only alice's: ${JSON.stringify(rows)}`);

  await outcome.selectOption({ label: 'accepted' });
  await apply(`limit=20&user_id=${alice.id}&outcome=accepted`);
  rows = await rowsOf();
  assert(rows.length >= 1 && rows.every((r) => r.user === alice.id && r.outcome === 'accepted' && r.code === '250'), `alice's accepted: ${JSON.stringify(rows)}`);

  await outcome.selectOption({ label: 'All outcomes' });
  await user.selectOption({ label: 'Bob Events (bob)' });
  await apply(`limit=20&user_id=${bob.id}`);
  await admin.locator('main .empty').waitFor();
  eq(await admin.locator('tr[data-audit]').count(), 0, 'bob sent nothing');

  await user.selectOption({ label: 'All users' });
  await apply('limit=20');
  assert((await rowsOf()).length >= 3, 'all records again');
});

await step('admin: a template with the preset sender web@ (templates page)', async () => {
  await nav(admin, 'Templates');
  await admin.getByRole('link', { name: 'New template' }).click();
  await waitH1(admin, 'New template');
  await admin.getByLabel('Name', { exact: true }).fill('Web invitation');
  const fromSelect = admin.getByLabel('Preset sender (From)');
  const webValue = await fromSelect.locator('option', { hasText: MB.web }).getAttribute('value');
  await fromSelect.selectOption(webValue);
  await admin.getByLabel('Subject', { exact: true }).fill('Invitation for {{ guest }}');
  await admin.getByLabel('Text', { exact: true }).fill('Hello {{ guest }},\nsee you there.\n');
  await admin.getByRole('button', { name: 'Save' }).click();
  await waitH1(admin, 'Template “Web invitation”');
  const vars = await admin.getByTestId('variables').textContent();
  assert(vars.includes('guest'), `the variables are listed: ${vars}`);
  await axe(admin, 'admin-template-en');
  await look(admin, 'admin-template-en');
});

await step('alice (de): sends the template over HTTP; it is in the outbox from web@', async () => {
  await al.getByRole('navigation').getByRole('link', { name: 'Senden', exact: true }).click();
  await waitH1(al, 'Nachricht senden');
  await al.getByLabel('Vorlage', { exact: true }).selectOption({ label: 'Web invitation' });
  const chosen = await al.getByLabel('Absender (From)', { exact: true }).evaluate((s) => s.options[s.selectedIndex].text);
  assert(chosen.includes(MB.web), `the preset sender is chosen: ${chosen}`);
  await al.getByLabel('An', { exact: true }).fill('guest@example.net');
  await al.getByLabel('guest', { exact: true }).fill('Gast');
  await al.getByRole('button', { name: 'Senden', exact: true }).click();
  const sent = await al.getByTestId('sent').textContent();
  const id = (sent.match(/<[^>]+>/) ?? [''])[0];
  assert(id.endsWith('@demo.example>'), `a Message-ID of the sending domain: ${sent}`);
  const found = outbox().map((f) => readFileSync(join(DATA, 'outbox', f), 'utf8')).filter((m) => m.includes(id));
  eq(found.length, 1, 'the message is in the outbox once');
  assert(/^From: .*<web@demo\.example>/m.test(found[0]) && /^Subject: Invitation for Gast/m.test(found[0]), found[0].slice(0, 600));
  await axe(al, 'user-send-de');
  await look(al, 'user-send-de');
});

await step('bob: the template is not offered to him (its sender is not his)', async () => {
  await bo.getByRole('navigation').getByRole('link', { name: 'Send', exact: true }).click();
  await waitH1(bo, 'Send a message');
  const offered = await bo.getByLabel('Template', { exact: true }).locator('option').allTextContents();
  assert(!offered.includes('Web invitation'), `bob is not offered it: ${offered}`);
});

// ---- address ownership: sending domains, the ownership column, confirming an address, platform domains

const OWN = {
  claimed: 'bigbank.example',
  dropped: 'drop-me.example',
  unowned: 'info@unowned.example',
  pending: 'news@bigbank.example',
  platform: 'mail.sendas.example',
  sender: 'no-reply@mail.sendas.example',
};
const RESULT_LABELS = {
  found: 'found',
  no_such_name: 'no such name (NXDOMAIN)',
  no_record: 'no TXT record',
  wrong_value: 'a record with another value',
  resolver_failed: 'the resolver failed (no answer)',
};
const adminApi = (path, init = {}) =>
  fetch(`${BASE}/v1/tenants/${demo.tenant_id}${path}`, { ...init, headers: { Authorization: `Bearer ${demo.tokens.admin}`, 'Content-Type': 'application/json' } });
const operatorApi = (path, init = {}) => fetch(`${BASE}/v1${path}`, { ...init, headers: { Authorization: `Bearer ${demo.tokens.operator}`, 'Content-Type': 'application/json' } });
const ownershipOf = (page, address) => page.locator(`tr[data-address="${address}"] [data-testid="ownership"]`).getAttribute('data-ownership');

/** The newest confirmation code mailed to `address` (from the outbox: the system relay of the demo). */
function codeFromOutbox(address) {
  const dir = join(DATA, 'outbox');
  const mails = outbox()
    .map((f) => ({ f, at: statSync(join(dir, f)).mtimeMs, raw: readFileSync(join(dir, f), 'utf8') }))
    .filter((m) => m.raw.includes(`To: ${address}`) || m.raw.includes(`<${address}>`))
    .sort((a, b) => b.at - a.at);
  for (const m of mails) {
    const split = m.raw.indexOf('\r\n\r\n') >= 0 ? m.raw.indexOf('\r\n\r\n') : m.raw.indexOf('\n\n');
    const head = m.raw.slice(0, split);
    let body = m.raw.slice(split).trim();
    if (/^Content-Transfer-Encoding: *base64/im.test(head)) body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    else if (/^Content-Transfer-Encoding: *quoted-printable/im.test(head)) {
      body = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, x) => String.fromCharCode(parseInt(x, 16))), 'latin1').toString('utf8');
    }
    const code = /confirmation code is:\s+(\S{8})/.exec(body)?.[1];
    if (code) return code;
  }
  return null;
}

await step('admin: claims a domain (the TXT record to publish, pending); Verify shows what the resolver answered; a claim is released', async () => {
  await nav(admin, 'Domains');
  await waitH1(admin, 'Sending domains');
  await look(admin, 'admin-domains-empty-en');
  await admin.getByLabel('Domain', { exact: true }).fill(OWN.claimed);
  await admin.getByRole('button', { name: 'Claim', exact: true }).click();
  await admin.getByText(`Claimed ${OWN.claimed}`).waitFor();
  const card = admin.locator(`article[data-domain="${OWN.claimed}"]`);
  eq(await card.getByTestId('domain-state').getAttribute('data-state'), 'pending', 'a new claim is pending');
  eq((await card.getByTestId('domain-state').textContent()).trim(), 'pending', 'and says so');
  const api = (await (await adminApi('/domains')).json()).items.find((d) => d.name === OWN.claimed);
  eq(await card.getByLabel('Record name', { exact: true }).inputValue(), api.records[0].name, 'the record name');
  eq(await card.getByLabel('Record value', { exact: true }).inputValue(), api.records[0].value, 'the record value');
  eq(api.records[0].name, `_sendas-challenge.${OWN.claimed}`, 'the record name is the challenge name');
  assert(/^sendas-verification=\S{20,}$/.test(api.records[0].value), `the record value: ${api.records[0].value}`);
  assert(await card.getByLabel('Record value', { exact: true }).evaluate((i) => i.readOnly), 'the record is shown read-only (to copy)');
  assert((await card.getByText('Not checked yet').count()) === 1, 'not checked yet');
  await look(admin, 'admin-domain-claimed-en');

  await card.getByRole('button', { name: `Verify: ${OWN.claimed}` }).click();
  const res = card.locator('[data-testid="domain-verify-result"] [data-result]');
  await res.waitFor({ timeout: 20000 });
  const after = (await (await adminApi(`/domains/${api.id}`)).json());
  const result = await res.getAttribute('data-result');
  eq(result, after.last_check.result, 'the result shown is the one the API recorded');
  assert(result !== 'found', `the demo has no record for ${OWN.claimed}: ${result}`);
  const text = await res.textContent();
  assert(text.includes('Not verified yet') && text.includes(RESULT_LABELS[result]) && text.includes(after.last_check.detail), `the answer in words: ${text}`);
  eq(await card.getByTestId('domain-state').getAttribute('data-state'), 'pending', 'still pending');
  eq(await card.getByTestId('last-check').getAttribute('data-result'), result, 'the last check is shown with its time');
  assert((await card.getByTestId('last-check').locator('time').count()) === 1, 'the last check has a time');
  await look(admin, 'admin-domain-verified-en');

  await admin.getByLabel('Domain', { exact: true }).fill(OWN.dropped);
  await admin.getByRole('button', { name: 'Claim', exact: true }).click();
  await admin.locator(`article[data-domain="${OWN.dropped}"]`).waitFor();
  await admin.getByRole('button', { name: `Release: ${OWN.dropped}` }).click();
  await admin.getByText(`Released ${OWN.dropped}.`).waitFor();
  eq(await admin.locator(`article[data-domain="${OWN.dropped}"]`).count(), 0, 'the released claim is gone');
  await admin.getByLabel('Domain', { exact: true }).fill('example');
  await admin.getByRole('button', { name: 'Claim', exact: true }).click();
  const alert = admin.locator('main [role="alert"][data-problem-type]');
  await alert.waitFor();
  eq(await admin.getByLabel('Domain', { exact: true }).getAttribute('aria-invalid'), 'true', 'a public suffix alone is refused, the field marked');
  await look(admin, 'admin-domain-refused-en');
});

await step('admin: the ownership column (demo mailboxes owned; a new one at an unowned domain: unconfirmed, not usable; one at the pending domain)', async () => {
  const raise = await operatorApi(`/tenants/${demo.tenant_id}`, { method: 'PATCH', body: JSON.stringify({ mailbox_quota: 12 }) });
  eq(raise.status, 200, 'the operator raises the quota for these mailboxes');
  for (const [address, name] of [[OWN.unowned, 'Unowned info'], [OWN.pending, 'Bigbank news']]) {
    await openNewMailbox(admin);
    await admin.getByLabel('Address').fill(address);
    await admin.getByLabel('Display name', { exact: true }).fill(name);
    await admin.getByLabel('Global', { exact: true }).check();
    await saveMailbox(admin);
  }
  await nav(admin, 'Mailboxes');
  assert((await admin.locator('thead th').allTextContents()).includes('Ownership'), 'an "Ownership" column');
  eq(await ownershipOf(admin, 'sales@demo.example'), 'verified_domain', 'sales@ is in the assigned demo domain');
  assert(['verified_domain', 'operator'].includes(await ownershipOf(admin, 'system@demo.example')), 'the system mailbox is owned');
  eq(await ownershipOf(admin, OWN.unowned), 'unconfirmed', 'a mailbox at an unowned domain');
  eq(await ownershipOf(admin, OWN.pending), 'pending_domain', 'a mailbox at the pending claim');
  const cell = await admin.locator(`tr[data-address="${OWN.unowned}"] [data-testid="ownership"]`).textContent();
  assert(cell.includes('Unconfirmed') && cell.includes('Not usable'), `the cell: ${cell}`);
  const owned = await admin.locator('tr[data-address="sales@demo.example"] [data-testid="ownership"]').textContent();
  assert(owned.includes('Verified domain') && !owned.includes('Not usable'), `an owned cell: ${owned}`);
  await look(admin, 'admin-mailboxes-ownership-en');
  // And what the API says of them agrees.
  const items = (await (await adminApi('/mailboxes')).json()).items;
  eq(items.find((m) => m.address === OWN.unowned).ownership, 'unconfirmed', 'the API agrees');
});

await step('admin: the mailbox form offers "Confirm this address"; without a platform sender a code request is a clear error', async () => {
  await admin.locator(`tr[data-address="${OWN.unowned}"] a`).click();
  await waitH1(admin, `Mailbox ${OWN.unowned}`);
  eq(await admin.getByTestId('ownership-line').getAttribute('data-ownership'), 'unconfirmed', 'the form says it is not owned');
  const section = admin.getByTestId('confirmation');
  await section.getByRole('heading', { name: 'Confirm this address' }).waitFor();
  assert((await section.getByTestId('confirmation-state').textContent()).includes('No code sent yet'), 'no code yet');
  await look(admin, 'admin-mailbox-confirm-en');
  await section.getByRole('button', { name: 'Send a code' }).click();
  const err = section.locator('[data-testid="confirmation-result"] [role="alert"]');
  await err.waitFor();
  const type = await err.getAttribute('data-problem-type');
  const text = await err.textContent();
  assert(type && text.length > 10, `an error with the API's problem: ${type}: ${text}`);
  await look(admin, 'admin-mailbox-confirm-error-en');
  // An owned mailbox has no confirmation section.
  await nav(admin, 'Mailboxes');
  await admin.locator('tr[data-address="sales@demo.example"] a').click();
  await waitH1(admin, 'Mailbox sales@demo.example');
  eq(await admin.getByTestId('confirmation').count(), 0, 'no confirmation for an owned address');
  eq(await admin.getByTestId('ownership-line').getAttribute('data-ownership'), 'verified_domain', 'it says why it is owned');
});

await step('operator: platform domains and the platform sender (saved, kept), every tenant\'s claims listed', async () => {
  await nav(op, 'Domains');
  await waitH1(op, 'Platform domains');
  assert((await op.getByText('No platform sender is set').count()) === 1, 'warns that no sender is set');
  const claims = await op.locator('tr[data-claim]').evaluateAll((r) => r.map((x) => `${x.dataset.claim}@${x.dataset.tenant}`));
  for (const c of [`demo.example@Demo Seminars`, `${OWN.claimed}@Demo Seminars`, 'second.example@Second GmbH']) assert(claims.includes(c), `claim ${c} in ${claims}`);
  eq(await op.locator(`tr[data-claim="${OWN.claimed}"] [data-testid="domain-state"]`).getAttribute('data-state'), 'pending', 'its state');
  await look(op, 'operator-domains-en');
  await op.getByLabel('Platform domains').fill(OWN.platform);
  await op.getByLabel('Platform sender').fill('no-reply@elsewhere.example');
  await op.getByRole('button', { name: 'Save', exact: true }).click();
  await op.locator('main [role="alert"][data-problem-type]').waitFor();
  await op.getByLabel('Platform sender').fill(OWN.sender);
  await op.getByRole('button', { name: 'Save', exact: true }).click();
  await op.getByText('Saved.').waitFor();
  await op.reload();
  await waitH1(op, 'Platform domains');
  eq(await op.getByLabel('Platform domains').inputValue(), OWN.platform, 'the platform domain is kept');
  eq(await op.getByLabel('Platform sender').inputValue(), OWN.sender, 'the sender is kept');
  eq(await op.getByText('No platform sender is set').count(), 0, 'no warning any more');
  const p = await (await operatorApi('/platform-domains')).json();
  eq([p.domains, p.sender], [[OWN.platform], OWN.sender], 'stored through the API');
  await look(op, 'operator-domains-saved-en');
});

await step('admin: with a platform sender the code is mailed; a wrong code is refused, the right one confirms the address', async () => {
  await nav(admin, 'Mailboxes');
  await admin.locator(`tr[data-address="${OWN.unowned}"] a`).click();
  await waitH1(admin, `Mailbox ${OWN.unowned}`);
  const section = admin.getByTestId('confirmation');
  await section.getByRole('button', { name: 'Send a code' }).click();
  const sent = section.locator('[data-testid="confirmation-result"] [data-outcome="sent"]');
  await sent.waitFor();
  assert((await sent.textContent()).includes(`A code was sent to ${OWN.unowned}`), `the result: ${await sent.textContent()}`);
  assert((await section.getByTestId('confirmation-state').textContent()).includes('1 of 3'), 'one code sent today');
  let code = null;
  for (let i = 0; i < 50 && !code; i++) {
    code = codeFromOutbox(OWN.unowned);
    if (!code) await new Promise((r) => setTimeout(r, 100));
  }
  assert(code, 'the code is in the message in the outbox');
  assert(!(await admin.content()).includes(code), 'the code is not in the page');
  await look(admin, 'admin-mailbox-confirm-sent-en');
  const wrong = code === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA';
  await section.getByLabel('Code from the message').fill(wrong);
  await section.getByRole('button', { name: 'Confirm', exact: true }).click();
  const err = section.locator('[data-testid="confirmation-result"] [role="alert"]');
  await err.waitFor();
  eq(await section.getByLabel('Code from the message').getAttribute('aria-invalid'), 'true', 'the code field is marked');
  assert((await section.getByTestId('confirmation-state').textContent()).includes('4 tries left'), `a try is used: ${await section.getByTestId('confirmation-state').textContent()}`);
  await look(admin, 'admin-mailbox-confirm-wrong-en');
  await section.getByLabel('Code from the message').fill(code.toLowerCase());
  await section.getByRole('button', { name: 'Confirm', exact: true }).click();
  await admin.getByText(`${OWN.unowned} is confirmed.`).waitFor();
  await admin.locator('[data-testid="ownership-line"][data-ownership="confirmed"]').waitFor();
  eq(await admin.getByTestId('confirmation').count(), 0, 'no confirmation section once confirmed');
  await nav(admin, 'Mailboxes');
  eq(await ownershipOf(admin, OWN.unowned), 'confirmed', 'the list says confirmed');
});

await step('operator: assigns a domain on the tenant page (one held by another tenant: domain_claimed), releases a claim on the platform page', async () => {
  await nav(op, 'Tenants');
  await op.locator('tr[data-tenant="Demo Seminars"] a').click();
  await waitH1(op, 'Tenant Demo Seminars');
  const part = op.getByTestId('tenant-domains');
  eq(await part.locator('tr[data-claim="demo.example"] [data-testid="domain-state"]').getAttribute('data-state'), 'assigned', 'the demo domain is assigned');
  eq(await part.locator(`tr[data-claim="${OWN.claimed}"] [data-testid="domain-state"]`).getAttribute('data-state'), 'pending', 'the admin\'s claim is listed');
  await part.getByLabel('Domain', { exact: true }).fill('second.example');
  await part.getByRole('button', { name: 'Assign', exact: true }).click();
  const alert = part.locator('[role="alert"][data-problem-type="domain_claimed"]');
  await alert.waitFor();
  await look(op, 'operator-tenant-assign-refused-en');
  await part.getByLabel('Domain', { exact: true }).fill(OWN.claimed);
  await part.getByRole('button', { name: 'Assign', exact: true }).click();
  await op.getByText(`Assigned ${OWN.claimed} to Demo Seminars.`).waitFor();
  eq(await op.locator(`[data-testid="tenant-domains"] tr[data-claim="${OWN.claimed}"] [data-testid="domain-state"]`).getAttribute('data-state'), 'assigned', 'the claim is assigned');
  await look(op, 'operator-tenant-domains-en');

  // The admin sees it assigned (no release: only the operator), and the mailbox in it is owned now.
  await nav(admin, 'Domains');
  const card = admin.locator(`article[data-domain="${OWN.claimed}"]`);
  eq(await card.getByTestId('domain-state').getAttribute('data-state'), 'assigned', 'the admin sees it assigned');
  eq(await card.getByTestId('domain-release').count(), 0, 'an admin cannot release an assigned domain');
  const del = await adminApi(`/domains/${(await (await adminApi('/domains')).json()).items.find((d) => d.name === OWN.claimed).id}`, { method: 'DELETE' });
  eq(del.status, 403, 'nor through the API');
  await nav(admin, 'Mailboxes');
  eq(await ownershipOf(admin, OWN.pending), 'verified_domain', 'its mailbox is owned now');

  await nav(op, 'Domains');
  await op.getByRole('button', { name: `Release: ${OWN.claimed}` }).click();
  await op.getByText(`Released ${OWN.claimed}.`).waitFor();
  eq(await op.locator(`tr[data-claim="${OWN.claimed}"]`).count(), 0, 'the released claim is gone');
  await admin.reload(); // the admin is on the mailbox list already
  await waitH1(admin, 'Mailboxes');
  eq(await ownershipOf(admin, OWN.pending), 'unconfirmed', 'its mailbox is not owned any more');
});

await step('admin in German: the seed\'s checkboxes (Antwort, Absender, Global, mit Authentifizierung, Benutzerrechte)', async () => {
  await nav(admin, 'Mailboxes');
  await admin.getByTestId('lang-switch').click();
  await waitH1(admin, 'Postfächer');
  const heads = await admin.locator('thead th').allTextContents();
  for (const c of ['Antwort', 'Absender', 'Global', 'mit Authentifizierung', 'Benutzerrechte']) assert(heads.includes(c), `column ${c} in ${heads}`);
  await look(admin, 'admin-mailboxes-de');
  await admin.locator(`tr[data-address="${MB.web}"] a`).click();
  await waitH1(admin, `Postfach ${MB.web}`);
  for (const c of ['Antwort', 'Absender', 'Global', 'mit Authentifizierung', 'Benutzerrechte']) assert(await admin.getByLabel(c, { exact: true }).count() === 1, `checkbox ${c}`);
  await look(admin, 'admin-mailbox-de');
  for (const [n, h] of [['Benutzer', 'Benutzer'], ['Gruppen', 'Gruppen'], ['Mandanten', 'Mandanten'], ['API-Tokens', 'API-Tokens'], ['Protokoll', 'Protokoll']]) {
    await admin.getByRole('navigation').getByRole('link', { name: n, exact: true }).click();
    await waitH1(admin, h);
    await look(admin, `admin-${n.toLowerCase()}-de`);
  }
  await admin.getByTestId('lang-switch').click();
  await waitH1(admin, 'Audit log');
});

await step('admin and operator in German: the domain pages, the ownership column and the confirmation', async () => {
  await nav(admin, 'Domains');
  await admin.getByTestId('lang-switch').click();
  await waitH1(admin, 'Absender-Domains');
  assert((await admin.getByRole('button', { name: 'Beanspruchen', exact: true }).count()) === 1, 'the claim button in German');
  await admin.getByLabel('Domain', { exact: true }).fill('zweite.example');
  await admin.getByRole('button', { name: 'Beanspruchen', exact: true }).click();
  const card = admin.locator('article[data-domain="zweite.example"]');
  await card.waitFor();
  eq((await card.getByTestId('domain-state').textContent()).trim(), 'ausstehend', 'the state in German');
  assert(await card.getByLabel('Wert des Eintrags', { exact: true }).isVisible(), 'the record labels in German');
  await card.getByRole('button', { name: 'Prüfen: zweite.example' }).click();
  const res = card.locator('[data-testid="domain-verify-result"] [data-result]');
  await res.waitFor({ timeout: 20000 });
  assert((await res.textContent()).includes('Antwort des Resolvers'), `the answer in German: ${await res.textContent()}`);
  await look(admin, 'admin-domains-de');
  await admin.getByRole('navigation').getByRole('link', { name: 'Postfächer', exact: true }).click();
  await waitH1(admin, 'Postfächer');
  assert((await admin.locator('thead th').allTextContents()).includes('Eigentum'), 'the ownership column in German');
  const cell = await admin.locator(`tr[data-address="${OWN.pending}"] [data-testid="ownership"]`).textContent();
  assert(cell.includes('Unbestätigt') && cell.includes('Nicht nutzbar'), `the cell in German: ${cell}`);
  await admin.locator(`tr[data-address="${OWN.pending}"] a`).click();
  await waitH1(admin, `Postfach ${OWN.pending}`);
  await admin.getByTestId('confirmation').getByRole('heading', { name: 'Diese Adresse bestätigen' }).waitFor();
  await look(admin, 'admin-mailbox-confirm-de');
  await admin.getByTestId('lang-switch').click();
  await waitH1(admin, `Mailbox ${OWN.pending}`);

  await nav(op, 'Domains');
  await op.getByTestId('lang-switch').click();
  await waitH1(op, 'Plattform-Domains');
  assert(await op.getByLabel('Plattform-Absender').isVisible(), 'the sender field in German');
  eq(await op.locator('tr[data-claim="zweite.example"] [data-testid="domain-state"]').textContent(), 'ausstehend', 'the admin\'s new claim, in German');
  await op.getByRole('button', { name: 'Zuweisen: zweite.example' }).click();
  await op.getByText('zweite.example an Demo Seminars zugewiesen.').waitFor();
  eq(await op.locator('tr[data-claim="zweite.example"] [data-testid="domain-state"]').getAttribute('data-state'), 'assigned', 'assigned from the list of claims');
  eq(await op.getByRole('button', { name: 'Zuweisen: zweite.example' }).count(), 0, 'no assign button for an assigned claim');
  await look(op, 'operator-domains-de');
  await op.getByTestId('lang-switch').click();
  await waitH1(op, 'Platform domains');
});

await step('no request left the API origin; no CSP violation; no page error', async () => {
  eq(foreignRequests, [], 'requests to other origins');
  eq(cspViolations, [], 'CSP violations');
  eq(pageErrors, [], 'page errors');
});

await browser.close();

const minor = axeReport.flatMap((r) => r.violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical').map((v) => `${r.name}: ${v.id} (${v.impact})`));
if (minor.length) console.log(`axe, moderate/minor (not failing):\n  ${[...new Set(minor)].join('\n  ')}`);
console.log(`axe: ${axeReport.length} pages checked, ${axeReport.reduce((n, r) => n + r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').length, 0)} serious/critical`);
console.log(`screenshots: ${readdirSync(SHOTS).filter((f) => f.endsWith('.png')).length} in ${SHOTS}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
