/**
 * PORTCULLIS_TIME_SCALE: the gateway's clock runs `scale` times faster than the wall, for simulations
 * only, and says so at start. Windows are tested elsewhere on a ManualClock; here, that the scaled
 * clock is what the composition root wires in, and that it is never silent.
 */
import { ScaledClock, clockForScale, systemClock, wallDelayMs } from '../../gateway/lib/clock';
import { startGatewayProcess, startSimProcess, stopAll } from '../helpers/processes';

afterAll(() => stopAll());

test('scale 1 is the system clock itself; any other scale is a ScaledClock that never goes back', () => {
  expect(clockForScale(1)).toBe(systemClock);
  const clock = clockForScale(320);
  expect(clock).toBeInstanceOf(ScaledClock);
  let last = clock.now();
  for (let i = 0; i < 1000; i++) {
    const t = clock.now();
    expect(t).toBeGreaterThanOrEqual(last);
    last = t;
  }
});

test('a wall-time timer waits 1/scale of the clock time it stands for', () => {
  expect(wallDelayMs(new ScaledClock(320), 320_000)).toBe(1_000);
  expect(wallDelayMs(systemClock, 320_000)).toBe(320_000);
});

test('a gateway started with PORTCULLIS_TIME_SCALE warns that it is for simulation only; without it, no warning', async () => {
  const sim = await startSimProcess({ hashCostMs: 0 });
  const scaled = await startGatewayProcess({ upstream: sim.url, env: { PORTCULLIS_TIME_SCALE: '320' } });
  await scaled.waitForOutput(/PORTCULLIS_TIME_SCALE is 320.*simulation only/);
  const plain = await startGatewayProcess({ upstream: sim.url });
  await plain.waitForOutput(/gateway listening/);
  expect(plain.output()).not.toMatch(/TIME_SCALE/);
}, 60_000);
