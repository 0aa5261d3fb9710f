/**
 * The composition root: the one place where adapters (listeners, the upstream pool, the logger, the
 * metrics registry, and later the store) are built and wired into the pure pipeline. Nothing else
 * constructs an adapter.
 */
import type { GatewayConfig, HostPort } from './config/types';
import { createAdminServer } from './admin/server';
import { Upstream } from './edge/forward';
import { createEdgeServer } from './edge/server';
import { createWebSocketRelay } from './edge/websocket';
import { PortcullisError, type ErrorCode } from './lib/errors';
import { CidrSet } from './lib/ip';
import { closeServer, listen, urlOf } from './lib/listen';
import { createLoggers, flushLogger, type Logger, type Loggers } from './observability/log';
import { createMetrics, type GatewayMetrics } from './observability/metrics';
import { recordStage } from './observability/record-stage';
import { classifyStage } from './pipeline/classify-stage';
import { passThrough } from './pipeline/pass-through';
import { composePipeline, type Pipeline } from './pipeline/stages';

export interface GatewayOptions {
  /** Loggers to use instead of stdout ones built from config.logLevel (tests pass ones that write to memory). */
  readonly loggers?: Loggers;
}

export interface RunningGateway {
  readonly url: string;
  readonly listen: HostPort;
  readonly adminUrl: string;
  readonly adminListen: HostPort;
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  close(): Promise<void>;
}

export function buildPipeline(requestLogger: Logger, metrics: GatewayMetrics): Pipeline {
  return composePipeline({
    before: [classifyStage, passThrough('enforce'), passThrough('sense'), passThrough('score'), passThrough('act')],
    observe: [],
    record: [recordStage(requestLogger, metrics)],
  });
}

export async function startGateway(config: GatewayConfig, opts: GatewayOptions = {}): Promise<RunningGateway> {
  if (!config.upstream) throw new PortcullisError('PC_ERR_CONFIG_REQUIRED', 'PORTCULLIS_UPSTREAM (the portal URL) is required');
  const loggers = opts.loggers ?? createLoggers({ level: config.logLevel, async: true });
  const logger = loggers.general;
  const metrics = createMetrics();
  const upstream = new Upstream(config.upstream, config.limits);
  const pipeline = buildPipeline(loggers.requests, metrics);
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
  const admin = createAdminServer({
    token: config.admin.token,
    registry: metrics.registry,
    readiness: { notReadyBecause: () => null },
    onError: (err) => logger.error({ err }, 'admin API error'),
  });

  const edgeAt = await listen(edge, config.listen, 'the gateway');
  let adminAt: HostPort;
  try {
    adminAt = await listen(admin, config.admin.listen, 'the admin API');
  } catch (err) {
    await closeServer(edge);
    throw err;
  }
  logger.info({ listen: urlOf(edgeAt), admin: urlOf(adminAt), upstream: upstream.origin }, 'gateway listening');

  let closed = false;
  return {
    url: urlOf(edgeAt),
    listen: edgeAt,
    adminUrl: urlOf(adminAt),
    adminListen: adminAt,
    config,
    logger,
    metrics,
    async close() {
      if (closed) return;
      closed = true;
      websockets.close();
      await Promise.all([closeServer(edge), closeServer(admin)]);
      await upstream.close();
      flushLogger(logger);
    },
  };
}
