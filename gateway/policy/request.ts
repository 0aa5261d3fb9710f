/**
 * One request as a person writes it (test cases, `policy explain` request files) or as the gateway logs
 * it (event records): a kind, signals, and the counter keys. Shorthands keep test files short:
 *
 *   { kind: login, user: anna, ip: 203.0.113.5, device: laptop, password: hunter2,
 *     device: { known: false }, 'user.second_factor': true }
 *
 * - `portal`, `user`, `ip`, `ip_prefix`, `device`, `webhook`, `app`, `method`, `password` (strings) set
 *   both the counter key and the matching signal (request.portal, user.login, request.ip, …);
 *   `password` is a key only (the test's stand-in for the keyed hash) and sets password.present;
 * - a map under a signal group (`device: { known: false }`) or a dotted name sets signals;
 * - `ip_prefix` defaults to the /24 (IPv4) or /64 (IPv6) of `ip`; the device key defaults to the IP.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { nearest } from '../lib/nearest';
import { REQUEST_KINDS, type RequestKind } from '../pipeline/request';
import { SIGNAL_CATALOG, SIGNALS_BY_NAME } from '../signals/catalog';
import type { CounterKeys } from '../signals/counters/events';
import { flattenSignals } from './signals';

export const SHORTHANDS = ['portal', 'user', 'ip', 'ip_prefix', 'device', 'webhook', 'app', 'method', 'password'] as const;
const SHORTHAND_SIGNAL: Readonly<Record<string, string | undefined>> = {
  portal: 'request.portal',
  user: 'user.login',
  ip: 'request.ip',
  ip_prefix: 'request.ip_prefix',
  device: 'device.fingerprint',
  webhook: 'rest.webhook_user',
  app: 'rest.app',
  method: 'rest.method',
  password: undefined,
};
const GROUPS = new Set(SIGNAL_CATALOG.map((s) => s.name.slice(0, s.name.indexOf('.'))));

export interface NormalizedRequest {
  readonly kind: RequestKind;
  readonly signals: Record<string, unknown>;
  readonly keys: CounterKeys;
  readonly problems: readonly string[];
}

/** The /24 of an IPv4 address or the /64 of an IPv6 one, as request.ip_prefix spells it. */
export function ipPrefixOf(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(ip)) {
    const [head = '', tail = ''] = ip.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const full = ip.includes('::') ? [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right] : left;
    return `${full.slice(0, 4).map((h) => h.replace(/^0+(?=.)/, '')).join(':')}::/64`;
  }
  return ip;
}

export function normalizeRequest(raw: Readonly<Record<string, unknown>>, options: { allowCounters?: boolean; defaultKind?: RequestKind } = {}): NormalizedRequest {
  const problems: string[] = [];
  const signals: Record<string, unknown> = {};
  const keys: Record<string, string> = {};
  let kind: RequestKind = options.defaultKind ?? 'login';
  if (raw.kind !== undefined) {
    if (typeof raw.kind === 'string' && (REQUEST_KINDS as readonly string[]).includes(raw.kind)) kind = raw.kind as RequestKind;
    else problems.push(`kind ${JSON.stringify(raw.kind)} is not a request kind; allowed: ${REQUEST_KINDS.join(', ')}`);
  }
  const nested: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'kind') continue;
    if ((SHORTHANDS as readonly string[]).includes(key) && typeof value === 'string') {
      keys[key] = value;
      const signal = SHORTHAND_SIGNAL[key];
      if (signal) signals[signal] = value;
      if (key === 'password') signals['password.present'] = true;
      continue;
    }
    nested[key] = value;
  }
  for (const [name, value] of Object.entries(flattenSignals(nested))) {
    if (name.startsWith('counters.')) {
      if (options.allowCounters) signals[name] = value;
      else problems.push(`${name}: counters are computed from the events here, not given`);
      continue;
    }
    if (!SIGNALS_BY_NAME.has(name)) {
      const group = name.split('.')[0]!;
      const candidates = [...SIGNAL_CATALOG.map((s) => s.name), ...SHORTHANDS, ...(options.allowCounters ? ['counters.<name>'] : [])];
      problems.push(`unknown signal ${name}${GROUPS.has(group) || name.includes('.') ? '' : ' (not a shorthand either)'}; nearest: ${nearest(name, candidates, { limit: 3 }).join(', ')}`);
      continue;
    }
    signals[name] = value;
  }
  signals['request.kind'] = kind;
  const ip = typeof signals['request.ip'] === 'string' ? (signals['request.ip'] as string) : undefined;
  if (ip && signals['request.ip_prefix'] === undefined) signals['request.ip_prefix'] = ipPrefixOf(ip);
  const str = (name: string): string | undefined => (typeof signals[name] === 'string' && signals[name] !== '' ? (signals[name] as string) : undefined);
  keys.portal ??= str('request.portal') ?? 'portal';
  if (str('user.login')) keys.user ??= str('user.login')!;
  if (ip) keys.ip ??= ip;
  if (str('request.ip_prefix')) keys.ip_prefix ??= str('request.ip_prefix')!;
  const device = str('device.fingerprint') ?? ip;
  if (device) keys.device ??= device;
  if (str('rest.webhook_user')) keys.webhook ??= `${keys.portal}/${str('rest.webhook_user')}`;
  else if (keys.webhook) keys.webhook = `${keys.portal}/${keys.webhook}`;
  if (str('rest.app')) keys.app ??= str('rest.app')!;
  if (str('rest.method')) keys.method ??= str('rest.method')!;
  return { kind, signals, keys, problems };
}
