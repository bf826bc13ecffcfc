// Sign-in: an API token kept in sessionStorage (gone when the tab
// closes). A SaaS embedding the app can hand one over in the URL fragment
// (`#token=...&tenant=...`): it is read once and removed from the address
// bar and the history entry. The role comes from the API itself.

import { Api, ApiError, type Me, type Tenant } from './api';

const KEY = 'sendas.session';

export interface Stored {
  token: string;
  /** Tenant of an admin token: the API cannot tell it (see README). */
  tenant?: string;
}

export type Session =
  | { role: 'user'; token: string; api: Api; me: Me }
  | { role: 'admin'; token: string; api: Api; tenant: Tenant }
  | { role: 'operator'; token: string; api: Api };

/** Reads `#token=...` once, stores it, and removes it from the URL. */
export function consumeFragment(): void {
  const hash = location.hash.replace(/^#\/?/, '');
  if (!hash.startsWith('token=')) return;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  const tenant = params.get('tenant') ?? undefined;
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  if (token) save({ token: token.trim(), ...(tenant ? { tenant: tenant.trim() } : {}) });
}

export function load(): Stored | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Stored;
    return typeof v.token === 'string' && v.token ? v : null;
  } catch {
    return null;
  }
}

export function save(s: Stored): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clear(): void {
  sessionStorage.removeItem(KEY);
}

export class SignInError extends Error {
  constructor(readonly reason: 'invalid_token' | 'tenant_needed' | 'tenant_mismatch' | 'other', detail = '') {
    super(detail || reason);
  }
}

/**
 * Finds the token's role through the public API:
 * `GET /v1/me` answers 200 only to user tokens (with its tenant);
 * `GET /v1/system-relay` answers 200 only to operator tokens; what is left
 * is an admin token, whose tenant comes from `GET /v1/token` (or the
 * sign-in link) and is checked with `GET /v1/tenants/{id}` (200 only for
 * the operator and that tenant's admins).
 */
export async function resolve(stored: Stored): Promise<Session> {
  const api = new Api(stored.token);
  try {
    const me = await api.get<Me>('/me');
    return { role: 'user', token: stored.token, api, me };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw new SignInError('invalid_token');
    if (!(e instanceof ApiError && e.status === 403)) throw e;
  }
  try {
    await api.get('/system-relay');
    return { role: 'operator', token: stored.token, api };
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 403)) throw e;
  }
  // An admin token's tenant: given with the sign-in, or what `GET /v1/token` says it is bound to.
  const tenantId = stored.tenant ?? (await api.get<{ tenant_id?: string }>('/token')).tenant_id;
  if (!tenantId) throw new SignInError('tenant_needed');
  try {
    const tenant = await api.get<Tenant>(`/tenants/${encodeURIComponent(tenantId)}`);
    return { role: 'admin', token: stored.token, api, tenant };
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 403)) throw new SignInError('tenant_mismatch');
    throw e;
  }
}
