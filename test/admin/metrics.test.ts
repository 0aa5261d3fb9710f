/**
 * /metrics scraped over HTTP and parsed as the Prometheus text exposition format (version 0.0.4):
 * every non-empty line is a comment (# HELP / # TYPE) or a sample `name{labels} value [timestamp]`, every sample
 * belongs to a declared family, and the control plane's gauges are there with the right values.
 */
import { startStack, type Stack } from '../helpers/stack';
import { api, attackUntilBlocked, importSeedDirectories } from './helpers';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|NaN|[+-]Inf)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (${VALUE})(?: (-?\\d+))?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  expect(lines[lines.length - 1]).toBe('');
  for (const line of lines.slice(0, -1)) {
    // The format allows empty lines (prom-client separates families with one).
    if (line === '') continue;
    if (line.startsWith('#')) {
      const t = TYPE.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      else expect(line).toMatch(HELP);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(new RegExp(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\]|\\\\.)*)"`, 'g'))) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]!.replace('Inf', 'Infinity')) });
  }
  return { samples, types };
}

const family = (name: string): string => name.replace(/_(bucket|sum|count|total)$/, '');

describe('/metrics', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'] }, sim: { restLimit: false } });
  });
  afterAll(() => s.close());

  test('parses as Prometheus text and carries blocks active by kind, store state, propagation lag and the existing families', async () => {
    await importSeedDirectories(s); // the portal-wide REST block needs an account the directory lists
    await attackUntilBlocked(s, 'localhost', 'bob', '203.0.113.66');
    await api(s, 'POST', '/v1/blocks', { portal: 'localhost', kind: 'ip', ip: '198.51.100.9', reason: 'scanner', operator: 'olga' });
    const r = await api<string>(s, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parseExposition(r.body);
    for (const sample of samples) {
      const declared = types.has(sample.name) || types.has(family(sample.name)) || types.has(`${family(sample.name)}_total`) || types.has(sample.name.replace(/_total$/, ''));
      if (!declared) throw new Error(`sample ${sample.name} has no # TYPE`);
    }
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;

    expect(types.get('portcullis_blocks_active')).toBe('gauge');
    expect(value('portcullis_blocks_active', { kind: 'user' })).toBe(1);
    expect(value('portcullis_blocks_active', { kind: 'portal_rest' })).toBe(1);
    expect(value('portcullis_blocks_active', { kind: 'ip' })).toBe(1);
    expect(value('portcullis_blocks_active', { kind: 'webhook' })).toBe(0);
    expect(value('portcullis_store_state', { state: 'ok' })).toBe(1);
    expect(value('portcullis_store_state', { state: 'fallback' })).toBe(0);
    expect(value('portcullis_store_state', { state: 'down' })).toBe(0);
    expect(value('portcullis_block_propagation_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('portcullis_requests_total', { kind: 'login' })).toBeGreaterThan(0);
    expect(types.get('portcullis_request_duration_seconds')).toBe('histogram');
    expect(samples.some((x) => x.name === 'portcullis_verdicts_total')).toBe(true);
    expect(samples.some((x) => x.name === 'portcullis_rule_matches_total')).toBe(true);
    expect(types.has('portcullis_policy_reloads_total')).toBe(true);
  });
});
