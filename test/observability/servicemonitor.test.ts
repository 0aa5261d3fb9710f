/**
 * The manifests' scrape path holds together (deploy/k8s): the ServiceMonitor selects the admin Service
 * by its labels and names a port that Service has, the Service reaches the container's admin port,
 * the token is the metrics-only Secret's `metrics-token` (never the `portcullis` Secret, which holds
 * the admin token), no annotation invites a scrape without a token, and the NetworkPolicy lets only
 * Prometheus' pods of the monitoring namespace (and ops) reach the admin port.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers/processes';

type Doc = Record<string, any>;
const manifests = (file: string): Doc[] => parseAllDocuments(readFileSync(path.join(REPO_ROOT, 'deploy/k8s', file), 'utf8')).map((d) => d.toJS() as Doc);

test('the ServiceMonitor scrapes the admin port through the admin Service with the metrics-only token, and only Prometheus may reach it', () => {
  const [monitor] = manifests('servicemonitor.yaml');
  const admin = manifests('service.yaml').find((s) => s.metadata.name === 'portcullis-admin')!;
  const client = manifests('service.yaml').find((s) => s.metadata.name === 'portcullis')!;
  const deployment = manifests('deployment.yaml').find((d) => d.kind === 'Deployment')!;
  const [policy] = manifests('networkpolicy.yaml');

  expect(monitor!.kind).toBe('ServiceMonitor');
  const selector = monitor!.spec.selector.matchLabels as Record<string, string>;
  for (const [k, v] of Object.entries(selector)) expect(admin.metadata.labels?.[k]).toBe(v);
  // The client Service must not match: /metrics is not on the client listener.
  expect(Object.entries(selector).every(([k, v]) => client.metadata.labels?.[k] === v)).toBe(false);
  expect(monitor!.spec.namespaceSelector.matchNames).toEqual([admin.metadata.namespace]);

  const [endpoint] = monitor!.spec.endpoints;
  expect(endpoint.path).toBe('/metrics');
  const servicePort = (admin.spec.ports as Doc[]).find((p) => p.name === endpoint.port)!;
  expect(servicePort).toBeDefined();
  const container = deployment.spec.template.spec.containers[0];
  const containerPort = (container.ports as Doc[]).find((p) => p.name === servicePort.targetPort)!;
  expect(containerPort.containerPort).toBe(9180);
  expect(endpoint.bearerTokenSecret).toEqual({ name: 'portcullis-metrics', key: 'metrics-token' });

  expect(Object.keys(deployment.spec.template.metadata.annotations ?? {}).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);

  const adminRules = (policy!.spec.ingress as Doc[]).filter((r) => (r.ports as Doc[]).some((p) => p.port === 9180));
  const sources = adminRules.flatMap((r) => r.from as Doc[]);
  expect(sources.length).toBeGreaterThan(0);
  for (const source of sources) expect(source.namespaceSelector).toBeDefined(); // never every namespace
  const monitoring = sources.filter((s) => s.namespaceSelector.matchLabels['kubernetes.io/metadata.name'] === 'monitoring');
  expect(monitoring).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }]);
});
