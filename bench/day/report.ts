/**
 * The day's confusion matrix: what the defaults cost ordinary people and integrations, against what
 * they did to each attack. Three sources, each used for what only it knows:
 *   the generator's ground truth (who sent the right password, and what came back: a decoy looks
 *     like the portal's own failure, so only the sender knows it was the right password);
 *   the gateway's request lines (which address each verdict was about, its action and rules);
 *   the portal simulator's own view (which attacker guesses reached it with their own credentials),
 *   and the gateway's audit trail for the portal-wide REST blocks.
 */
import type { Population, Person, Integration } from './population';
import type { AttackKind, Tally } from './tally';

export interface RequestLine {
  ip: string;
  portal: string;
  login?: string;
  kind: string;
  status: number;
  answer: string;
  action?: string;
  rules?: string[];
  outcome_action?: string;
  outcome_rules?: string[];
}

/** An event of the gateway's audit trail (user_blocked, rest_blocked), as the admin API lists it. */
export interface AuditEvent {
  readonly at: string;
  readonly portal: string;
  readonly type: string;
  readonly user?: string;
  readonly actor: string;
}

export interface AttackResult {
  readonly kind: AttackKind;
  readonly portal: string;
  readonly requests: number;
  /** A verdict of the policies on the attack's own requests (not a block someone else caused). */
  readonly caught: boolean;
  /** The request (1-based, in the order the gateway answered them) that first got a verdict. */
  readonly caughtAt: number | null;
  /** The request that was first not served as the attacker wanted (a verdict, a decoy, a block, a limit). */
  readonly firstRefusedAt: number | null;
  readonly rules: string[];
  readonly reachedPortal: number;
  readonly attackerSessions: number;
  /** People the attack sent guesses for (existing accounts). */
  readonly targets: number;
  readonly victimsBlocked: number;
  /** Targets refused at their own right password (the attack's cost to its victims). */
  readonly victimsRefused: number;
  readonly portalRestBlocked: boolean;
}

export interface DayReport {
  readonly seed: number;
  readonly users: number;
  readonly companies: number;
  readonly window: string;
  readonly timeScale: number;
  readonly requests: number;
  /** How late scripts started (simulated seconds): large values mean the machine could not keep the density. */
  readonly lateness: { readonly meanS: number; readonly maxS: number };
  readonly ordinary: {
    readonly activeUsers: number;
    readonly rightPasswordAttempts: number;
    readonly sessions: number;
    readonly typos: number;
    readonly recoveries: number;
    readonly recoveriesFailed: number;
    /** People no attack targeted who got the failure page with their right password. */
    readonly refusedAtRightPassword: number;
    readonly refusedAttempts: number;
    readonly blockedByOwnTraffic: number;
    /** The rules of those blocks. */
    readonly blockedBy: Record<string, number>;
    readonly addressesBlocked: { ip: string; kind: string; people: number }[];
    readonly portalRestBlocksByOrdinary: number;
    readonly integrationsCutOffByOrdinary: number;
    readonly integrationsCutOffByAttack: number;
    readonly integrationCalls: number;
    readonly integrationCallsRefused: number;
    /** Rules that acted on ordinary traffic, with how many requests each. */
    readonly rules: Record<string, number>;
    readonly otherAnswers: number;
  };
  readonly attacks: AttackResult[];
  readonly invariants: { readonly name: string; readonly ok: boolean; readonly value: string }[];
}

const acted = (l: RequestLine): boolean =>
  l.answer !== 'forwarded' || (l.action !== undefined && l.action !== 'none') || (l.outcome_action !== undefined && l.outcome_action !== 'none');
const verdict = (l: RequestLine): boolean => (l.action !== undefined && l.action !== 'none') || (l.outcome_action !== undefined && l.outcome_action !== 'none');

/** What kind of address each ordinary address is, and how many people use it. */
function addressKinds(pop: Population): Map<string, { kind: string; people: Set<Person> }> {
  const out = new Map<string, { kind: string; people: Set<Person> }>();
  const add = (ip: string, kind: string, p?: Person): void => {
    let e = out.get(ip);
    if (!e) out.set(ip, (e = { kind, people: new Set() }));
    if (p) e.people.add(p);
  };
  for (const p of pop.people) {
    add(p.homeIp, 'home', p);
    if (p.atOffice) add(p.portal.officeIp, 'office NAT', p);
    if (p.phone) for (const ip of pop.carriers.get(p.country) ?? []) add(ip, 'carrier CGNAT', p);
  }
  for (const i of pop.integrations) for (const ip of i.ips) add(ip, i.ips.length > 1 ? 'integration egress pool' : 'integration server');
  return out;
}

export function buildReport(args: {
  seed: number;
  timeScale: number;
  window: string;
  pop: Population;
  tally: Tally;
  lines: readonly RequestLine[];
  audit: readonly AuditEvent[];
  lateness: { maxMs: number; totalMs: number; count: number };
}): DayReport {
  const { pop, tally, lines } = args;
  const attackOf = new Map<string, number>();
  tally.attacks.forEach((a, i) => a.ips.forEach((ip) => attackOf.set(ip, i)));
  const personOf = new Map<string, Person>(pop.people.map((p) => [`${p.portal.host}\0${p.login}`, p]));

  // People an attack sent guesses for are its victims: what happens to them is the attack's cost.
  const targetOf = new Map<Person, number>();
  tally.attacks.forEach((a, i) => {
    for (const login of a.targets) {
      const p = personOf.get(`${a.portal}\0${login}`);
      if (p) targetOf.set(p, i);
    }
  });
  const blockedByOrdinary = new Set<Person>();
  const blockedBy: Record<string, number> = {};
  const blockedByAttack = new Map<Person, number>();
  // A portal's REST block is written with the user block that caused it, a moment apart (two reads
  // of a scaled clock): it is paired with the nearest user block of its portal.
  const userBlocks: { portal: string; atMs: number; cause: 'attack' | 'ordinary' }[] = [];
  for (const e of args.audit) {
    if (e.type !== 'user_blocked' || !e.user) continue;
    const p = personOf.get(`${e.portal}\0${e.user}`);
    const attack = p ? targetOf.get(p) : undefined;
    if (p && attack !== undefined) blockedByAttack.set(p, attack);
    else if (p) {
      blockedByOrdinary.add(p);
      blockedBy[e.actor] = (blockedBy[e.actor] ?? 0) + 1;
    }
    userBlocks.push({ portal: e.portal, atMs: Date.parse(e.at), cause: p && attack === undefined ? 'ordinary' : 'attack' });
  }
  const restByOrdinary = new Set<string>();
  const restByAttack = new Set<string>();
  for (const e of args.audit) {
    if (e.type !== 'rest_blocked') continue;
    const atMs = Date.parse(e.at);
    const nearest = userBlocks.filter((u) => u.portal === e.portal).sort((a, b) => Math.abs(a.atMs - atMs) - Math.abs(b.atMs - atMs))[0];
    const cause = nearest && Math.abs(nearest.atMs - atMs) < 10_000 ? nearest.cause : tally.attacks.some((a) => a.portal === e.portal) ? 'attack' : 'ordinary';
    (cause === 'attack' ? restByAttack : restByOrdinary).add(e.portal);
  }

  const rules: Record<string, number> = {};
  const addresses = addressKinds(pop);
  const blockedIps = new Map<string, { kind: string; people: number }>();
  for (const l of lines) {
    if (attackOf.has(l.ip) || !acted(l)) continue;
    for (const r of [...(l.rules ?? []), ...(l.outcome_rules ?? [])]) rules[r] = (rules[r] ?? 0) + 1;
    if (!l.rules?.length && !l.outcome_rules?.length) rules[`(${l.answer})`] = (rules[`(${l.answer})`] ?? 0) + 1;
    if (l.action === 'block_ip') {
      const a = addresses.get(l.ip);
      blockedIps.set(l.ip, { kind: a?.kind ?? 'unknown', people: a?.people.size ?? 0 });
    }
  }

  let refusedPeople = 0;
  let refusedAttempts = 0;
  let active = 0;
  let right = 0;
  let sessions = 0;
  let typos = 0;
  let recoveries = 0;
  let recoveriesFailed = 0;
  let other = 0;
  for (const [p, t] of tally.people) {
    active++;
    right += t.rightAttempts;
    sessions += t.sessions;
    typos += t.wrongAttempts;
    recoveries += t.recoveries;
    recoveriesFailed += t.recoveriesFailed;
    other += t.otherAnswers;
    if (t.rightRefused > 0 && !targetOf.has(p)) {
      refusedPeople++;
      refusedAttempts += t.rightRefused;
    }
  }

  // Integrations: the calls the gateway itself refused (the portal's own limits are not its cost),
  // by the block behind them: the portal's REST block, or a limit set on ordinary traffic.
  const integrationOf = new Map<string, Integration>();
  for (const i of pop.integrations) for (const ip of i.ips) integrationOf.set(ip, i);
  // A limit made on an ordinary call is the ordinary traffic's doing only when no attack had hit that
  // portal before it: a leaked webhook's counter is fed by the attacker's addresses, and the verdict
  // falls on whichever call crosses the threshold next, often the integration's own.
  const attackedFrom = new Map<string, number>();
  lines.forEach((l, k) => {
    if (attackOf.has(l.ip) && !attackedFrom.has(l.portal)) attackedFrom.set(l.portal, k);
  });
  const limitedByOrdinary = new Set<string>();
  lines.forEach((l, k) => {
    if (attackOf.has(l.ip) || l.kind !== 'rest' || l.action !== 'limit') return;
    const attacked = attackedFrom.get(l.portal);
    if (attacked === undefined || attacked > k) limitedByOrdinary.add(l.portal);
  });
  const refusedAnswers = new Map<Integration, Set<string>>();
  let refusedCalls = 0;
  for (const l of lines) {
    const i = integrationOf.get(l.ip);
    if (!i || !acted(l)) continue;
    refusedCalls++;
    let answers = refusedAnswers.get(i);
    if (!answers) refusedAnswers.set(i, (answers = new Set()));
    answers.add(l.answer);
  }
  let calls = 0;
  for (const t of tally.integrations.values()) calls += t.calls;
  let cutByOrdinary = 0;
  let cutByAttack = 0;
  for (const [i, answers] of refusedAnswers) {
    const host = i.portal.host;
    const ordinary = (answers.has('portal_rest_blocked') && restByOrdinary.has(host)) || ([...answers].some((a) => a !== 'portal_rest_blocked') && limitedByOrdinary.has(host));
    if (ordinary) cutByOrdinary++;
    else cutByAttack++;
  }

  const attacks: AttackResult[] = tally.attacks.map((a, idx) => {
    const mine = lines.filter((l) => attackOf.get(l.ip) === idx);
    const refused = mine.findIndex(acted);
    // Caught at its first request with a verdict, or its first refused one: a rule fed by the attack's
    // addresses (a leaked webhook's) may give its verdict on the victim's own next call, and every
    // attack request after it is refused by the block or limit that verdict made.
    const verdictAt = mine.findIndex(verdict);
    const first = verdictAt === -1 ? refused : refused === -1 ? verdictAt : Math.min(verdictAt, refused);
    const targets = [...targetOf].filter(([, i]) => i === idx).map(([p]) => p);
    const attackRules = new Set<string>();
    for (const l of mine) if (acted(l)) for (const r of [...(l.rules ?? []), ...(l.outcome_rules ?? [])]) attackRules.add(r);
    return {
      kind: a.kind,
      portal: a.portal,
      requests: a.requests,
      caught: first !== -1,
      caughtAt: first === -1 ? null : first + 1,
      firstRefusedAt: refused === -1 ? null : refused + 1,
      rules: [...attackRules].sort(),
      reachedPortal: a.reachedPortal,
      attackerSessions: a.sessions,
      targets: targets.length,
      victimsBlocked: [...blockedByAttack.values()].filter((x) => x === idx).length,
      victimsRefused: targets.filter((p) => (tally.people.get(p)?.rightRefused ?? 0) > 0).length,
      portalRestBlocked: restByAttack.has(a.portal),
    };
  });

  const ordinary = {
    activeUsers: active,
    rightPasswordAttempts: right,
    sessions,
    typos,
    recoveries,
    recoveriesFailed,
    refusedAtRightPassword: refusedPeople,
    refusedAttempts,
    blockedByOwnTraffic: blockedByOrdinary.size,
    blockedBy,
    addressesBlocked: [...blockedIps].map(([ip, v]) => ({ ip, ...v })),
    portalRestBlocksByOrdinary: restByOrdinary.size,
    integrationsCutOffByOrdinary: cutByOrdinary,
    integrationsCutOffByAttack: cutByAttack,
    integrationCalls: calls,
    integrationCallsRefused: refusedCalls,
    rules,
    otherAnswers: other,
  };
  const brute = attacks.find((a) => a.kind === 'brute-force');
  // Guessing attacks hold no password: any session they get is the gateway's failure. Stuffing holds
  // pairs that are still right (reused passwords): one sent before the wave shows is the owner on a new
  // device to every signal, so its sessions are reported beside the invariants, not among them.
  const guessingSessions = attacks.filter((a) => a.kind !== 'leaked-webhook' && a.kind !== 'credential-stuffing').reduce((n, a) => n + a.attackerSessions, 0);
  const stuffingSessions = attacks.filter((a) => a.kind === 'credential-stuffing').reduce((n, a) => n + a.attackerSessions, 0);
  const invariants = [
    { name: 'ordinary users refused at their right password', ok: refusedPeople === 0, value: String(refusedPeople) },
    { name: 'ordinary users blocked by their own traffic', ok: blockedByOrdinary.size === 0, value: String(blockedByOrdinary.size) },
    { name: 'portal REST blocks caused by ordinary traffic', ok: restByOrdinary.size === 0, value: String(restByOrdinary.size) },
    { name: 'integrations cut off by ordinary traffic', ok: cutByOrdinary === 0, value: String(cutByOrdinary) },
    { name: 'attacks caught', ok: attacks.every((a) => a.caught), value: `${attacks.filter((a) => a.caught).length}/${attacks.length}` },
    { name: 'brute-force guesses that reached the portal (< 20)', ok: brute !== undefined && brute.reachedPortal < 20, value: String(brute?.reachedPortal ?? 'n/a') },
    { name: 'sessions obtained by guessing attacks', ok: guessingSessions === 0, value: String(guessingSessions) },
    { name: 'sessions from still-right leaked pairs (reported; the list holds 2)', ok: true, value: String(stuffingSessions) },
  ];
  return {
    seed: args.seed,
    users: pop.people.length,
    companies: pop.companies.length,
    window: args.window,
    timeScale: args.timeScale,
    requests: lines.length,
    lateness: { meanS: Math.round(args.lateness.totalMs / Math.max(1, args.lateness.count) / 100) / 10, maxS: Math.round(args.lateness.maxMs / 100) / 10 },
    ordinary,
    attacks,
    invariants,
  };
}

export function renderReport(r: DayReport): string {
  const o = r.ordinary;
  const out: string[] = [];
  out.push(`A generated day: seed ${r.seed}, ${r.users} users in ${r.companies} companies, ${r.window}, time scale ${r.timeScale}, ${r.requests} requests through the gateway`);
  out.push(`Scripts started late by ${r.lateness.meanS} s on average, ${r.lateness.maxS} s at most (simulated time; a loaded machine thins the day out)`);
  out.push('');
  out.push('Ordinary traffic (what the defaults cost the people they protect)');
  out.push(`  active users                               ${o.activeUsers}`);
  out.push(`  right-password attempts / sessions opened  ${o.rightPasswordAttempts} / ${o.sessions}`);
  out.push(`  typos and wrong passwords sent             ${o.typos}`);
  out.push(`  password recoveries done / failed          ${o.recoveries} / ${o.recoveriesFailed}`);
  out.push(`  users refused at their right password      ${o.refusedAtRightPassword}  (${o.refusedAttempts} attempts)`);
  const by = Object.entries(o.blockedBy).map(([k, v]) => `${k} ${v}`).join(', ');
  out.push(`  users blocked by their own traffic         ${o.blockedByOwnTraffic}${by ? `  (${by})` : ''}`);
  out.push(`  ordinary addresses blocked                 ${o.addressesBlocked.length}${o.addressesBlocked.length ? `  (${o.addressesBlocked.map((a) => `${a.kind}, ${a.people} people`).join('; ')})` : ''}`);
  out.push(`  portal REST blocked by ordinary traffic    ${o.portalRestBlocksByOrdinary} portals`);
  out.push(`  integrations cut off: by ordinary traffic  ${o.integrationsCutOffByOrdinary}, by an attack's block ${o.integrationsCutOffByAttack}  (${o.integrationCallsRefused} of ${o.integrationCalls} calls refused)`);
  if (o.otherAnswers) out.push(`  other answers (errors, timeouts)           ${o.otherAnswers}`);
  const rules = Object.entries(o.rules).sort((a, b) => b[1] - a[1]);
  if (rules.length) out.push(`  rules that acted on ordinary requests      ${rules.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push('');
  out.push('Attacks');
  out.push('  attack               requests  caught at  first refused at  reached portal  attacker sessions  targets blocked/refused/all  portal REST blocked');
  for (const a of r.attacks) {
    out.push(
      `  ${a.kind.padEnd(19)}  ${String(a.requests).padStart(8)}  ${(a.caught ? String(a.caughtAt) : 'NO').padStart(9)}  ${String(a.firstRefusedAt ?? '-').padStart(16)}  ${String(a.reachedPortal).padStart(14)}  ${String(a.attackerSessions).padStart(17)}  ${`${a.victimsBlocked}/${a.victimsRefused}/${a.targets}`.padStart(27)}  ${(a.portalRestBlocked ? 'yes' : 'no').padStart(19)}`,
    );
    out.push(`      rules: ${a.rules.join(', ') || '-'}`);
  }
  out.push('');
  out.push('Invariants');
  for (const i of r.invariants) out.push(`  ${i.ok ? 'ok  ' : 'FAIL'}  ${i.name}: ${i.value}`);
  return out.join('\n');
}
