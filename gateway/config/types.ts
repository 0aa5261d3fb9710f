/**
 * The configuration contract. Names here are a contract with operators (docs/configuration.md) and with
 * later issues' tests: rename nothing without a migration note. Defaults live in ./defaults.ts, beside
 * nothing else, so there is one place to read them.
 */
import type { Role } from '../admin/roles';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type StoreConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string }
  | { readonly kind: 'redis-cluster'; readonly nodes: readonly HostPort[] }
  | { readonly kind: 'redis-sentinel'; readonly sentinels: readonly HostPort[]; readonly name: string };

/**
 * What a request does when the store cannot answer its counters: count in this replica's memory and
 * sync when the store is back, or report "store unavailable" and let the request kind's caller pass it
 * (`fail_open`) or refuse it (`fail_closed`). Known blocks are enforced from the local view in every mode.
 */
export type FailureMode = 'memory_fallback' | 'fail_open' | 'fail_closed';

/** The request kinds a failure mode is declared for (the classifier's kinds). */
export type FailureModeKind = 'login' | 'otp' | 'password_recovery' | 'password_change' | 'rest' | 'oauth_token' | 'websocket' | 'other';

/** How the store behaves, whichever store is chosen (`store` says which; these say how). */
export interface StoreOptions {
  readonly failureModes: Readonly<Record<FailureModeKind, FailureMode>>;
  readonly memory: {
    /** Counter keys (one per counter and bucket key) kept in memory; least recently used go first. */
    readonly maxCounterKeys: number;
  };
  readonly journal: {
    /** `batch`: fsync before a durable write is acknowledged, one fsync per tick for all writes of it. `off`: write() only. */
    readonly fsync: 'batch' | 'off';
    /** The journal is rewritten as a snapshot when it grows past this (and past twice its live data). */
    readonly compactAfterBytes: number;
  };
  /** Audit events kept per portal; the oldest are dropped first. */
  readonly auditMaxPerPortal: number;
  readonly redis: {
    /** A Redis command not answered within this counts as an outage (the request is not held up). */
    readonly commandTimeoutMs: number;
    /** How long the gateway waits for Redis at start before it starts in fallback. */
    readonly connectTimeoutMs: number;
    /**
     * Replicas that must hold a block, an unblock request or an audit event (Redis WAIT) before it
     * counts as written; fewer, and the write is queued and retried like an outage's. null: 1 behind
     * Sentinel (a failover must not lose what the old master acknowledged), 0 otherwise.
     */
    readonly replicaAcks: number | null;
    /**
     * Counter keys also kept in process while Redis is up (least recently used first out), so that a
     * `memory_fallback` kind still has recent counts the moment Redis goes away.
     */
    readonly fallbackCounterKeys: number;
    /**
     * How often an idle replica probes Redis (one EXISTS, timeout: commandTimeoutMs), so that the store
     * state (and its metric) turns to fallback within about this long of Redis going away, traffic or
     * not, and a Redis flushed under it is re-seeded. 0: off.
     */
    readonly probeIntervalMs: number;
    /** During an outage, one summary line this often (queued writes, failed calls); the start and end are logged once. */
    readonly outageSummaryMs: number;
  };
  /** Writes queued while Redis is unreachable (persisted to stateDir); counter adds are dropped first past it. */
  readonly outageMaxQueued: number;
}

/**
 * Where a portal's admins hear about blocks and unblock requests (gateway/lockout/notify/). Every
 * notification is built from an allowlist of fields, so it never carries a password, code or token.
 */
export interface NotifySettings {
  /** POSTed a JSON notification; null: no webhook. The URL is never logged (it may hold a token). */
  readonly webhookUrl: string | null;
  /** Addresses handed to the email sender (the built-in one logs instead of sending). */
  readonly emailTo: readonly string[];
  /** Per portal and kind of event: the first event of a window is sent at once, the rest as one summary at its end. */
  readonly throttleWindowMs: number;
  /** Retries of a failed webhook delivery, with doubling delays from retryBaseDelayMs. */
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  /** A webhook that does not answer within this counts as a failed attempt. */
  readonly timeoutMs: number;
}

/**
 * Where the portal's directory is read from (gateway/lockout/directory-sync/): an administrator's
 * incoming webhook on the portal's own REST. The webhook URL holds a secret code, so it is never logged
 * and may come from an environment variable or a file instead of the configuration. Sync is on when
 * one of the three sources is set.
 */
export interface DirectorySyncSettings {
  /** The webhook's base URL, e.g. https://portal/rest/1/<code>/ (discouraged: prefer the env or file source). */
  readonly webhookUrl: string | null;
  /** Name of an environment variable holding the webhook URL. */
  readonly webhookUrlEnv: string | null;
  /** A file holding the webhook URL (a mounted secret). */
  readonly webhookUrlFile: string | null;
  /** Time between two syncs; the first runs at start. */
  readonly intervalMs: number;
  /**
   * The portal's REST has no documented method that lists administrators (user.admin answers for the
   * calling user only), so other administrators and the owner are named here by the portal's user ID.
   */
  readonly adminIds: readonly number[];
  readonly ownerIds: readonly number[];
}

/** How the gateway recognises the portal's answers, and how it answers in the portal's name. */
export interface PortalSettings {
  readonly login: {
    /**
     * Texts whose presence in a 200 login page means "wrong login or password". The seed article
     * calls it "Incorrect password"; the wire notes give the English and Russian texts.
     */
    readonly failureTexts: readonly string[];
    /** Cookie names (prefix match) whose appearance in Set-Cookie means a session was opened. */
    readonly sessionCookiePrefixes: readonly string[];
    /** Where the gateway ends a swallowed session (outcome-phase block); unset to skip. */
    readonly logoutPath: string | null;
  };
  readonly passwordChange: {
    /** Texts in the answer that mean the password change succeeded. */
    readonly successTexts: readonly string[];
  };
  readonly rest: {
    /** The answer to every REST call of a portal whose REST is blocked. */
    readonly blocked: {
      readonly status: number;
      readonly error: string;
      readonly description: string;
    };
    /** The portal's own leaky bucket, mirrored by the gateway (wire notes: 50, draining 2/s). */
    readonly limit: {
      readonly burst: number;
      readonly drainPerSecond: number;
    };
  };
  readonly notify: NotifySettings;
  readonly directorySync: DirectorySyncSettings;
}

export interface EdgeLimits {
  /** Login and password-form bodies are buffered up to this size; above, 413. */
  readonly formBodyMaxBytes: number;
  /** Node's headersTimeout: the whole header block must arrive within this. */
  readonly headersTimeoutMs: number;
  /** Node's requestTimeout: the whole request, body included. */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive connections from clients are closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Largest header block accepted from a client (Node's maxHeaderSize). */
  readonly maxHeaderBytes: number;
  /** The portal must start answering within this, or the client gets 504. */
  readonly upstreamHeadersTimeoutMs: number;
  /** Longest pause between two chunks of the portal's answer before 504 / reset. */
  readonly upstreamBodyTimeoutMs: number;
  /** Keep-alive connections kept open to the portal. */
  readonly upstreamConnections: number;
}

/** One admin token: its name (the audit's actor, the log's `token`), its role, and the secret itself. */
export interface AdminToken {
  readonly name: string;
  readonly role: Role;
  readonly token: string;
}

export interface GatewayConfig {
  /** The file the configuration was read from, or null when from the environment alone. */
  readonly source: string | null;
  readonly listen: HostPort;
  /** The portal's base URL. Required for `serve`; `demo` fills it with the simulator. */
  readonly upstream: string | null;
  readonly admin: {
    readonly listen: HostPort;
    /**
     * The full-role bearer token, named `admin` (PORTCULLIS_ADMIN_TOKEN). With no token at all the
     * admin API answers 401 to everything but health routes.
     */
    readonly token: string | null;
    /** A metrics-only token, named `metrics` (PORTCULLIS_METRICS_TOKEN): it can scrape /metrics and nothing else. */
    readonly metricsToken: string | null;
    /** Named tokens with roles (gateway/admin/roles.ts), their secrets already read from the file or variable named. */
    readonly tokens: readonly AdminToken[];
    /** A second listener answering GET /metrics without a token (for a scraper the network confines); null: none. */
    readonly metricsListen: HostPort | null;
    /** The support console's sessions (gateway/admin/console/sessions.ts). */
    readonly console: {
      /** A session ends after this long without a request. */
      readonly sessionIdleMs: number;
      /** A session ends this long after sign-in, however busy. */
      readonly sessionMaxMs: number;
    };
  };
  readonly policiesDir: string;
  readonly stateDir: string;
  /** CIDRs whose X-Forwarded-For / Forwarded headers are believed. Empty: none are. */
  readonly trustedProxies: readonly string[];
  /**
   * Other Host names of a portal (`127.0.0.1`, an old domain, the bare IP): each is counted and blocked
   * as the portal it names, so that a block on one name cannot be walked around through another.
   */
  readonly portalAliases: Readonly<Record<string, string>>;
  /**
   * A Host that is neither under `portals` nor in `portalAliases`: `serve` it (with portalDefaults, the
   * default), or `refuse` it with 421 Misdirected Request (a deployment that fronts known portals only).
   */
  readonly unknownPortals: 'serve' | 'refuse';
  /** CIDRs that no block and no rule ever applies to (the office, the monitoring). */
  readonly allowlist: readonly string[];
  /** Global shadow mode: every policy is evaluated and logged, nothing is enforced (a dry run). */
  readonly shadow: boolean;
  /**
   * Simulation only: 320 means one second of wall time is 320 seconds of the gateway's clock, for every
   * window, expiry, escalation, travel speed and rate. 1 in production.
   */
  readonly timeScale: number;
  /** Key for keyed hashes and signed cookies. `serve` refuses to start without one. */
  readonly secret: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly store: StoreConfig;
  readonly storeOptions: StoreOptions;
  /** Prefix lengths used to group addresses for counting (IPv6 /64 by default). */
  readonly ipPrefix: { readonly v4: number; readonly v6: number };
  readonly limits: EdgeLimits;
  /** Settings used for every portal, then overridden per portal name (canonical Host). */
  readonly portalDefaults: PortalSettings;
  readonly portals: Readonly<Record<string, PortalSettings>>;
}
