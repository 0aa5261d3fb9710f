/**
 * Who lives in the generated day: companies (one portal each, chosen by Host), their people, each
 * with their own devices and networks, and the portals' integrations. Everything is drawn from the
 * seeded generator, so a seed names one population.
 */
import { AddressBook, HOME_COUNTRIES, NEIGHBOUR } from './geo';
import type { Random } from './random';

export const DESKTOP_UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];
export const MOBILE_UAS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
  'BitrixMobile/4.6 (iPhone; iOS 18.1; Scale/3.00)',
];

export interface Device {
  readonly label: string;
  readonly ua: string;
  /** The device's cookies (the gateway's pc_device among them), name → value. */
  readonly jar: Map<string, string>;
}

export interface Person {
  readonly portal: Company;
  readonly id: number;
  readonly login: string;
  readonly name: string;
  /** The current password; a recovery changes it. */
  password: string;
  readonly otp?: string;
  readonly admin: boolean;
  readonly owner: boolean;
  readonly country: string;
  readonly homeIp: string;
  /** Works at the company's office (behind its one NAT address) on weekdays' working hours. */
  readonly atOffice: boolean;
  readonly laptop: Device;
  readonly phone?: Device;
}

export interface Integration {
  readonly kind: 'webhook' | 'app';
  readonly portal: Company;
  readonly userId: number;
  /** webhook: its code; app: client id and secret, and the current tokens. */
  readonly code?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  accessToken?: string;
  refreshToken?: string;
  /** Where its calls come from: one server, or a cloud's pool of egress addresses. */
  readonly ips: readonly string[];
  readonly everyMs: number;
}

export interface Company {
  readonly host: string;
  readonly domain: string;
  readonly country: string;
  readonly officeIp: string;
  readonly people: Person[];
  readonly integrations: Integration[];
}

export interface Population {
  readonly companies: Company[];
  readonly people: Person[];
  readonly integrations: Integration[];
  readonly addresses: AddressBook;
  /** Each country's mobile carrier: a few CGNAT addresses that many phones share. */
  readonly carriers: ReadonlyMap<string, readonly string[]>;
}

const FIRST = ['anna', 'ben', 'chloe', 'david', 'elena', 'felix', 'greta', 'hugo', 'ines', 'jan', 'katja', 'leo', 'mila', 'nils', 'olga', 'paul', 'rosa', 'sven', 'tara', 'umut', 'vera', 'wim', 'yara', 'zoe'];
const LAST = ['meyer', 'dubois', 'smith', 'jansen', 'nowak', 'garcia', 'rossi', 'berg', 'miller', 'schmidt', 'martin', 'kowalski', 'lopez', 'bianchi', 'larsen', 'brown'];
const SIZES = [4, 6, 8, 12, 15, 20, 30, 45, 60, 90, 150, 250];
const MINUTE = 60_000;

/** A strong password nobody else has (the generator never reuses one across people). */
export function strongPassword(random: Random): string {
  return `${random.token(4, 'ABCDEFGHJKLMNPQRSTUVWXYZ')}-${random.token(6)}-${random.int(10, 99)}!`;
}

export function buildPopulation(random: Random, userCount: number): Population {
  const addresses = new AddressBook(random.fork('addresses'));
  const carriers = new Map<string, string[]>();
  for (const c of HOME_COUNTRIES) carriers.set(c, addresses.network(c, 6));
  for (const c of Object.values(NEIGHBOUR)) carriers.set(c, addresses.network(c, 4));
  const companies: Company[] = [];
  const people: Person[] = [];
  const integrations: Integration[] = [];
  // At least five companies (one per kind of attack), the biggest no larger than a sixth of everyone.
  const cap = Math.max(4, Math.floor(userCount / 6));
  let left = userCount;
  for (let k = 0; left > 0; k++) {
    const size = Math.min(left, Math.min(cap, random.pick(SIZES)));
    left -= size;
    const country = random.pick(HOME_COUNTRIES);
    const domain = `co${k}.example`;
    const company: Company = { host: `co${k}.day.bitrix24.local`, domain, country, officeIp: addresses.address(country), people: [], integrations: [] };
    for (let id = 1; id <= size; id++) {
      const first = random.pick(FIRST);
      const last = random.pick(LAST);
      const homeCountry = random.chance(0.9) ? country : random.pick(HOME_COUNTRIES);
      const person: Person = {
        portal: company,
        id,
        login: `${first}.${last}.${id}@${domain}`,
        name: `${first} ${last}`,
        password: strongPassword(random),
        ...(random.chance(0.2) ? { otp: String(random.int(100000, 999999)) } : {}),
        admin: id === 1 || random.chance(0.03),
        owner: id === 1,
        country: homeCountry,
        homeIp: addresses.address(homeCountry),
        atOffice: homeCountry === country && size >= 6 && random.chance(0.75),
        laptop: { label: 'laptop', ua: random.pick(DESKTOP_UAS), jar: new Map() },
        ...(random.chance(0.65) ? { phone: { label: 'phone', ua: random.pick(MOBILE_UAS), jar: new Map() } } : {}),
      };
      company.people.push(person);
      people.push(person);
    }
    // Integrations: a webhook of the admin on every portal, an OAuth app on the bigger ones. A quarter
    // call from a cloud's pool of egress addresses (one server address otherwise).
    const egress = (): string[] => (random.chance(0.25) ? addresses.network(random.pick(['US', 'DE', 'NL', 'IE']), random.int(4, 8)) : [addresses.address(company.country)]);
    company.integrations.push({ kind: 'webhook', portal: company, userId: 1, code: `wh${random.token(14)}`, ips: egress(), everyMs: random.int(4, 15) * MINUTE });
    if (size >= 15) {
      company.integrations.push({
        kind: 'app',
        portal: company,
        userId: 1,
        clientId: `local.${random.token(16, '0123456789abcdef')}.${random.token(8, '0123456789')}`,
        clientSecret: random.token(40),
        accessToken: random.token(48),
        refreshToken: random.token(48),
        ips: egress(),
        everyMs: random.int(5, 20) * MINUTE,
      });
    }
    integrations.push(...company.integrations);
    companies.push(company);
  }
  return { companies, people, integrations, addresses, carriers };
}

/** The simulator's seed for this population (the gateway never sees it: passwords stay with the portal). */
export function simulatorSeed(pop: Population): { portals: unknown[] } {
  return {
    portals: pop.companies.map((c) => ({
      host: c.host,
      users: c.people.map((p) => ({
        id: p.id,
        login: p.login,
        email: p.login,
        name: p.name,
        password: p.password,
        admin: p.admin,
        owner: p.owner,
        ...(p.otp ? { otp: p.otp } : {}),
      })),
      webhooks: c.integrations.filter((i) => i.kind === 'webhook').map((i) => ({ user_id: i.userId, code: i.code })),
      apps: c.integrations
        .filter((i) => i.kind === 'app')
        .map((i) => ({ client_id: i.clientId, client_secret: i.clientSecret, user_id: i.userId, access_token: i.accessToken, refresh_token: i.refreshToken })),
    })),
  };
}
