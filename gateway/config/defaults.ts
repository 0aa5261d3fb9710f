/**
 * Every default in one place. They match docs/portal-wire.md so that the gateway works in front
 * of a real portal with no per-portal configuration at all.
 */
import type { EdgeLimits, GatewayConfig, PortalSettings, StoreOptions } from './types';

export const DEFAULT_PORTAL_SETTINGS: PortalSettings = {
  login: {
    // The simulator's text first (it is the real portal's English text), then the Russian one.
    failureTexts: ['Incorrect login or password', 'Неверный логин или пароль'],
    sessionCookiePrefixes: ['PHPSESSID', 'BITRIX_SM_'],
    logoutPath: '/?logout=yes',
  },
  passwordChange: {
    successTexts: ['Password has been changed', 'Пароль успешно сменен'],
  },
  rest: {
    blocked: {
      // 403 + ACCESS_DENIED: the pairing of the portal's older docs; SDKs treat it as final (no retry).
      status: 403,
      error: 'ACCESS_DENIED',
      description:
        'REST API of this Bitrix24 is blocked because of suspicious activity in an employee account. ' +
        'Ask the account administrator to contact support.',
    },
    // The portal's own leaky bucket, mirrored so that a flood is refused before the portal pays for it.
    // The wire notes give 50 draining 2/s, and 250 draining 5/s on Enterprise plans; the gateway cannot
    // tell the plan, so it mirrors the larger one (never refusing what the portal would accept) and
    // the portal keeps enforcing its own. Set a portal's real plan under `portals.<host>.rest.limit`.
    limit: { burst: 250, drainPerSecond: 5 },
  },
  // No webhook until one is configured; a minute's window turns an attack's flood into one summary.
  notify: { webhookUrl: null, emailTo: [], throttleWindowMs: 60_000, retries: 4, retryBaseDelayMs: 1_000, timeoutMs: 5_000 },
  // Off until a webhook source is set; hourly is fresh enough for "who is an admin, who left".
  directorySync: { webhookUrl: null, webhookUrlEnv: null, webhookUrlFile: null, intervalMs: 3_600_000, adminIds: [], ownerIds: [] },
};

export const DEFAULT_LIMITS: EdgeLimits = {
  formBodyMaxBytes: 64 * 1024,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
  maxHeaderBytes: 16 * 1024,
  upstreamHeadersTimeoutMs: 30_000,
  upstreamBodyTimeoutMs: 60_000,
  upstreamConnections: 128,
};

export const DEFAULT_STORE_OPTIONS: StoreOptions = {
  // Login-like kinds keep counting through an outage (an attack must not get a free pass while Redis
  // is down); REST passes, since known blocks stay enforced from the local view anyway.
  failureModes: {
    login: 'memory_fallback',
    otp: 'memory_fallback',
    password_recovery: 'memory_fallback',
    password_change: 'memory_fallback',
    rest: 'fail_open',
    oauth_token: 'memory_fallback',
    websocket: 'fail_open',
    other: 'fail_open',
  },
  memory: { maxCounterKeys: 100_000 },
  journal: { fsync: 'batch', compactAfterBytes: 16 * 1024 * 1024 },
  auditMaxPerPortal: 10_000,
  redis: { commandTimeoutMs: 500, connectTimeoutMs: 3_000, replicaAcks: null, fallbackCounterKeys: 50_000, probeIntervalMs: 1_000, outageSummaryMs: 60_000 },
  outageMaxQueued: 100_000,
};

export const DEFAULT_CONFIG: GatewayConfig = {
  source: null,
  listen: { host: '0.0.0.0', port: 8080 },
  upstream: null,
  admin: { listen: { host: '127.0.0.1', port: 9180 }, token: null, metricsToken: null, tokens: [], metricsListen: null, console: { sessionIdleMs: 30 * 60_000, sessionMaxMs: 8 * 3600_000 } },
  policiesDir: './policies',
  stateDir: './state',
  trustedProxies: [],
  allowlist: [],
  shadow: false,
  timeScale: 1,
  unknownPortals: 'serve',
  portalAliases: {},
  secret: null,
  logLevel: 'info',
  store: { kind: 'memory' },
  storeOptions: DEFAULT_STORE_OPTIONS,
  ipPrefix: { v4: 24, v6: 64 },
  limits: DEFAULT_LIMITS,
  portalDefaults: DEFAULT_PORTAL_SETTINGS,
  portals: {},
};
