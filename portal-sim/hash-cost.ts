/**
 * A PHP portal spends most of a login checking the password hash. The simulator spends the same
 * kind of time so that the gateway's timing equivalence is tested against something realistic.
 *
 * Log-normal, mean `meanMs`, standard deviation about 15% of it: positive, right-skewed, as server
 * latencies are. It is the same for existing and unknown users on purpose. A real portal may leak
 * whether a login exists by timing (an unknown login skips the hash); the simulator stays constant
 * so that any difference a test measures through the gateway is the gateway's own.
 */
const RELATIVE_SD = 0.15;

export function hashCostSampleMs(meanMs: number, random: () => number = Math.random): number {
  if (meanMs <= 0) return 0;
  const sigma2 = Math.log(1 + RELATIVE_SD * RELATIVE_SD);
  const mu = Math.log(meanMs) - sigma2 / 2;
  // Box-Muller; 1 - random() keeps the logarithm away from zero.
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const ms = Math.exp(mu + Math.sqrt(sigma2) * z);
  return Math.min(Math.max(ms, meanMs * 0.3), meanMs * 4);
}

/** Waits one simulated password-hash check (wall-clock time: it is what a client measures). */
export function spendHashCost(meanMs: number): Promise<void> {
  const ms = hashCostSampleMs(meanMs);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
