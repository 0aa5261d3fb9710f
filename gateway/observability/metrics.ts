/**
 * Prometheus metrics (prom-client) on a registry of our own, so that two gateways in one test process
 * never share numbers. Label children used per request are cached: a `labels()` lookup per request
 * would cost a hash of the label values each time.
 *
 * Names: ours start with `portcullis_`; the process and Node.js metrics keep their standard names
 * (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`…) so that stock dashboards and alerts
 * find them. The output passes `promtool check metrics` (test/observability/promtool.test.ts).
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  readonly registry: Registry;
  countRequest(kind: string, status: number, answer: string, seconds: number): void;
  countEdgeError(code: string): void;
  countReload(ok: boolean, trigger: string, seconds: number): void;
  /** One scored phase: the enforced action (or none), and each matched rule, shadow ones as would-haves. */
  countVerdict(phase: string, action: string, rules: readonly { rule: string; shadow: boolean }[]): void;
}

const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named `_total` fail promtool's lint (a `_total` is a counter). Each is the sum of the
    // by-type gauge beside it (`nodejs_active_handles{type}` …), so nothing is lost without them.
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  }
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
  const reloads = new Counter({
    name: 'portcullis_policy_reloads_total',
    help: 'Policy reloads by result (ok or failed: the last good set kept serving) and trigger.',
    labelNames: ['result', 'trigger'] as const,
    registers: [registry],
  });
  const reloadSeconds = new Histogram({
    name: 'portcullis_policy_reload_seconds',
    help: 'Time to read, compile and swap a policy set.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2],
    registers: [registry],
  });
  const verdicts = new Counter({
    name: 'portcullis_verdicts_total',
    help: 'Scored phases by phase and enforced action (none when the request went through).',
    labelNames: ['phase', 'action'] as const,
    registers: [registry],
  });
  const ruleMatches = new Counter({
    name: 'portcullis_rule_matches_total',
    help: 'Matched rules; shadow="true" are would-haves that changed nothing.',
    labelNames: ['rule', 'shadow'] as const,
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
    countReload(ok, trigger, seconds) {
      reloads.labels(ok ? 'ok' : 'failed', trigger).inc();
      reloadSeconds.observe(seconds);
    },
    countVerdict(phase, action, rules) {
      verdicts.labels(phase, action).inc();
      for (const r of rules) ruleMatches.labels(r.rule, String(r.shadow)).inc();
    },
  };
}
