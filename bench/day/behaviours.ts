/**
 * An ordinary day, person by person: the morning login (every device is new to a freshly deployed
 * gateway), a re-login after lunch, the phone on the carrier's shared addresses or the office Wi-Fi,
 * the evening at home, typos, a new laptop, a forgotten password recovered by e-mail, a phone whose
 * mail client keeps sending yesterday's password, a trip to a neighbouring country; and the portals'
 * integrations calling REST all day (OAuth apps refresh their hour-long tokens).
 */
import type { GatewayClient } from './client';
import { browse, changePassword, otpStep, passwordStep, requestCheckword } from './flows';
import { NEIGHBOUR } from './geo';
import { strongPassword, DESKTOP_UAS, type Device, type Integration, type Person, type Population } from './population';
import type { Random } from './random';
import type { Tally } from './tally';
import { HOUR, MINUTE, SECOND, type Timeline } from './timeline';

export interface DayContext {
  readonly client: GatewayClient;
  readonly timeline: Timeline;
  readonly tally: Tally;
  readonly pop: Population;
  /** The check word the portal "e-mailed" (the simulator's mailbox). */
  readonly mailbox: (host: string, login: string) => string | undefined;
}

/** A slip of the finger: a letter dropped, two swapped, or caps lock on. */
export function typoOf(password: string, random: Random): string {
  const i = random.int(0, password.length - 2);
  switch (random.int(0, 2)) {
    case 0:
      return password.slice(0, i) + password.slice(i + 1);
    case 1:
      return password.slice(0, i) + password[i + 1]! + password[i]! + password.slice(i + 2);
    default:
      return password.replace(/[a-zA-Z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
  }
}

const isWorkHours = (atMs: number): boolean => atMs >= 8 * HOUR && atMs < 18 * HOUR;

function laptopIp(p: Person, atMs: number): string {
  return p.atOffice && isWorkHours(atMs) ? p.portal.officeIp : p.homeIp;
}

function phoneIp(ctx: DayContext, p: Person, random: Random, atMs: number): string {
  if (p.atOffice && isWorkHours(atMs) && random.chance(0.5)) return p.portal.officeIp;
  return random.pick(ctx.pop.carriers.get(p.country)!);
}

/**
 * One sign-in as a person does it: `typos` slips first (a few seconds apart), then the right password,
 * the one-time code if the portal asks, and a page. A refusal of the right password is tried once more.
 */
async function signIn(ctx: DayContext, p: Person, device: Device, ip: string, random: Random, typos: number): Promise<void> {
  const t = ctx.tally.person(p);
  const host = p.portal.host;
  for (let i = 0; i < typos; i++) {
    await passwordStep(ctx.client, host, ip, p.login, typoOf(p.password, random), device);
    t.wrongAttempts++;
    await ctx.timeline.wait(random.int(5, 25) * SECOND);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    t.rightAttempts++;
    let r = await passwordStep(ctx.client, host, ip, p.login, p.password, device);
    if (r === 'otp') r = await otpStep(ctx.client, host, ip, device, p.otp ?? '');
    if (r === 'session') {
      t.sessions++;
      await browse(ctx.client, host, ip, device);
      return;
    }
    if (r === 'other') t.otherAnswers++;
    else t.rightRefused++;
    await ctx.timeline.wait(random.int(20, 60) * SECOND);
  }
}

/** Forgot the password: a few old ones tried, then recovery by e-mail, then the new one. */
async function forgotAndRecover(ctx: DayContext, p: Person, random: Random): Promise<void> {
  const t = ctx.tally.person(p);
  const ip = laptopIp(p, ctx.timeline.now());
  const guesses = random.int(3, 8);
  for (let i = 0; i < guesses; i++) {
    await passwordStep(ctx.client, p.portal.host, ip, p.login, strongPassword(random), p.laptop);
    t.wrongAttempts++;
    await ctx.timeline.wait(random.int(10, 40) * SECOND);
  }
  await requestCheckword(ctx.client, p.portal.host, ip, p.laptop, p.login);
  await ctx.timeline.wait(random.int(1, 4) * MINUTE);
  const word = ctx.mailbox(p.portal.host, p.login);
  const next = strongPassword(random);
  if (word !== undefined && (await changePassword(ctx.client, p.portal.host, ip, p.laptop, p.login, word, next))) {
    p.password = next;
    t.recoveries++;
  } else {
    t.recoveriesFailed++;
  }
  await ctx.timeline.wait(random.int(10, 60) * SECOND);
  await signIn(ctx, p, p.laptop, ip, random, 0);
}

/** The phone's mail client still has yesterday's password and retries it in the background. */
async function stalePhone(ctx: DayContext, p: Person, random: Random): Promise<void> {
  const t = ctx.tally.person(p);
  const stale = strongPassword(random);
  const retries = random.int(20, 40);
  for (let i = 0; i < retries; i++) {
    await passwordStep(ctx.client, p.portal.host, phoneIp(ctx, p, random, ctx.timeline.now()), p.login, stale, p.phone!);
    t.wrongAttempts++;
    await ctx.timeline.wait(random.int(60, 180) * SECOND);
  }
  // The person notices and types the right one on the phone.
  await signIn(ctx, p, p.phone!, phoneIp(ctx, p, random, ctx.timeline.now()), random, 0);
}

export function planPerson(ctx: DayContext, p: Person, random: Random): void {
  const tl = ctx.timeline;
  // Each script draws from its own fork: scripts of one person interleave by wall time, and a shared
  // generator would make the day depend on the machine's speed.
  let scripts = 0;
  const own = (): Random => random.fork(`script ${scripts++}`);
  const slips = (): number => (random.chance(0.06) ? 1 : random.chance(0.015) ? random.int(2, 3) : 0);
  const morning = p.atOffice ? random.between(7.5 * HOUR, 10 * HOUR) : random.between(7 * HOUR, 11 * HOUR);
  const forgot = random.chance(0.01);
  const clumsy = random.chance(0.01);
  const morningSlips = clumsy ? 5 : slips();
  const m = own();
  tl.at(morning, () => (forgot ? forgotAndRecover(ctx, p, m) : signIn(ctx, p, p.laptop, laptopIp(p, morning), m, morningSlips)));
  if (random.chance(0.4)) {
    const t = random.between(13 * HOUR, 14.5 * HOUR);
    const n = slips();
    const r = own();
    tl.at(t, () => signIn(ctx, p, p.laptop, laptopIp(p, t), r, n));
  }
  if (random.chance(0.15)) {
    const t = random.between(19 * HOUR, 23 * HOUR);
    const n = slips();
    const r = own();
    tl.at(t, () => signIn(ctx, p, p.laptop, p.homeIp, r, n));
  }
  if (p.phone) {
    const phone = p.phone;
    for (let i = random.int(1, 3); i > 0; i--) {
      const t = random.between(7 * HOUR, 22 * HOUR);
      const n = slips();
      const r = own();
      tl.at(t, () => signIn(ctx, p, phone, phoneIp(ctx, p, r, t), r, n));
    }
    if (random.chance(0.005)) {
      const r = own();
      tl.at(random.between(9 * HOUR, 16 * HOUR), () => stalePhone(ctx, p, r));
    }
  }
  if (random.chance(0.02)) {
    const t = random.between(10 * HOUR, 17 * HOUR);
    const fresh: Device = { label: 'new laptop', ua: random.pick(DESKTOP_UAS), jar: new Map() };
    const n = clumsy ? 5 : slips();
    const r = own();
    tl.at(t, () => signIn(ctx, p, fresh, laptopIp(p, t), r, n));
  }
  const abroad = NEIGHBOUR[p.country];
  if (abroad && random.chance(0.01)) {
    const hotel = ctx.pop.addresses.address(abroad);
    const t = random.between(19 * HOUR, 22.5 * HOUR);
    const r = own();
    tl.at(t, () => signIn(ctx, p, p.laptop, hotel, r, 0));
  }
}

async function restCall(ctx: DayContext, i: Integration, random: Random): Promise<void> {
  const t = ctx.tally.integration(i);
  const ip = random.pick(i.ips);
  const host = i.portal.host;
  const ua = i.kind === 'webhook' ? 'b24-sync/2.3 (+php)' : 'b24-app/1.8 node';
  t.calls++;
  if (i.kind === 'webhook') {
    const a = await ctx.client.send({ host, ip, ua, method: 'GET', path: `/rest/${i.userId}/${i.code}/crm.deal.list.json` });
    if (a.status === 403 || a.status === 503) t.refused++;
    return;
  }
  let a = await ctx.client.send({ host, ip, ua, method: 'GET', path: `/rest/crm.deal.list.json?auth=${i.accessToken}` });
  if (a.status === 401 && a.body.includes('expired_token')) {
    const r = await ctx.client.send({
      host, ip, ua, method: 'POST', path: '/oauth/token/',
      form: { grant_type: 'refresh_token', client_id: i.clientId!, client_secret: i.clientSecret!, refresh_token: i.refreshToken! },
    });
    if (r.status === 200) {
      const tokens = JSON.parse(r.body) as { access_token: string; refresh_token: string };
      i.accessToken = tokens.access_token;
      i.refreshToken = tokens.refresh_token;
    }
    a = await ctx.client.send({ host, ip, ua, method: 'GET', path: `/rest/crm.deal.list.json?auth=${i.accessToken}` });
  }
  if (a.status === 403 || a.status === 503) t.refused++;
}

/**
 * An integration's calls, all day long. Calls of one integration are chained (each waits for the one
 * before), as a sync job does, so an OAuth app never races its own token refresh.
 */
export function planIntegration(ctx: DayContext, i: Integration, random: Random): void {
  const tl = ctx.timeline;
  const first = tl.fromMs + random.between(0, i.everyMs);
  tl.at(first, async () => {
    for (;;) {
      await restCall(ctx, i, random);
      const next = tl.now() + i.everyMs * random.between(0.8, 1.2);
      if (next >= tl.toMs) return;
      await tl.wait(next - tl.now());
    }
  });
}
