/**
 * The `request.*` group: what the request itself says, after the edge and the classifier. Nothing
 * here needs history or the store.
 */
import type { Clock } from '../lib/clock';
import { ipPrefix, normalizeIp } from '../lib/ip';
import type { Classified, RequestHead } from '../pipeline/request';

export interface RequestSignals {
  readonly portal: string;
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly ip: string;
  readonly ip_prefix: string;
  readonly user_agent: string;
  readonly hour_utc: number;
  readonly time_ms: number;
}

export interface IpPrefixLengths {
  readonly v4: number;
  readonly v6: number;
}

/** /24 and /64: one household or one customer's allocation, counted as one source. */
export const DEFAULT_IP_PREFIX: IpPrefixLengths = Object.freeze({ v4: 24, v6: 64 });
/** A user agent is kept up to this length: enough for any real one, bounded for logs and policies. */
export const USER_AGENT_SIGNAL_CHARS = 1024;

export interface RequestSignalInput {
  readonly head: RequestHead;
  readonly classified: Classified;
  readonly clock: Clock;
  /** Default DEFAULT_IP_PREFIX. */
  readonly ipPrefix?: IpPrefixLengths;
}

export function requestSignals(input: RequestSignalInput): RequestSignals {
  const { head, classified } = input;
  const ip = normalizeIp(head.ip);
  const ua = head.headers['user-agent'];
  const nowMs = input.clock.now();
  return {
    portal: classified.portal,
    kind: classified.kind,
    method: (head.method ?? '').toUpperCase(),
    // The classifier already replaced any webhook code in the path with `{code}`.
    path: classified.path,
    ip,
    ip_prefix: ip === '' ? '' : ipPrefix(ip, input.ipPrefix ?? DEFAULT_IP_PREFIX),
    user_agent: typeof ua === 'string' ? ua.slice(0, USER_AGENT_SIGNAL_CHARS) : '',
    hour_utc: Number.isFinite(nowMs) ? new Date(nowMs).getUTCHours() : 0,
    time_ms: Number.isFinite(nowMs) ? Math.trunc(nowMs) : 0,
  };
}
