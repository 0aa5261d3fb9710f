/**
 * `npm run bench -- --scenario day`: a generated day of a portal's traffic, through the real gateway
 * (`portcullis serve` from dist/, the repository's default policies, a trusted ingress) in front of
 * the real portal simulator, with attacks mixed in; then the confusion matrix of ./report.ts.
 *
 * The gateway and the simulator run with the same time scale as the generator (PORTCULLIS_TIME_SCALE),
 * so a compressed day keeps a real day's density: at 320, 24 h take 4.5 minutes of wall time, and
 * every 15-minute window of the policies still holds 15 minutes of traffic.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ScaledClock } from '../../gateway/lib/clock';
import { startPortalSim, type RecordedRequest } from '../../portal-sim/server';
import { startGatewayProcess, stopAll } from '../../test/helpers/processes';
import { UsageError } from '../run-main';
import { planAttacks } from './attacks';
import { planIntegration, planPerson, type DayContext } from './behaviours';
import { GatewayClient } from './client';
import { buildPopulation, simulatorSeed } from './population';
import { Random } from './random';
import { buildReport, renderReport, type DayReport, type AuditEvent, type RequestLine } from './report';
import { Tally } from './tally';
import { HOUR, Timeline } from './timeline';

export interface DayOptions {
  readonly seed: number;
  readonly users: number;
  readonly hours: number;
  /** Hour of the day the run starts at (the busiest hours first when the run is short). */
  readonly startHour: number;
  readonly timeScale: number;
  readonly reportOnly: boolean;
  readonly json: boolean;
}

export const DAY_HELP = `Usage: npm run bench -- --scenario day [options]

A generated day of a portal's traffic (people with their own devices and networks, offices behind one
address, phones on carriers' shared addresses, typos, forgotten passwords, second factors, webhooks and
OAuth apps) with attacks mixed in, through the gateway with its default policies in front of the
portal simulator. Prints the confusion matrix; exits 1 when an invariant fails (0 ordinary users
refused or blocked, 0 portal REST blocks by ordinary traffic, every attack caught, brute force stopped
before 20 guesses reach the portal).

  --seed N          the generator's seed (default 1): one seed, one day
  --users N         people, spread over companies of 4 to 250 (default 2000)
  --hours H         hours played (default 24; --quick: 2)
  --start-hour H    hour of the day the run starts at (default 0 for a whole day, else 8)
  --time-scale S    seconds of simulated time per wall second, for the gateway too (default 320:
                    24 h in 4.5 minutes)
  --quick           500 users, 2 hours from 08:00
  --report-only     exit 0 even when an invariant fails
  --json            print the report as JSON
  -h, --help        this text`;

export function parseDayArgs(argv: readonly string[]): DayOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      scenario: { type: 'string' },
      seed: { type: 'string' },
      users: { type: 'string' },
      hours: { type: 'string' },
      'start-hour': { type: 'string' },
      'time-scale': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const num = (raw: string | undefined, flag: string, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} must be a number in ${min}..${max}, got "${raw}"`);
    return n;
  };
  const quick = values.quick === true;
  const hours = num(values.hours, '--hours', quick ? 2 : 24, 0.25, 24);
  const startHour = num(values['start-hour'], '--start-hour', hours >= 24 ? 0 : 8, 0, 24 - hours);
  return {
    seed: Math.trunc(num(values.seed, '--seed', 1, 0, 2 ** 32 - 1)),
    users: Math.trunc(num(values.users, '--users', quick ? 500 : 2000, 30, 100_000)),
    hours,
    startHour,
    timeScale: num(values['time-scale'], '--time-scale', 320, 1, 100_000),
    reportOnly: values['report-only'] === true,
    json: values.json === true,
  };
}

const ADMIN_TOKEN = 'day-admin-token-0123456789abcdef';

/** Login and webhook credentials that reached the portal, from the simulator's own view. */
function countReached(tally: Tally) {
  // Attacks are planned after the simulator starts: the map of their addresses is made on first use.
  let attackOf: Map<string, number> | undefined;
  return (r: RecordedRequest): void => {
    if (attackOf === undefined) {
      if (tally.attacks.length === 0) return;
      attackOf = new Map();
      tally.attacks.forEach((a, i) => a.ips.forEach((ip) => attackOf!.set(ip, i)));
    }
    const xff = String(r.headers['x-forwarded-for'] ?? '').split(',')[0]!.trim();
    const idx = attackOf.get(xff);
    if (idx === undefined) return;
    const a = tally.attacks[idx]!;
    if (a.kind === 'leaked-webhook') {
      if ([...a.guesses].some((code) => r.url.includes(`/${code}/`))) a.reachedPortal++;
      return;
    }
    const form = new URLSearchParams(r.body);
    const login = form.get('USER_LOGIN');
    const password = form.get('USER_PASSWORD');
    if (login !== null && password !== null && a.guesses.has(`${login}\0${password}`)) a.reachedPortal++;
  };
}

async function adminRequest(adminUrl: string, method: string, pathAndQuery: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${adminUrl}${pathAndQuery}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathAndQuery}: ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}

/** Plays one day and returns its report. Spawns the gateway; stops it before returning. */
export async function runDay(o: DayOptions, progress: (line: string) => void = () => {}): Promise<DayReport> {
  const random = new Random(o.seed);
  const pop = buildPopulation(random.fork('population'), o.users);
  const tally = new Tally();
  const fromMs = o.startHour * HOUR;
  const timeline = new Timeline(o.timeScale, fromMs, fromMs + o.hours * HOUR);
  const sim = await startPortalSim({
    seed: simulatorSeed(pop) as never,
    clock: new ScaledClock(o.timeScale),
    hashCostMs: 5,
    record: false,
    onReceived: countReached(tally),
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-day-'));
  const linesFile = path.join(dir, 'gateway.jsonl');
  let live: GatewayClient | undefined;
  try {
    const gw = await startGatewayProcess({
      upstream: sim.url,
      env: { PORTCULLIS_TIME_SCALE: String(o.timeScale), PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32', PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN },
      stdout: { file: linesFile },
    });
    // As ops would: each portal's directory (who exists, who is an admin), never a password.
    for (const c of pop.companies) {
      const users = c.people.map((p) => ({ login: p.login, email: p.login, name: p.name, admin: p.admin, owner: p.owner, active: true }));
      await adminRequest(gw.adminUrl, 'PUT', `/v1/portals/${encodeURIComponent(c.host)}/directory`, users);
    }
    live = new GatewayClient(gw.url);
    const ctx: DayContext = { client: live, timeline, tally, pop, mailbox: (host, login) => sim.mailbox(host, login) };
    const people = random.fork('people');
    for (const p of pop.people) planPerson(ctx, p, people.fork(p.login));
    const integrations = random.fork('integrations');
    for (const i of pop.integrations) planIntegration(ctx, i, integrations.fork(i.code ?? i.clientId!));
    planAttacks(ctx, random.fork('attacks'));
    progress(`day: ${pop.people.length} users in ${pop.companies.length} companies, ${o.hours} h from ${String(o.startHour).padStart(2, '0')}:00 at time scale ${o.timeScale} (about ${Math.ceil((o.hours * 3600) / o.timeScale)} s of wall time)`);
    timeline.start();
    const ticker = setInterval(() => progress(`day: ${new Date(timeline.now()).toISOString().slice(11, 16)} simulated`), 15_000);
    try {
      await timeline.settled();
    } finally {
      clearInterval(ticker);
    }
    const audit: AuditEvent[] = [];
    for (const type of ['user_blocked', 'rest_blocked']) {
      for (let cursor: string | null = null; ; ) {
        const page = (await adminRequest(gw.adminUrl, 'GET', `/v1/audit?type=${type}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)) as { items: AuditEvent[]; next_cursor: string | null };
        audit.push(...page.items);
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
    }
    await gw.stop();
    const lines = readFileSync(linesFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l) as RequestLine);
    return buildReport({
      seed: o.seed,
      timeScale: o.timeScale,
      window: `${o.hours} h from ${String(o.startHour).padStart(2, '0')}:00`,
      pop,
      tally,
      lines,
      audit,
      lateness: timeline.lateness,
    });
  } finally {
    live?.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function dayMain(argv: readonly string[]): Promise<number> {
  let options: DayOptions | 'help';
  try {
    options = parseDayArgs(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${DAY_HELP}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${DAY_HELP}\n`);
    return 0;
  }
  try {
    const report = await runDay(options, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`);
    return options.reportOnly || report.invariants.every((i) => i.ok) ? 0 : 1;
  } finally {
    await stopAll();
  }
}
