/**
 * The composition root: the one place where adapters (listeners, the upstream pool, the store, the
 * loggers, the metrics registry, the policy reloader) are built and wired into the pipeline. Nothing
 * else constructs an adapter.
 *
 * Start order: policies (a broken set refuses to start: nothing to serve), store, pipeline, then the
 * listeners. Stop order: listeners first (no new requests), then the store (flushes its journal).
 */
import { hostname } from 'node:os';
import path from 'node:path';
import type { GatewayConfig, HostPort, PortalSettings } from './config/types';
import { TokenSet } from './admin/bearer';
import { logAuditEvent } from './admin/events';
import { createMetricsServer } from './admin/metrics-listener';
import { createAdminServer } from './admin/server';
import { Upstream } from './edge/forward';
import { createEdgeServer } from './edge/server';
import { createWebSocketRelay } from './edge/websocket';
import { clockForScale, wallDelayMs, type Clock } from './lib/clock';
import { FileProblems, PortcullisError, formatProblem, type ErrorCode } from './lib/errors';
import { CidrSet } from './lib/ip';
import { closeServer, formatHostPort, isLoopback, listen, urlOf } from './lib/listen';
import { createLoggers, type Logger, type Loggers } from './observability/log';
import { createMetrics, type GatewayMetrics } from './observability/metrics';
import { recordStage } from './observability/record-stage';
import { EventLog } from './observability/event-log';
import { classifyStage } from './pipeline/classify-stage';
import { observeStage } from './pipeline/outcome/observe-stage';
import { scoreStage } from './pipeline/score-stage';
import { actStage } from './pipeline/act-stage';
import { enforceStage } from './pipeline/enforce-stage';
import { BlockView } from './lockout/block-view';
import { Directory } from './lockout/directory';
import { startPeriodicSync } from './lockout/directory-sync/sync';
import { Lockout } from './lockout/lockout';
import { Notifier } from './lockout/notify/notifier';
import { RateBuckets } from './lockout/rate-buckets';
import { PortalBuckets } from './lockout/portal-bucket';
import { PortalUserIds } from './lockout/portal-user-ids';
import { AppUsers } from './lockout/app-users';
import { priorOffencesOf, swallowSuccess } from './lockout/runtime';
import { senseStage } from './pipeline/sense/sense-stage';
import { PortalFactsCache } from './pipeline/sense/portal-facts';
import { CounterBatcher } from './pipeline/sense/counter-batcher';
import { composePipeline, type Pipeline } from './pipeline/stages';
import { PolicyReloader, type ReloadResult, type ReloadTrigger } from './policy/reloader';
import { createStore, type Store } from './store';

export interface GatewayOptions {
  /** Loggers to use instead of stdout ones built from config.logLevel (tests pass ones that write to memory). */
  readonly loggers?: Loggers;
  /** Time for windows, TTLs and timestamps (tests move a ManualClock instead of sleeping). */
  readonly clock?: Clock;
}

export interface RunningGateway {
  readonly url: string;
  readonly listen: HostPort;
  readonly adminUrl: string;
  readonly adminListen: HostPort;
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly store: Store;
  readonly policies: PolicyReloader;
  /** Blocks as this replica enforces them, and the operations on them (admin API, tests). */
  readonly blocks: BlockView;
  readonly lockout: Lockout;
  /** SIGHUP, a file change and the admin API all end here. */
  reloadPolicies(trigger: ReloadTrigger): ReloadResult;
  close(): Promise<void>;
}

export async function startGateway(config: GatewayConfig, opts: GatewayOptions = {}): Promise<RunningGateway> {
  if (!config.upstream) throw new PortcullisError('PC_ERR_CONFIG_REQUIRED', 'PORTCULLIS_UPSTREAM (the portal URL) is required');
  if (!config.secret) throw new PortcullisError('PC_ERR_CONFIG_SECRET', 'PORTCULLIS_SECRET is required (keyed hashes and device cookies)');
  const secret = config.secret;
  const clock = opts.clock ?? clockForScale(config.timeScale);
  const loggers = opts.loggers ?? createLoggers({ level: config.logLevel, async: true });
  const logger = loggers.general;
  if (config.timeScale !== 1) {
    logger.warn({ time_scale: config.timeScale }, `PORTCULLIS_TIME_SCALE is ${config.timeScale}: one wall second is ${config.timeScale} seconds of the gateway's clock (windows, expiries, escalation, travel, rates). For simulation only, never in production`);
  }
  const metrics = createMetrics();

  const policies = PolicyReloader.start({
    dir: config.policiesDir,
    clock,
    onReload: (r) => {
      metrics.countReload(r.ok, r.trigger, r.durationMs / 1000);
      if (r.ok) logger.info({ trigger: r.trigger, version: r.version, duration_ms: r.durationMs }, 'policies loaded');
      else logger.error({ trigger: r.trigger, version: r.version, problems: r.problems.map(formatProblem) }, 'policy reload failed; the last good set keeps serving');
    },
  });
  if (!(policies instanceof PolicyReloader)) throw new FileProblems(policies.problems);
  policies.watch();

  const store = await createStore(config, {
    clock,
    origin: `${hostname()}:${process.pid}`,
    logger: { warn: (o, m) => logger.warn(o, m), info: (o, m) => logger.info(o, m) },
  });

  const settingsFor = (portal: string): PortalSettings => config.portals[portal] ?? config.portalDefaults;
  const onBackgroundError = (err: unknown, what: string): void => {
    metrics.countEdgeError('PC_ERR_INTERNAL');
    logger.warn({ err, what }, 'a background write failed');
  };
  // The policy event log, for `portcullis policy replay`: beside the state, rotated at 64 MiB.
  const events = new EventLog({ file: path.join(config.stateDir, 'events.jsonl'), maxBytes: 64 * 1024 * 1024 });
  const view = new BlockView(clock);
  await view.follow(store, (err) => onBackgroundError(err, 'block view reload'));
  const userIds = new PortalUserIds();
  const appUsers = new AppUsers();
  await userIds.follow(store, (err) => onBackgroundError(err, 'portal user ids reload'));
  // Every lockout change is an audit event; the portal's admins hear of the ones that matter to them.
  // The throttle's window is a wall-time timer: under a time scale it closes as fast as the clock runs.
  const notifier = new Notifier({
    settingsFor: (portal) => {
      const notify = settingsFor(portal).notify;
      return config.timeScale === 1 ? notify : { ...notify, throttleWindowMs: wallDelayMs(clock, notify.throttleWindowMs) };
    },
    logger,
    registry: metrics.registry,
  });
  const lockout = new Lockout({
    store,
    view,
    clock,
    onStoreError: onBackgroundError,
    onAudit: (event) => {
      notifier.onAudit(event);
      logAuditEvent(logger, event);
    },
  });
  const allowlist = new CidrSet(config.allowlist);
  const actDeps = { lockout, view, clock, secret, settingsFor, allowlist };
  const upstream = new Upstream(config.upstream, config.limits);
  const buckets = new RateBuckets();
  const batcher = new CounterBatcher({ store, flushMs: 20, maxQueued: 512, now: () => clock.now(), onError: (err) => onBackgroundError(err, 'counter batch') });
  const portalBuckets = new PortalBuckets(buckets, batcher, clock);
  const pipeline: Pipeline = composePipeline({
    before: [
      classifyStage({
        aliases: config.portalAliases,
        ...(config.unknownPortals === 'refuse' ? { onlyPortals: new Set(Object.keys(config.portals)) } : {}),
      }),
      enforceStage({ view, buckets, portalBuckets, clock, secret, settingsFor, allowlist, ipPrefix: config.ipPrefix, userIds, appUsers }),
      senseStage({ store, view, policies: () => policies.current(), secret, clock, ipPrefix: config.ipPrefix, failureModes: config.storeOptions.failureModes, portalFacts: new PortalFactsCache(store, view, clock), batcher }),
      scoreStage({ globalShadow: config.shadow, priorOffences: (ctx) => priorOffencesOf(view, ctx) }),
      actStage(actDeps),
    ],
    observe: [
      observeStage({
        act: actDeps,
        batcher,
        swallow: (ctx, success) => swallowSuccess(upstream, settingsFor(ctx.classified!.portal), ctx, success, onBackgroundError),
        store,
        clock,
        secret,
        settingsFor,
        globalShadow: config.shadow,
        onBackgroundError,
        appUsers,
      }),
    ],
    record: [recordStage(loggers.requestLines, metrics, events)],
  });

  const onInternalError = (err: unknown, ctx?: { id: string }): void => {
    metrics.countEdgeError('PC_ERR_INTERNAL');
    logger.error({ err, req_id: ctx?.id, code: 'PC_ERR_INTERNAL' }, 'internal error while handling a request');
  };
  const websockets = createWebSocketRelay(config.upstream, (req, err) => {
    metrics.countEdgeError('PC_ERR_UPSTREAM_UNAVAILABLE');
    logger.warn({ code: 'PC_ERR_UPSTREAM_UNAVAILABLE', err: err.message, method: req.method }, 'websocket relay failed');
  });
  const edge = createEdgeServer({
    config,
    clock,
    pipeline,
    upstream,
    trustedProxies: new CidrSet(config.trustedProxies),
    websockets,
    onInternalError,
    onEdgeError: (code: ErrorCode) => metrics.countEdgeError(code),
    onUpgrade: (classified, client, relayed) => {
      metrics.countRequest(classified.kind, relayed ? 101 : 400, relayed ? 'upgraded' : 'upgrade_refused', 0);
      logger.info({ ip: client.ip, portal: classified.portal, path: classified.path, kind: classified.kind, why: classified.reason, answer: relayed ? 'upgraded' : 'upgrade_refused' }, 'upgrade');
    },
  });
  const reloadPolicies = (trigger: ReloadTrigger): ReloadResult => policies.reload(trigger);
  const tokens = TokenSet.fromConfig(config.admin);
  const admin = createAdminServer({
    tokens,
    log: logger,
    console: config.admin.console,
    registry: metrics.registry,
    readiness: {
      notReadyBecause: () => (store.health().state === 'down' ? 'the store is unreachable and no fallback is declared' : null),
    },
    policies: { current: () => policies.current(), last: () => policies.lastResult(), reload: () => reloadPolicies('admin_api') },
    onError: (err) => logger.error({ err }, 'admin API error'),
    store,
    view,
    lockout,
    secret,
    clock,
    tables: () => ({ ...store.tableUsage?.(), counter_batcher: batcher.usage(), rate_buckets: buckets.usage(), portal_buckets: portalBuckets.usage(), app_users: appUsers.usage() }),
    ipPrefix: config.ipPrefix,
    notifier,
  });

  const scrape = config.admin.metricsListen ? createMetricsServer(metrics.registry) : null;
  const edgeAt = await listen(edge, config.listen, 'the gateway');
  let adminAt: HostPort;
  let scrapeAt: HostPort | null = null;
  try {
    adminAt = await listen(admin, config.admin.listen, 'the admin API');
    if (scrape) scrapeAt = await listen(scrape, config.admin.metricsListen!, 'the metrics listener');
  } catch (err) {
    await Promise.all([closeServer(edge), closeServer(admin)]);
    await store.close();
    throw err;
  }
  // The addresses as bound (0.0.0.0 is every interface, not loopback); urlOf is only what to paste.
  logger.info(
    { listen: formatHostPort(edgeAt), admin: formatHostPort(adminAt), ...(scrapeAt ? { metrics: formatHostPort(scrapeAt) } : {}), admin_tokens: tokens.size, upstream: upstream.origin, store: store.kind, policies: policies.current().version },
    'gateway listening',
  );
  if (!isLoopback(adminAt.host) && tokens.size === 0) {
    logger.warn({ admin: formatHostPort(adminAt), code: 'PC_ERR_CONFIG_REQUIRED' }, 'the admin listener is bound to a non-loopback address and no admin token is configured: every route but the health routes answers 401; set PORTCULLIS_ADMIN_TOKEN (or admin.tokens), or bind it to 127.0.0.1');
  }
  // The directory from each portal's own REST, for portals that configure a webhook (never logged).
  const stopDirectorySync = startPeriodicSync({
    portals: config.portals,
    directory: new Directory({ store, view, secret, clock }),
    lockout,
    clock,
    env: process.env,
    cwd: process.cwd(),
    log: { info: (o, m) => logger.info(o, m), warn: (o, m) => logger.warn(o, m) },
  });

  let closed = false;
  return {
    url: urlOf(edgeAt),
    listen: edgeAt,
    adminUrl: urlOf(adminAt),
    adminListen: adminAt,
    config,
    logger,
    metrics,
    store,
    policies,
    blocks: view,
    lockout,
    reloadPolicies,
    async close() {
      if (closed) return;
      closed = true;
      policies.unwatch();
      stopDirectorySync();
      websockets.close();
      await Promise.all([closeServer(edge), closeServer(admin), ...(scrape ? [closeServer(scrape)] : [])]);
      await upstream.close();
      view.stop();
      userIds.stop();
      batcher.close();
      await events.close();
      await store.close();
      loggers.flush();
    },
  };
}
