/**
 * A small seeded day (issue 14, §3) through the real gateway (`portcullis serve` from dist/, the
 * default policies, a trusted ingress) in front of the real simulator: a few hundred people for an
 * hour of the morning, with the five attacks mixed in. It asserts the zero-false-positive invariants
 * and that every attack is caught; never a timing. The figures are printed for the record.
 *
 * The time scale is moderate (1 h in 20 s of wall time) so that a loaded machine keeps the day's
 * density: at a very high scale, a request's latency becomes minutes of simulated time.
 */
import { runDay } from '../../bench/day/day';
import { renderReport, type DayReport } from '../../bench/day/report';
import { stopAll } from '../helpers/processes';

jest.setTimeout(120_000);
afterAll(() => stopAll());

let report: DayReport;

beforeAll(async () => {
  report = await runDay({ seed: 14, users: 300, hours: 1, startHour: 8, timeScale: 180, reportOnly: true, json: false });
  process.stdout.write(`${renderReport(report)}\n`);
});

test('the day was played: people signed in and integrations called', () => {
  expect(report.ordinary.activeUsers).toBeGreaterThan(50);
  expect(report.ordinary.sessions).toBeGreaterThan(50);
  expect(report.ordinary.integrationCalls).toBeGreaterThan(20);
  expect(report.attacks.map((a) => a.kind).sort()).toEqual(['brute-force', 'credential-stuffing', 'leaked-webhook', 'slow-distributed', 'spraying']);
});

test('no ordinary user is refused at the right password or blocked', () => {
  expect({ refused: report.ordinary.refusedAtRightPassword, blocked: report.ordinary.blockedByOwnTraffic, by: report.ordinary.blockedBy }).toEqual({ refused: 0, blocked: 0, by: {} });
});

test("no portal's REST is blocked and no integration cut off by ordinary traffic", () => {
  expect(report.ordinary.portalRestBlocksByOrdinary).toBe(0);
  expect(report.ordinary.integrationsCutOffByOrdinary).toBe(0);
  expect(report.ordinary.addressesBlocked).toEqual([]);
});

test('every attack is caught, and no login attack gets a session', () => {
  expect(report.attacks.filter((a) => !a.caught).map((a) => a.kind)).toEqual([]);
  expect(report.attacks.filter((a) => a.kind !== 'leaked-webhook' && a.attackerSessions > 0).map((a) => a.kind)).toEqual([]);
});

test('brute force against one user is stopped before 20 guesses reach the portal', () => {
  const brute = report.attacks.find((a) => a.kind === 'brute-force')!;
  expect(brute.reachedPortal).toBeLessThan(20);
});
