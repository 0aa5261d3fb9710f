/**
 * The real simulator and the real gateway, in this test process, on port 0. Log lines are captured so
 * that tests can read what the gateway wrote (and prove what it never wrote).
 */
import { Writable } from 'node:stream';
import { startGateway, type RunningGateway } from '../../gateway/app';
import { DEFAULT_CONFIG } from '../../gateway/config/defaults';
import type { GatewayConfig } from '../../gateway/config/types';
import { createLoggers, type Loggers } from '../../gateway/observability/log';
import { startPortalSim, type PortalSim, type PortalSimOptions } from '../../portal-sim/server';
import { TEST_SECRET, tempDir } from './processes';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface Stack {
  readonly sim: PortalSim;
  readonly gw: RunningGateway;
  /** Every log line the gateway wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The raw text of every log line, for secret greps. */
  readonly rawLogs: () => string;
  close(): Promise<void>;
}

export type ConfigPatch = Partial<Omit<GatewayConfig, 'limits'>> & { limits?: Partial<GatewayConfig['limits']> };

export function testConfig(upstream: string, patch: ConfigPatch = {}): GatewayConfig {
  return {
    ...DEFAULT_CONFIG,
    listen: { host: '127.0.0.1', port: 0 },
    admin: { ...DEFAULT_CONFIG.admin, listen: { host: '127.0.0.1', port: 0 }, token: ADMIN_TOKEN },
    upstream,
    secret: TEST_SECRET,
    stateDir: tempDir(),
    logLevel: 'info',
    // As a correctly configured deployment in front of the simulator: its other names for localhost.
    portalAliases: { '127.0.0.1': 'localhost', '[::1]': 'localhost' },
    ...patch,
    limits: { ...DEFAULT_CONFIG.limits, ...patch.limits },
  };
}

/** The gateway's own loggers (createLoggers), writing to memory. */
export function captureLoggers(): { loggers: Loggers; logs: Record<string, unknown>[]; raw: string[] } {
  const logs: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        raw.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { loggers: createLoggers({ level: 'info', destination: sink }), logs, raw };
}

export async function startStack(opts: { sim?: PortalSimOptions; config?: ConfigPatch; upstream?: string } = {}): Promise<Stack> {
  const sim = await startPortalSim({ hashCostMs: 0, ...opts.sim });
  const { loggers, logs, raw } = captureLoggers();
  const gw = await startGateway(testConfig(opts.upstream ?? sim.url, opts.config), { loggers });
  return {
    sim,
    gw,
    logs,
    rawLogs: () => raw.join('\n'),
    async close() {
      await gw.close();
      await sim.close();
    },
  };
}

/** Waits until `pred` holds (log lines are written after the response is sent). */
export async function eventually(pred: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
