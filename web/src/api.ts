// The public /v1 API: types of its JSON shapes (from /v1/openapi.json)
// and one fetch wrapper. Errors are problem+json (RFC 9457) and surface as
// `ApiError` with the server's `type` and `detail`.

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  request_id?: string;
}

export interface ListPage<T> {
  items: T[];
  next?: string;
}

/** Sending limits (counted over fixed UTC windows); null or absent: no limit. */
export interface LimitsView {
  messages_per_minute?: number | null;
  messages_per_hour?: number | null;
  messages_per_day?: number | null;
  recipients_per_minute?: number | null;
  recipients_per_hour?: number | null;
  recipients_per_day?: number | null;
}

/** A tenant's limits (set by the operator): its own, and its users' and mailboxes' ceilings and defaults. */
export interface TenantLimits {
  tenant: LimitsView;
  user_ceiling: LimitsView;
  user_default: LimitsView;
  mailbox_ceiling: LimitsView;
  mailbox_default: LimitsView;
}

export interface Tenant {
  id: string;
  name: string;
  enabled: boolean;
  mailbox_quota: number;
  created_at: string;
  limits?: TenantLimits;
}

export interface Company {
  id: string;
  name: string;
  created_at: string;
}

export interface User {
  id: string;
  tenant_id: string;
  login: string;
  name: string;
  companies: string[];
  groups: string[];
  enabled: boolean;
  created_at: string;
  /** The version shown; sent back as If-Match so a concurrent edit is never overwritten. */
  version: number;
  /** Its own sending limits (unset ones: the tenant's user default; all at most the user ceiling). */
  limits?: LimitsView;
}

export interface Group {
  id: string;
  name: string;
  created_at: string;
  version: number;
}

export type TlsName = 'starttls' | 'tls' | 'none';

/**
 * How the relay logs in to a mailbox's SMTP server (`smtp.login`, tagged
 * by `method`). Answers fill in the defaults (`token_url`, `scope`) and
 * never carry `directory`; its secret is written at `/credentials` only.
 */
export type LoginMethod =
  | { method: 'password' }
  | {
      /** Microsoft 365: an Entra ID app's client credentials (SASL XOAUTH2). */
      method: 'oauth2_client_credentials';
      /** Input only: the Entra directory (tenant) id or domain; exactly one of this and `token_url`. */
      directory?: string;
      token_url?: string | null;
      client_id: string;
      scope?: string | null;
    }
  | {
      /** Google (user consent) or a generic provider: a stored refresh token. */
      method: 'oauth2_refresh_token';
      token_url?: string | null;
      client_id: string;
      scope?: string | null;
    }
  | {
      /** Google Workspace: a service account with domain-wide delegation. */
      method: 'google_service_account';
      scope?: string | null;
    };

export type LoginMethodName = LoginMethod['method'];

export interface SmtpSettings {
  host: string;
  port: number;
  tls: TlsName;
  username: string;
  /** Absent means a password. */
  login?: LoginMethod;
  /** Read-only: the login's secret is stored (false again after the kind of method changes). */
  password_set?: boolean;
}

/** `PUT .../credentials` (write-only): exactly the fields the mailbox's login method needs. */
export interface CredentialsBody {
  password?: string;
  client_secret?: string;
  refresh_token?: string;
  /** The JSON key file, as text or as its object. */
  service_account_key?: string | Record<string, unknown>;
}

export type HealthStage = 'connect' | 'tls' | 'token' | 'auth';

/** The relay's last login to the mailbox's server (written when it changes, and by verify). */
export interface MailboxHealth {
  ok: boolean;
  failed_stage: HealthStage | null;
  detail: string;
  at: string;
}

/** Which display names a message may show for a mailbox (SPEC §3). */
export type DisplayNamePolicy = 'free' | 'fixed';

export interface Mailbox {
  id: string;
  version: number;
  address: string;
  display_name: string;
  display_name_policy?: DisplayNamePolicy;
  global: boolean;
  company_id?: string | null;
  sender: boolean;
  reply: boolean;
  restricted: boolean;
  enabled: boolean;
  authenticated: boolean;
  system: boolean;
  smtp?: SmtpSettings | null;
  /** Authenticated mailboxes the relay or verify has logged in with; null otherwise. */
  health?: MailboxHealth | null;
  /** Whether the tenant owns the address and why: only `verified_domain`, `confirmed` and `operator` are usable. */
  ownership?: Ownership;
  users: string[];
  groups: string[];
  created_at: string;
  /** Its own sending limits (unset ones: the tenant's mailbox default; all at most the mailbox ceiling). */
  limits?: LimitsView;
}

/** Why an address is or is not owned (SPEC §1): only the first three are usable. */
export type Ownership = 'verified_domain' | 'confirmed' | 'operator' | 'pending_domain' | 'lapsed_domain' | 'unconfirmed';

export const OWNED: readonly Ownership[] = ['verified_domain', 'confirmed', 'operator'];

export interface MailboxBody {
  address: string;
  display_name: string;
  display_name_policy: DisplayNamePolicy;
  global: boolean;
  company_id: string | null;
  sender: boolean;
  reply: boolean;
  enabled: boolean;
  smtp: SmtpSettings | null;
  /** A full replace: sent every time (empty fields: none of its own). */
  limits: LimitsView;
}

export interface VerifyReport {
  ok: boolean;
  stage: HealthStage | 'done';
  detail: string;
}

export interface MailboxChoice {
  id: string;
  address: string;
  display_name: string;
}

export interface Dropdowns {
  from: MailboxChoice[];
  reply_to: MailboxChoice[];
}

export interface Credential {
  id: string;
  name: string;
  created_at: string;
}

export interface CredentialIssued extends Credential {
  username: string;
  password: string;
}

export type RoleName = 'operator' | 'admin' | 'user';

export interface Token {
  id: string;
  role: RoleName;
  tenant_id?: string | null;
  user_id?: string | null;
  name: string;
  created_at: string;
}

export interface TokenIssued extends Token {
  token: string;
}

export interface TenantCreated {
  tenant: Tenant;
  company: Company;
  system_mailbox: Mailbox;
  admin_token: TokenIssued;
}

export interface AuditRecord {
  id: string;
  at: string;
  user_id?: string | null;
  mailbox_id?: string | null;
  sending_address?: string | null;
  envelope_sender?: string | null;
  recipients: number;
  message_id?: string | null;
  size: number;
  /** accepted: 250; rejected: 5xx; deferred: 4xx (the client keeps the message and retries);
   * uncertain: the upstream's reply to the message never came (it may have been delivered). */
  outcome: 'accepted' | 'rejected' | 'deferred' | 'uncertain';
  smtp_code: number;
  smtp_reply: string;
  upstream_reply?: string | null;
}

export type Relay =
  | { kind: 'outbox'; dir: string }
  | {
      kind: 'smtp';
      host: string;
      port: number;
      tls: TlsName;
      username?: string | null;
      password?: string;
      password_set?: boolean;
    };

export interface Me {
  user: User;
  tenant: Tenant;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }

  get type(): string {
    return this.problem.type;
  }
}

/** A network failure (no answer at all). */
export class NetworkError extends Error {}

export class Api {
  constructor(private readonly token: string) {}

  /** `version`: the version the edit was made from (If-Match); a newer one stored answers 412. */
  async call<T>(method: string, path: string, body?: unknown, version?: number, extra?: Record<string, string>): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...(extra ?? {}) };
    if (version !== undefined) headers['If-Match'] = `"${version}"`;
    const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp: Response;
    try {
      resp = await fetch(`/v1${path}`, init);
    } catch (e) {
      throw new NetworkError(String(e));
    }
    if (resp.status === 204) return undefined as T;
    const text = await resp.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!resp.ok) {
      const p = (data ?? {}) as Partial<Problem>;
      throw new ApiError(resp.status, {
        type: p.type ?? 'http_error',
        title: p.title ?? `HTTP ${resp.status}`,
        status: resp.status,
        detail: p.detail ?? '',
        ...(p.field ? { field: p.field } : {}),
        ...(p.request_id ? { request_id: p.request_id } : {}),
      });
    }
    return data as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  put<T>(path: string, body?: unknown, version?: number): Promise<T> {
    return this.call<T>('PUT', path, body, version);
  }
  patch<T>(path: string, body: unknown, version?: number): Promise<T> {
    return this.call<T>('PATCH', path, body, version);
  }
  /** A POST that names its Idempotency-Key: retried, it takes effect at most once. */
  postOnce<T>(path: string, body: unknown, key: string): Promise<T> {
    return this.call<T>('POST', path, body, undefined, { 'Idempotency-Key': key });
  }
  del(path: string, version?: number): Promise<void> {
    return this.call<void>('DELETE', path, undefined, version);
  }

  /** Every item of a paged list (follows `next`; at most 50 pages). */
  async all<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let after: string | undefined;
    for (let i = 0; i < 50; i++) {
      const sep = path.includes('?') ? '&' : '?';
      const q = `${sep}limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const page = await this.get<ListPage<T>>(path + q);
      out.push(...page.items);
      if (!page.next) break;
      after = page.next;
    }
    return out;
  }
}

/** `encodeURIComponent` for path segments. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}

/** A message template (admin view; users get the same shape from /me/templates). */
export interface Template {
  id: string;
  name: string;
  global: boolean;
  company_id?: string | null;
  subject: string;
  text_body: string;
  html_body?: string | null;
  variables: string[];
  from_mailbox_id?: string | null;
  reply_to_mailbox_id?: string | null;
  enabled: boolean;
  created_at: string;
  version: number;
}

/** What POST /me/messages answers. */
export interface Sent {
  message_id: string;
  from_mailbox_id: string;
  upstream_reply: string;
  recipients: number;
}

/** Where a domain claim stands. */
export type DomainState = 'pending' | 'review' | 'verified' | 'lapsed' | 'assigned';

/** What the resolver answered at the last lookup. */
export type CheckResult = 'found' | 'no_such_name' | 'no_record' | 'wrong_value' | 'resolver_failed';

/** A DNS record to publish (`purpose`: `ownership`; `type`: `TXT`). */
export interface DnsRecord {
  purpose: string;
  name: string;
  type: string;
  value: string;
}

/** A sending domain claim (admin: its own tenant's; operator: any). */
export interface Domain {
  id: string;
  tenant_id: string;
  name: string;
  name_unicode: string;
  state: DomainState;
  records: DnsRecord[];
  created_at: string;
  verified_at?: string | null;
  lapsed_at?: string | null;
  missing_since?: string | null;
  failing_since?: string | null;
  last_check?: { at: string; result: CheckResult | string; detail: string } | null;
  /** Another tenant holds the domain now: this claim cannot verify. */
  held_elsewhere: boolean;
  version: number;
}

/** The platform domains and the platform's no-reply sender (operator). */
export interface PlatformDomains {
  domains: string[];
  sender?: string | null;
}

/** A mailbox address's confirmation (never the code). */
export interface Confirmation {
  address: string;
  confirmed_at?: string | null;
  code_expires_at?: string | null;
  tries_left: number;
  codes_sent_today: number;
}
