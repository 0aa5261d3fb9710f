/**
 * The `rest.*` group: who makes a REST call and what it asks. The OAuth token is a secret: only its
 * keyed hash leaves here, as `rest.app`.
 */
import type { Classified, Credentials } from '../pipeline/request';
import { keyedHashCached, type Secret } from './keyed-hash';

export interface RestSignals {
  readonly principal: string;
  readonly webhook_user: string;
  readonly app: string;
  readonly method: string;
  readonly batch_size: number;
}

export interface RestSignalInput {
  readonly classified: Classified;
  readonly secret: Secret;
  readonly credentials?: Pick<Credentials, 'oauthToken'>;
  /**
   * Commands in a `batch` call, when whoever read the body or query counted them
   * (batchCommandsInQuery, batchCommandsInJson); undefined: unknown.
   */
  readonly batchCommands?: number;
}

/** The portal accepts at most 50 commands per batch; anything far above is counted but capped. */
export const MAX_COUNTED_BATCH_COMMANDS = 10_000;

export function restSignals(input: RestSignalInput): RestSignals {
  const { classified } = input;
  const method = classified.rest?.method ?? '';
  const p = classified.principal;
  // An application is best named by its client id; a token rotates hourly, but is all a call carries.
  const app = p.clientId
    ? keyedHashCached(String(input.secret), 'rest_app', 'client', p.clientId)
    : input.credentials?.oauthToken
      ? keyedHashCached(String(input.secret), 'rest_app', 'token', input.credentials.oauthToken)
      : '';
  return {
    principal: classified.kind === 'rest' ? p.restVia ?? 'none' : 'none',
    webhook_user: p.webhookUserId ?? '',
    app,
    method,
    batch_size: batchSize(method, input.batchCommands),
  };
}

function batchSize(method: string, counted: number | undefined): number {
  if (method === '') return 0;
  if (method !== 'batch') return 1;
  if (counted === undefined || !Number.isFinite(counted) || counted < 0) return 0;
  return Math.min(MAX_COUNTED_BATCH_COMMANDS, Math.trunc(counted));
}

/** Distinct `cmd[<name>]` keys of a urlencoded query or form text (a GET batch carries them so). */
export function batchCommandsInQuery(text: string): number {
  const names = new Set<string>();
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    let key: string;
    try {
      key = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    } catch {
      continue;
    }
    const m = /^cmd\[([^\]]*)\]/.exec(key);
    if (m) names.add(m[1]!);
    if (names.size >= MAX_COUNTED_BATCH_COMMANDS) break;
  }
  return names.size;
}

/** Commands in a parsed JSON batch body: `{"cmd": {...}}` or `{"cmd": [...]}`; 0 otherwise. */
export function batchCommandsInJson(body: unknown): number {
  if (typeof body !== 'object' || body === null) return 0;
  const cmd = (body as { cmd?: unknown }).cmd;
  if (Array.isArray(cmd)) return Math.min(MAX_COUNTED_BATCH_COMMANDS, cmd.length);
  if (typeof cmd === 'object' && cmd !== null) return Math.min(MAX_COUNTED_BATCH_COMMANDS, Object.keys(cmd).length);
  return 0;
}
