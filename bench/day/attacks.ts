/**
 * The attacks mixed into the day, each on its own company's portal so that what it costs (the
 * victim's block, the portal's REST) is told apart from what ordinary traffic costs:
 *   brute force        one script, one address, no cookies, a guess every 2-4 s against one user;
 *   slow distributed   30 addresses in many countries, two guesses each, spread over most of the run;
 *   spraying           one address, two common passwords against 50 logins of one portal;
 *   stuffing           a leaked list (real logins with old passwords, two reused and still right,
 *                      and logins nobody has) from 60 residential addresses, one try each, 5 workers;
 *   leaked webhook     one integration's webhook code called from 10 addresses in many countries.
 * Attack addresses are drawn apart from everyone else's, in the attackers' usual countries.
 */
import type { DayContext } from './behaviours';
import { passwordStep } from './flows';
import { ATTACKER_COUNTRIES, HOME_COUNTRIES } from './geo';
import { strongPassword, DESKTOP_UAS, type Company, type Person } from './population';
import type { Random } from './random';
import type { AttackTally } from './tally';
import { MINUTE, SECOND } from './timeline';

const COMMON = ['Spring2025!', 'Welcome1!', 'Password123', 'Qwerty123!', 'Summer2024!', 'Company2025', 'Passw0rd!', 'Letmein123'];

async function guess(ctx: DayContext, a: AttackTally, host: string, ip: string, login: string, password: string, ua: string): Promise<void> {
  a.requests++;
  a.guesses.add(`${login}\0${password}`);
  const r = await passwordStep(ctx.client, host, ip, login, password, undefined, ua);
  if (r === 'session') a.sessions++;
}

/** A person whose only protection is the password: the attacks' favourite target. */
function softTarget(c: Company, random: Random): Person {
  const soft = c.people.filter((p) => !p.otp && !p.owner);
  return random.pick(soft.length > 0 ? soft : c.people);
}

export function planAttacks(ctx: DayContext, random: Random): void {
  const tl = ctx.timeline;
  const span = tl.toMs - tl.fromMs;
  const at = (fraction: number): number => tl.fromMs + fraction * span;
  const book = ctx.pop.addresses;
  // The biggest companies are attacked (stuffing and spraying need many logins); one attack each.
  const [stuffed, sprayed, forced, slow, leaked] = [...ctx.pop.companies].sort((x, y) => y.people.length - x.people.length);
  if (!leaked) throw new Error('the day needs at least five companies (raise --users)');

  {
    const a = ctx.tally.attack('brute-force', forced!.host);
    const victim = softTarget(forced!, random);
    const ip = book.address(random.pick(ATTACKER_COUNTRIES));
    a.ips.add(ip);
    a.targets.add(victim.login);
    const r = random.fork('brute-force');
    tl.at(at(0.15), async () => {
      for (let i = 0; i < 150; i++) {
        await guess(ctx, a, forced!.host, ip, victim.login, i < COMMON.length ? COMMON[i]! : strongPassword(r), 'python-requests/2.31.0');
        await tl.wait(r.int(2, 4) * SECOND);
      }
    });
  }
  {
    const a = ctx.tally.attack('slow-distributed', slow!.host);
    const victim = softTarget(slow!, random);
    a.targets.add(victim.login);
    const r = random.fork('slow-distributed');
    for (let k = 0; k < 30; k++) {
      const ip = book.address(random.pick([...ATTACKER_COUNTRIES, ...HOME_COUNTRIES]));
      a.ips.add(ip);
      const ua = random.pick(DESKTOP_UAS);
      for (let g = 0; g < 2; g++) {
        const password = strongPassword(r);
        tl.at(at(random.between(0.05, 0.95)), () => guess(ctx, a, slow!.host, ip, victim.login, password, ua));
      }
    }
  }
  {
    const a = ctx.tally.attack('spraying', sprayed!.host);
    const ip = book.address(random.pick(ATTACKER_COUNTRIES));
    a.ips.add(ip);
    const logins = sprayed!.people.slice(0, 40).map((p) => p.login);
    for (let k = logins.length; k < 50; k++) logins.push(`user${k}@${sprayed!.domain}`);
    for (const p of sprayed!.people.slice(0, 40)) a.targets.add(p.login);
    const r = random.fork('spraying');
    tl.at(at(0.3), async () => {
      for (const password of ['Spring2025!', 'Welcome1!']) {
        for (const login of logins) {
          await guess(ctx, a, sprayed!.host, ip, login, password, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)');
          await tl.wait(r.int(5, 10) * SECOND);
        }
      }
    });
  }
  {
    const a = ctx.tally.attack('credential-stuffing', stuffed!.host);
    const ips = Array.from({ length: 60 }, () => book.address(random.pick(random.chance(0.5) ? ATTACKER_COUNTRIES : HOME_COUNTRIES)));
    for (const ip of ips) a.ips.add(ip);
    const real = stuffed!.people.slice(0, 60);
    // Two of the leaked pairs are still right: people who reused their password elsewhere.
    const reused = real.filter((p) => !p.otp).slice(0, 2);
    const list: { login: string; password: string }[] = real.map((p) => ({ login: p.login, password: reused.includes(p) ? p.password : strongPassword(random) }));
    for (let k = 0; list.length < 150; k++) list.push({ login: `${random.pick(['j', 'm', 'k', 's'])}${random.token(5)}${k}@${stuffed!.domain}`, password: strongPassword(random) });
    for (const p of real) a.targets.add(p.login);
    // Five workers, as stuffing tools run: the pace does not hang on one request's latency.
    const order = random.shuffled(list);
    for (let w = 0; w < 5; w++) {
      const r = random.fork(`credential-stuffing ${w}`);
      const mine = order.filter((_, k) => k % 5 === w);
      tl.at(at(0.5) + w * 3 * SECOND, async () => {
        for (const pair of mine) {
          await guess(ctx, a, stuffed!.host, r.pick(ips), pair.login, pair.password, r.pick(DESKTOP_UAS));
          await tl.wait(r.int(10, 30) * SECOND);
        }
      });
    }
  }
  {
    const a = ctx.tally.attack('leaked-webhook', leaked!.host);
    const hook = leaked!.integrations.find((i) => i.kind === 'webhook')!;
    const r = random.fork('leaked-webhook');
    for (let k = 0; k < 10; k++) {
      const ip = book.address(random.pick(ATTACKER_COUNTRIES));
      a.ips.add(ip);
      a.guesses.add(hook.code!);
      tl.at(at(random.between(0.35, 0.5)), async () => {
        while (tl.now() < at(0.85)) {
          a.requests++;
          const res = await ctx.client.send({ host: leaked!.host, ip, ua: 'curl/8.5.0', method: 'GET', path: `/rest/${hook.userId}/${hook.code}/${r.pick(['crm.deal.list', 'user.get', 'crm.contact.list'])}.json` });
          if (res.status === 200) a.sessions++;
          await tl.wait(r.int(1, 3) * MINUTE);
        }
      });
    }
  }
}
