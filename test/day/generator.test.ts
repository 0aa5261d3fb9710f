/**
 * The day's generator itself: one seed names one population, people's addresses are in their own
 * country (the generator never fakes impossible travel), and the report attributes what the gateway
 * did to the right side (ordinary traffic or an attack).
 */
import geoip from 'geoip-lite';
import { parseDayArgs } from '../../bench/day/day';
import { buildPopulation, type Population } from '../../bench/day/population';
import { Random } from '../../bench/day/random';
import { buildReport, type AuditEvent, type RequestLine } from '../../bench/day/report';
import { Tally } from '../../bench/day/tally';
import { UsageError } from '../../bench/run-main';

const shape = (pop: Population) => pop.people.map((p) => [p.portal.host, p.login, p.password, p.otp ?? '', p.homeIp, p.atOffice ? p.portal.officeIp : '']);

let pop: Population;
beforeAll(() => {
  pop = buildPopulation(new Random(7), 120);
});

test('one seed, one population; another seed, another', () => {
  expect(shape(buildPopulation(new Random(7), 120))).toEqual(shape(pop));
  expect(shape(buildPopulation(new Random(8), 120))).not.toEqual(shape(pop));
  expect(pop.people).toHaveLength(120);
  expect(pop.companies.length).toBeGreaterThanOrEqual(5);
});

test("every person's home, office and carrier addresses are public and in their own country", () => {
  for (const p of pop.people) {
    expect(geoip.lookup(p.homeIp)?.country).toBe(p.country);
    if (p.atOffice) expect(geoip.lookup(p.portal.officeIp)?.country).toBe(p.country);
    for (const ip of pop.carriers.get(p.country)!) expect(geoip.lookup(ip)?.country).toBe(p.country);
  }
});

describe('the report', () => {
  const line = (l: Partial<RequestLine>): RequestLine => ({ ip: '192.0.2.1', portal: '', kind: 'login', status: 200, answer: 'forwarded', ...l });

  test('an office blocked, a person blocked and the REST block it caused are ordinary costs; the attack is caught at its 11th request', () => {
    const company = pop.companies.find((c) => c.people.some((p) => p.atOffice))!;
    const person = company.people.find((p) => p.atOffice)!;
    const tally = new Tally();
    const attack = tally.attack('brute-force', company.host);
    attack.ips.add('203.0.113.9');
    const other = company.people.find((p) => p !== person)!;
    attack.targets.add(other.login);
    tally.person(person).rightAttempts = 2;
    tally.person(person).rightRefused = 1;
    const lines = [
      ...Array.from({ length: 10 }, () => line({ ip: '203.0.113.9', portal: company.host, login: other.login, action: 'none' })),
      line({ ip: '203.0.113.9', portal: company.host, login: other.login, action: 'block_user', rules: ['r'] }),
      line({ ip: company.officeIp, portal: company.host, login: person.login, action: 'block_ip', rules: ['spray-from-ip'] }),
    ];
    const audit: AuditEvent[] = [
      { at: '2026-01-01T10:00:00.000Z', portal: company.host, type: 'user_blocked', user: person.login, actor: 'rule:success-after-burst' },
      { at: '2026-01-01T10:00:00.002Z', portal: company.host, type: 'rest_blocked', actor: 'rule:success-after-burst' },
      { at: '2026-01-01T11:00:00.000Z', portal: company.host, type: 'user_blocked', user: other.login, actor: 'rule:r' },
    ];
    const r = buildReport({ seed: 7, timeScale: 1, window: 'w', pop, tally, lines, audit, lateness: { maxMs: 0, totalMs: 0, count: 0 } });
    expect(r.ordinary.refusedAtRightPassword).toBe(1);
    expect(r.ordinary.blockedBy).toEqual({ 'rule:success-after-burst': 1 });
    expect(r.ordinary.portalRestBlocksByOrdinary).toBe(1);
    expect(r.ordinary.addressesBlocked).toEqual([{ ip: company.officeIp, kind: 'office NAT', people: company.people.filter((p) => p.atOffice).length }]);
    expect(r.attacks[0]).toMatchObject({ caught: true, caughtAt: 11, victimsBlocked: 1, targets: 1 });
    expect(r.invariants.filter((i) => !i.ok).map((i) => i.name)).toEqual([
      'ordinary users refused at their right password',
      'ordinary users blocked by their own traffic',
      'portal REST blocks caused by ordinary traffic',
    ]);
  });
});

describe('npm run bench -- --scenario day: options', () => {
  test('defaults: a whole day of 2000 people at time scale 320; --quick: 500 people from 08:00 for 2 h', () => {
    expect(parseDayArgs(['--scenario', 'day'])).toEqual({ seed: 1, users: 2000, hours: 24, startHour: 0, timeScale: 320, reportOnly: false, json: false });
    expect(parseDayArgs(['--scenario', 'day', '--quick'])).toMatchObject({ users: 500, hours: 2, startHour: 8 });
    expect(parseDayArgs(['--scenario=day', '--seed', '9', '--hours', '6', '--start-hour', '7', '--time-scale', '240', '--report-only'])).toMatchObject({ seed: 9, hours: 6, startHour: 7, timeScale: 240, reportOnly: true });
  });

  test.each([
    [['--users', '5'], /--users must be a number in 30\.\.100000/],
    [['--hours', '25'], /--hours must be a number in 0\.25\.\.24/],
    [['--hours', '6', '--start-hour', '20'], /--start-hour must be a number in 0\.\.18/],
    [['--time-scale', '0.5'], /--time-scale must be a number in 1\.\./],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseDayArgs(['--scenario', 'day', ...args])).toThrow(UsageError);
    expect(() => parseDayArgs(['--scenario', 'day', ...args])).toThrow(message);
  });
});
