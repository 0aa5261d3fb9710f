/**
 * Every output of a running gateway, as text, and a search of it for known secret values (issue 7,
 * issue 15 §3): log lines, /metrics, audit events, every store collection, every file of the state
 * folder (the embedded store's journal, the policy event log), the admin API's answers and, when the
 * store is Redis, every key and value in it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { request } from 'undici';
import type { Collection } from '../../gateway/store/port';
import { ADMIN_TOKEN, type Stack } from '../helpers/stack';

const COLLECTIONS: readonly Collection[] = ['blocks', 'unblock_requests', 'users', 'devices', 'portal_facts'];

/** [where, text] */
export type Place = [string, string];

export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

async function adminGet(s: Stack, p: string): Promise<{ status: number; text: string }> {
  const res = await request(`${s.gw.adminUrl}${p}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.statusCode, text: await res.body.text() };
}

/** The admin API's read answers for these portals (and users of them). */
export async function adminAnswers(s: Stack, portals: readonly string[], logins: readonly string[]): Promise<Place[]> {
  const paths = ['/v1/blocks', '/v1/audit', '/v1/unblock-requests', '/v1/policies'];
  for (const p of portals) {
    paths.push(`/v1/users?portal=${encodeURIComponent(p)}`);
    paths.push(`/v1/portals/${encodeURIComponent(p)}/posture`, `/v1/portals/${encodeURIComponent(p)}/directory`, `/v1/audit?portal=${encodeURIComponent(p)}`);
    for (const l of logins) paths.push(`/v1/users/${encodeURIComponent(p)}/${encodeURIComponent(l)}`);
  }
  const out: Place[] = [];
  for (const p of paths) {
    const { status, text } = await adminGet(s, p);
    out.push([`admin GET ${p} (${status})`, text]);
  }
  return out;
}

/** Every key of every database of a Redis server, and its value, whatever its type. */
export async function redisContents(url: string): Promise<string> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  const out: string[] = [];
  try {
    const keyspace = await r.info('keyspace');
    const dbs = [...keyspace.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
    for (const db of dbs) {
      await r.select(db);
      let cursor = '0';
      do {
        const [next, keys] = await r.scanBuffer(cursor, 'COUNT', 1000);
        cursor = String(next);
        for (const key of keys) {
          out.push(key.toString('latin1'));
          const type = await r.type(key);
          const values: Buffer[] =
            type === 'string' ? [(await r.getBuffer(key)) ?? Buffer.alloc(0)]
            : type === 'hash' ? Object.entries(await r.hgetallBuffer(key)).flatMap(([k, v]) => [Buffer.from(k, 'latin1'), v])
            : type === 'list' ? await r.lrangeBuffer(key, 0, -1)
            : type === 'set' ? await r.smembersBuffer(key)
            : type === 'zset' ? await r.zrangeBuffer(key, 0, -1, 'WITHSCORES')
            : type === 'stream' ? [Buffer.from(JSON.stringify(await r.xrange(key, '-', '+')), 'utf8')]
            : [Buffer.from(`<unread type ${type}>`)];
          for (const v of values) out.push(v.toString('latin1'));
        }
      } while (cursor !== '0');
    }
  } finally {
    r.disconnect();
  }
  return out.join('\n');
}

/** Logs, metrics, audit, store records and state files of a stack. */
export async function gatewayOutputs(s: Stack): Promise<{ places: Place[]; files: number; audit: number }> {
  const places: Place[] = [['log lines', s.rawLogs()]];
  const metrics = await adminGet(s, '/metrics');
  if (metrics.status !== 200) throw new Error(`/metrics answered ${metrics.status}`);
  places.push(['/metrics', metrics.text]);
  const audit = await s.gw.store.queryAudit({ limit: 10_000 });
  places.push(['audit events', JSON.stringify(audit)]);
  for (const c of COLLECTIONS) places.push([`store ${c}`, JSON.stringify(await s.gw.store.list(c, '*'))]);
  const files = filesUnder(s.gw.config.stateDir);
  for (const f of files) places.push([`state file ${path.relative(s.gw.config.stateDir, f)}`, readFileSync(f).toString('latin1')]);
  return { places, files: files.length, audit: audit.length };
}

/**
 * Where each secret occurs: as sent, percent-encoded, in base64, and in any case (a lower-cased
 * webhook code is still the code).
 */
export function searchSecrets(secrets: ReadonlyMap<string, string>, where: readonly Place[]): string[] {
  const found = new Set<string>();
  for (const [place, text] of where) {
    const lower = text.toLowerCase();
    for (const [value, what] of secrets) {
      const forms = new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')]);
      for (const f of forms) {
        const at = f.length >= 6 ? lower.indexOf(f.toLowerCase()) : -1;
        // The context around the first hit says which field or line leaked (test values only).
        if (at >= 0) found.add(`${place}: ${what} (${value.slice(0, 4)}…) in …${text.slice(Math.max(0, at - 80), at + f.length + 20)}…`);
      }
    }
  }
  return [...found];
}
