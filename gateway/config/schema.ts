/**
 * The JSON Schema of the configuration file. One source for three readers: the loader (validation with
 * positioned errors), editors (`config/portcullis.schema.json`, written by scripts/gen-docs.ts) and the
 * configuration reference (the key table of docs/configuration.md is generated from the descriptions).
 *
 * Every map is `additionalProperties: false`, so a typo is an error with the nearest names, not a
 * silently ignored key. Defaults shown here are read from ./defaults.ts, never restated.
 */
import { ROLE_SUMMARIES, ROLES } from '../admin/roles';
import { DEFAULT_CONFIG, DEFAULT_LIMITS, DEFAULT_PORTAL_SETTINGS, DEFAULT_STORE_OPTIONS } from './defaults';

/** Admin tokens in `admin.tokens` and the metrics token: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;
/** A token's name: it is written in the audit (`operator:<name>`), so no colon and no space. */
export const TOKEN_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const hostPortText = (hp: { host: string; port: number }): string => (hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`);

const listenAddress = (description: string, defaults: { host: string; port: number }) => ({
  description: `${description} Written "host:port" ("[::]:8080" for IPv6, ":8080" for all IPv4 interfaces) or as {host, port}.`,
  default: hostPortText(defaults),
  anyOf: [
    { type: 'string', format: 'host-port' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['port'],
      properties: {
        host: { type: 'string', format: 'listen-host', description: `Address to bind; default ${defaults.host}.` },
        port: { type: 'integer', minimum: 0, maximum: 65535, description: 'TCP port; 0 picks a free one.' },
      },
    },
  ],
});

const texts = (description: string, defaults: readonly string[]) => ({
  type: 'array',
  description,
  default: defaults,
  minItems: 1,
  items: { type: 'string', minLength: 1 },
});

const ms = (description: string, value: number) => ({ type: 'integer', minimum: 1, description, default: value });

export const FAILURE_MODES = ['memory_fallback', 'fail_open', 'fail_closed'] as const;

const failureMode = (kind: keyof typeof DEFAULT_STORE_OPTIONS.failureModes) => ({
  type: 'string',
  enum: FAILURE_MODES,
  description: `When the store is down, \`${kind}\` requests count in memory (memory_fallback) or pass (fail_open) or are refused (fail_closed).`,
  default: DEFAULT_STORE_OPTIONS.failureModes[kind],
});

const hostPortList = (description: string) => ({
  type: 'array',
  description,
  minItems: 1,
  uniqueItems: true,
  items: { type: 'string', format: 'host-port' },
});

/** Per-portal settings, every key optional: a file says only what differs from the defaults. */
const portalSettings = {
  type: 'object',
  additionalProperties: false,
  properties: {
    login: {
      type: 'object',
      description: 'How the portal answers a login, so the gateway can tell success from failure and imitate failure.',
      additionalProperties: false,
      properties: {
        failureTexts: texts('Texts whose presence in a 200 login page means "wrong login or password". Add your portal\'s language.', DEFAULT_PORTAL_SETTINGS.login.failureTexts),
        sessionCookiePrefixes: texts('Set-Cookie names (prefix match) that mean a session was opened.', DEFAULT_PORTAL_SETTINGS.login.sessionCookiePrefixes),
        logoutPath: {
          type: ['string', 'null'],
          pattern: '^/',
          description: 'Path the gateway calls to end a session it swallowed (outcome-phase block); null to skip.',
          default: DEFAULT_PORTAL_SETTINGS.login.logoutPath,
        },
      },
    },
    passwordChange: {
      type: 'object',
      description: 'How the portal answers a password change; a success lifts reset_required.',
      additionalProperties: false,
      properties: {
        successTexts: texts('Texts in the answer that mean the password change succeeded.', DEFAULT_PORTAL_SETTINGS.passwordChange.successTexts),
      },
    },
    rest: {
      type: 'object',
      description: 'REST answers given in the portal\'s name.',
      additionalProperties: false,
      properties: {
        blocked: {
          type: 'object',
          description: 'The answer to every REST call while the portal\'s REST is blocked.',
          additionalProperties: false,
          properties: {
            status: { type: 'integer', minimum: 400, maximum: 599, description: 'HTTP status.', default: DEFAULT_PORTAL_SETTINGS.rest.blocked.status },
            error: { type: 'string', minLength: 1, description: 'The `error` field of the portal\'s error envelope.', default: DEFAULT_PORTAL_SETTINGS.rest.blocked.error },
            description: { type: 'string', description: 'The `error_description` field; what integrations and their users read.', default: DEFAULT_PORTAL_SETTINGS.rest.blocked.description },
          },
        },
        limit: {
          type: 'object',
          description: 'The portal\'s own REST leaky bucket, mirrored by the gateway (over it: 503 QUERY_LIMIT_EXCEEDED).',
          additionalProperties: false,
          properties: {
            burst: { type: 'integer', minimum: 0, description: 'Bucket size: calls allowed at once; 0 turns the mirror off.', default: DEFAULT_PORTAL_SETTINGS.rest.limit.burst },
            drainPerSecond: { type: 'number', exclusiveMinimum: 0, description: 'Calls drained per second.', default: DEFAULT_PORTAL_SETTINGS.rest.limit.drainPerSecond },
          },
        },
      },
    },
    notify: {
      type: 'object',
      description: "Notifications to the portal's admins: user blocked, REST blocked, unblock request filed/approved/rejected, reset done. Never carries a secret.",
      additionalProperties: false,
      properties: {
        webhookUrl: {
          type: ['string', 'null'],
          format: 'http-url',
          description: 'URL that receives each notification as a JSON POST; null for none. It is never logged (it may hold a token).',
          default: DEFAULT_PORTAL_SETTINGS.notify.webhookUrl,
        },
        emailTo: {
          type: 'array',
          description: 'Addresses given to the email sender (the built-in sender writes a log line instead of mailing).',
          default: DEFAULT_PORTAL_SETTINGS.notify.emailTo,
          uniqueItems: true,
          items: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' },
        },
        throttleWindowMs: ms('Per portal and kind of event, the first is sent at once and the rest of the window as one summary.', DEFAULT_PORTAL_SETTINGS.notify.throttleWindowMs),
        retries: { type: 'integer', minimum: 0, maximum: 10, description: 'Retries of a failed webhook delivery (delays double each time).', default: DEFAULT_PORTAL_SETTINGS.notify.retries },
        retryBaseDelayMs: ms('Delay before the first retry.', DEFAULT_PORTAL_SETTINGS.notify.retryBaseDelayMs),
        timeoutMs: ms('A webhook that does not answer within this is a failed attempt.', DEFAULT_PORTAL_SETTINGS.notify.timeoutMs),
      },
    },
  },
} as const;

/** Only under `portals.<host>`: a webhook belongs to one portal. */
const directorySync = {
  type: 'object',
  description: "Reads the portal's directory (users, active flag, e-mail, phones, administrators) from its own REST with an administrator's incoming webhook, at start and then every intervalMs, and imports it as PUT /v1/portals/{portal}/directory does. On when one webhook source is set. Never reads a password.",
  additionalProperties: false,
  properties: {
    webhookUrl: { type: ['string', 'null'], format: 'http-url', description: "The webhook's base URL (https://portal/rest/<user id>/<code>/). It holds a secret: prefer webhookUrlEnv or webhookUrlFile. Never logged.", default: DEFAULT_PORTAL_SETTINGS.directorySync.webhookUrl },
    webhookUrlEnv: { type: ['string', 'null'], pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Name of an environment variable that holds the webhook URL.', default: DEFAULT_PORTAL_SETTINGS.directorySync.webhookUrlEnv },
    webhookUrlFile: { type: ['string', 'null'], minLength: 1, description: 'A file that holds the webhook URL (e.g. a mounted secret), relative to the working directory.', default: DEFAULT_PORTAL_SETTINGS.directorySync.webhookUrlFile },
    intervalMs: { type: 'integer', minimum: 1000, description: 'Time between two syncs (the first runs at start).', default: DEFAULT_PORTAL_SETTINGS.directorySync.intervalMs },
    adminIds: { type: 'array', uniqueItems: true, items: { type: 'integer', minimum: 1 }, description: "Portal user IDs of the other administrators (the portal's REST lists no administrators; the webhook's own user is one, by user.admin).", default: DEFAULT_PORTAL_SETTINGS.directorySync.adminIds },
    ownerIds: { type: 'array', uniqueItems: true, items: { type: 'integer', minimum: 1 }, description: "Portal user IDs of the account owner (the portal's REST does not say who it is).", default: DEFAULT_PORTAL_SETTINGS.directorySync.ownerIds },
  },
} as const;

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Portcullis gateway configuration',
  description: 'Precedence: built-in defaults < this file < environment variables. See docs/configuration.md.',
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: listenAddress('Where the gateway accepts client traffic.', DEFAULT_CONFIG.listen),
    upstream: {
      type: ['string', 'null'],
      format: 'http-url',
      description: 'Base URL of the portal (http:// or https://). Required by `portcullis serve`; the demo fills it in.',
      default: DEFAULT_CONFIG.upstream,
    },
    admin: {
      type: 'object',
      description: 'The admin API listener (blocks, unblock requests, policies, health, metrics).',
      additionalProperties: false,
      properties: {
        listen: listenAddress('Where the admin API listens. Keep it off public interfaces.', DEFAULT_CONFIG.admin.listen),
        token: {
          type: ['string', 'null'],
          minLength: 1,
          description: 'The full-role bearer token (role `admin`, named `admin` in the audit and the log); with no token at all, everything but health routes answers 401. Prefer PORTCULLIS_ADMIN_TOKEN.',
          default: DEFAULT_CONFIG.admin.token,
        },
        metricsToken: {
          type: ['string', 'null'],
          minLength: MIN_TOKEN_LENGTH,
          description: 'A token named `metrics` with role `metrics`: it scrapes /metrics and can read or change nothing else. Prefer PORTCULLIS_METRICS_TOKEN.',
          default: DEFAULT_CONFIG.admin.metricsToken,
        },
        tokens: {
          type: 'array',
          description:
            `Named tokens with roles: each { name, role, and one of token (the secret itself), tokenFile (a file holding it, relative to this file's folder; a trailing newline is dropped) or tokenEnv (an environment variable holding it) }. Roles: ${ROLES.map((r) => `\`${r}\` (${ROLE_SUMMARIES[r]})`).join('; ')} The name is what the audit records as the actor; names and secrets must be unique, secrets ${MIN_TOKEN_LENGTH}+ characters.`,
          default: DEFAULT_CONFIG.admin.tokens,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'role'],
            properties: {
              name: { type: 'string', pattern: TOKEN_NAME_PATTERN, description: 'Who holds it (letters, digits, . _ -; up to 64): the audit actor and the log\'s `token`.' },
              role: { type: 'string', enum: ROLES, description: 'What it may do.' },
              token: { type: 'string', minLength: MIN_TOKEN_LENGTH, description: 'The secret itself (prefer tokenFile or tokenEnv).' },
              tokenFile: { type: 'string', minLength: 1, description: 'A file holding the secret, relative to this file\'s folder.' },
              tokenEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'An environment variable holding the secret.' },
            },
          },
        },
        metricsListen: {
          ...listenAddress('A second listener that answers GET /metrics (and /healthz) without any token, for a scraper; keep it where only the scraper reaches it (a NetworkPolicy). null: none.', { host: '0.0.0.0', port: 9181 }),
          anyOf: [{ type: 'null' }, ...listenAddress('', { host: '0.0.0.0', port: 9181 }).anyOf],
          default: DEFAULT_CONFIG.admin.metricsListen,
        },
        console: {
          type: 'object',
          description: 'The support console on the admin listener (/console/): its sessions live in this process\'s memory.',
          additionalProperties: false,
          properties: {
            sessionIdleMs: ms('A console session ends after this long without a request.', DEFAULT_CONFIG.admin.console.sessionIdleMs),
            sessionMaxMs: ms('A console session ends this long after sign-in, however busy.', DEFAULT_CONFIG.admin.console.sessionMaxMs),
          },
        },
      },
    },
    policiesDir: { type: 'string', minLength: 1, description: 'Folder of policy YAML files; relative to this file\'s folder.', default: DEFAULT_CONFIG.policiesDir },
    stateDir: { type: 'string', minLength: 1, description: 'Folder where the memory store journals blocks and requests; relative to this file\'s folder.', default: DEFAULT_CONFIG.stateDir },
    trustedProxies: {
      type: 'array',
      description: 'CIDRs (or single addresses) of proxies whose X-Forwarded-For / Forwarded headers are believed. Empty: none.',
      default: DEFAULT_CONFIG.trustedProxies,
      uniqueItems: true,
      items: { type: 'string', format: 'cidr' },
    },
    portalAliases: {
      type: 'object',
      description: 'Other Host names of a portal, each mapped to the portal it names (e.g. "127.0.0.1": "crm.example.com"): a block on one name holds on every other.',
      default: DEFAULT_CONFIG.portalAliases,
      additionalProperties: { type: 'string', minLength: 1 },
    },
    unknownPortals: {
      type: 'string',
      enum: ['serve', 'refuse'],
      description: 'A Host neither under `portals` nor in `portalAliases`: serve it with portalDefaults, or refuse it (421 Misdirected Request).',
      default: DEFAULT_CONFIG.unknownPortals,
    },
    allowlist: {
      type: 'array',
      description: 'CIDRs (or single addresses) that no block and no policy rule ever applies to.',
      default: DEFAULT_CONFIG.allowlist,
      uniqueItems: true,
      items: { type: 'string', format: 'cidr' },
    },
    shadow: {
      type: 'boolean',
      description: 'Global shadow mode: evaluate and log every policy (would_have), enforce nothing. Known blocks stay enforced.',
      default: DEFAULT_CONFIG.shadow,
    },
    timeScale: {
      type: 'number',
      minimum: 1,
      description: 'Simulation only: 320 means one second of wall time is 320 seconds of the gateway\'s clock (windows, expiries, escalation, travel speed, rates). 1 in production; any other value is warned about at start.',
      default: DEFAULT_CONFIG.timeScale,
    },
    secret: {
      type: ['string', 'null'],
      minLength: 1,
      description: 'Key for keyed hashes of identifiers and for signed cookies; 16+ characters. Prefer PORTCULLIS_SECRET.',
      default: DEFAULT_CONFIG.secret,
    },
    logLevel: { type: 'string', enum: LOG_LEVELS, description: 'Least severe level that is logged.', default: DEFAULT_CONFIG.logLevel },
    store: {
      type: 'object',
      description: 'Where counters, blocks and requests live: the embedded memory store (journaled to stateDir) or Redis shared by replicas.',
      default: DEFAULT_CONFIG.store,
      required: ['kind'],
      properties: { kind: { type: 'string' } },
      discriminator: { propertyName: 'kind' },
      oneOf: [
        { type: 'object', additionalProperties: false, properties: { kind: { const: 'memory', description: 'Embedded store; one replica only.' } } },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'url'],
          properties: {
            kind: { const: 'redis', description: 'A single Redis node.' },
            url: { type: 'string', format: 'redis-url', description: 'redis://[:password@]host:port[/db], or rediss:// for TLS.' },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'nodes'],
          properties: {
            kind: { const: 'redis-cluster', description: 'Redis Cluster.' },
            nodes: hostPortList('Seed nodes, "host:port"; the rest of the cluster is discovered.'),
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'sentinels'],
          properties: {
            kind: { const: 'redis-sentinel', description: 'Redis behind Sentinel.' },
            sentinels: hostPortList('Sentinels, "host:port".'),
            name: { type: 'string', minLength: 1, description: 'Name of the monitored master.', default: 'mymaster' },
          },
        },
      ],
    },
    storeOptions: {
      type: 'object',
      description: 'How the store behaves, whichever `store` is chosen: failure modes, memory bounds, journal durability. See docs/state.md.',
      additionalProperties: false,
      properties: {
        failureModes: {
          type: 'object',
          description: 'Per request kind, what counters do while Redis is unreachable. Known blocks stay enforced in every mode; writes are queued and replayed.',
          additionalProperties: false,
          properties: Object.fromEntries(
            (Object.keys(DEFAULT_STORE_OPTIONS.failureModes) as (keyof typeof DEFAULT_STORE_OPTIONS.failureModes)[]).map((kind) => [kind, failureMode(kind)]),
          ),
        },
        memory: {
          type: 'object',
          description: 'The in-memory counters (the memory store\'s, and the Redis store\'s fallback).',
          additionalProperties: false,
          properties: {
            maxCounterKeys: { type: 'integer', minimum: 100, description: 'Counter keys kept (one per counter and key, e.g. per IP); least recently used are forgotten first, so an attack from a million IPs cannot grow memory without limit.', default: DEFAULT_STORE_OPTIONS.memory.maxCounterKeys },
          },
        },
        journal: {
          type: 'object',
          description: 'The journal of durable records in stateDir (memory store, and writes queued during a Redis outage).',
          additionalProperties: false,
          properties: {
            fsync: { type: 'string', enum: ['batch', 'off'], description: 'batch: a durable write is acknowledged after fsync (one fsync per tick for all writes of it; survives power loss). off: after write() (survives a process crash, not a power loss).', default: DEFAULT_STORE_OPTIONS.journal.fsync },
            compactAfterBytes: { type: 'integer', minimum: 65536, description: 'Rewrite the journal as a snapshot of live records when it grows past this size (and past twice the live data).', default: DEFAULT_STORE_OPTIONS.journal.compactAfterBytes },
          },
        },
        auditMaxPerPortal: { type: 'integer', minimum: 100, description: 'Audit events kept per portal; the oldest are dropped first.', default: DEFAULT_STORE_OPTIONS.auditMaxPerPortal },
        redis: {
          type: 'object',
          description: 'Redis timeouts: past them the request is answered by the failure mode instead of waiting.',
          additionalProperties: false,
          properties: {
            commandTimeoutMs: ms('A command not answered within this counts as an outage for that request.', DEFAULT_STORE_OPTIONS.redis.commandTimeoutMs),
            connectTimeoutMs: ms('How long the gateway waits for Redis at start before it starts in fallback.', DEFAULT_STORE_OPTIONS.redis.connectTimeoutMs),
            replicaAcks: {
              type: ['integer', 'null'],
              minimum: 0,
              maximum: 16,
              description:
                'Replicas that must confirm (Redis WAIT, within half of commandTimeoutMs) a block, an unblock request or an audit event before it counts as written; otherwise it is queued and retried as in an outage, so a failover cannot lose it. null: 1 behind Sentinel, 0 otherwise.',
              default: DEFAULT_STORE_OPTIONS.redis.replicaAcks,
            },
            fallbackCounterKeys: {
              type: 'integer',
              minimum: 1,
              description:
                'Counter keys also kept in process while Redis is up (least recently used out first), so that memory_fallback kinds have recent counts the moment Redis goes away. About 0.7 KB each.',
              default: DEFAULT_STORE_OPTIONS.redis.fallbackCounterKeys,
            },
            probeIntervalMs: {
              type: 'integer',
              minimum: 0,
              description:
                'How often each replica probes Redis with one cheap command (timeout: commandTimeoutMs), so that an idle replica notices an outage (its store health and portcullis_store_state), or a Redis flushed under it, within about this long. 0: no probe; only a failed request or a reconnect notices.',
              default: DEFAULT_STORE_OPTIONS.redis.probeIntervalMs,
            },
            outageSummaryMs: {
              type: 'integer',
              minimum: 1000,
              description: 'During an outage, one summary log line this often (writes queued, calls failed); its start and its end are logged once each.',
              default: DEFAULT_STORE_OPTIONS.redis.outageSummaryMs,
            },
          },
        },
        outageMaxQueued: { type: 'integer', minimum: 1000, description: 'Writes queued during an outage (kept in stateDir). Records are coalesced per id and never dropped; past the bound counter adds are dropped first, then the oldest audit events.', default: DEFAULT_STORE_OPTIONS.outageMaxQueued },
      },
    },
    ipPrefix: {
      type: 'object',
      description: 'Prefix lengths that group client addresses for counting (one IPv6 user usually owns a /64).',
      additionalProperties: false,
      properties: {
        v4: { type: 'integer', minimum: 1, maximum: 32, description: 'IPv4 prefix length.', default: DEFAULT_CONFIG.ipPrefix.v4 },
        v6: { type: 'integer', minimum: 1, maximum: 128, description: 'IPv6 prefix length.', default: DEFAULT_CONFIG.ipPrefix.v6 },
      },
    },
    limits: {
      type: 'object',
      description: 'Size and time limits at the edge and towards the portal.',
      additionalProperties: false,
      properties: {
        formBodyMaxBytes: { type: 'integer', minimum: 1024, description: 'Form bodies (urlencoded, multipart) are read up to this size to classify them; above, they stream through a scanner, and one that may reach the login handler is refused 413.', default: DEFAULT_LIMITS.formBodyMaxBytes },
        headersTimeoutMs: ms('The whole header block must arrive within this (slowloris guard).', DEFAULT_LIMITS.headersTimeoutMs),
        requestTimeoutMs: ms('The whole request, body included, must arrive within this.', DEFAULT_LIMITS.requestTimeoutMs),
        keepAliveTimeoutMs: ms('Idle client keep-alive connections are closed after this; keep it above your load balancer\'s idle timeout.', DEFAULT_LIMITS.keepAliveTimeoutMs),
        maxHeaderBytes: { type: 'integer', minimum: 1024, description: 'Largest header block accepted from a client.', default: DEFAULT_LIMITS.maxHeaderBytes },
        upstreamHeadersTimeoutMs: ms('The portal must start answering within this, or the client gets 504.', DEFAULT_LIMITS.upstreamHeadersTimeoutMs),
        upstreamBodyTimeoutMs: ms('Longest pause between two chunks of the portal\'s answer.', DEFAULT_LIMITS.upstreamBodyTimeoutMs),
        upstreamConnections: { type: 'integer', minimum: 1, description: 'Keep-alive connections kept open to the portal.', default: DEFAULT_LIMITS.upstreamConnections },
      },
    },
    portalDefaults: {
      ...portalSettings,
      description: 'Settings for every portal, deep-merged over the built-in ones (lists replace, they do not append).',
    },
    portals: {
      type: 'object',
      description: 'Per-portal settings by host name (lower case, no port), deep-merged over portalDefaults.',
      default: DEFAULT_CONFIG.portals,
      propertyNames: { format: 'portal-host' },
      additionalProperties: { ...portalSettings, properties: { ...portalSettings.properties, directorySync } },
    },
  },
} as const;
