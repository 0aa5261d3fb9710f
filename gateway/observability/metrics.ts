/**
 * Prometheus metrics (prom-client) on a registry of our own, so that two gateways in one test process
 * never share numbers. Label children used per request are cached: a `labels()` lookup per request
 * would cost a hash of the label values each time.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  readonly registry: Registry;
  countRequest(kind: string, status: number, answer: string, seconds: number): void;
  countEdgeError(code: string): void;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'portcullis_process_' });
  const requests = new Counter({
    name: 'portcullis_requests_total',
    help: 'Requests by kind, status class and how they were answered (forwarded or the gateway answer reason).',
    labelNames: ['kind', 'status', 'answer'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'portcullis_request_duration_seconds',
    help: 'Time from the request arriving to the answer being written, by kind.',
    labelNames: ['kind'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const edgeErrors = new Counter({
    name: 'portcullis_edge_errors_total',
    help: 'Failures at the edge by error code (upstream down, timeouts, bad requests).',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const reqChildren = new Map<string, Counter.Internal>();
  const durChildren = new Map<string, Histogram.Internal<'kind'>>();
  return {
    registry,
    countRequest(kind, status, answer, seconds) {
      const cls = `${Math.floor(status / 100)}xx`;
      const key = `${kind}|${cls}|${answer}`;
      let c = reqChildren.get(key);
      if (!c) reqChildren.set(key, (c = requests.labels(kind, cls, answer)));
      c.inc();
      let h = durChildren.get(kind);
      if (!h) durChildren.set(kind, (h = duration.labels(kind)));
      h.observe(seconds);
    },
    countEdgeError(code) {
      edgeErrors.labels(code).inc();
    },
  };
}
