/**
 * The gateway never imports the portal simulator: it is a development and demo tool that lives apart
 * (portal-sim/). The `portal` and `demo` commands load it at run time by path, through this small
 * structural contract, so that the data plane's module graph can never pull it in.
 */
import path from 'node:path';
import type { Clock } from '../lib/clock';

export interface SimUser {
  readonly id: number;
  readonly login: string;
  readonly password: string;
  readonly email?: string;
  readonly name?: string;
  readonly admin?: boolean;
  readonly owner?: boolean;
  readonly active?: boolean;
  readonly otp?: string;
  readonly mobile?: string;
  readonly work_phone?: string;
}
export interface SimPortal {
  readonly host: string;
  readonly users: readonly SimUser[];
  readonly webhooks?: readonly { readonly user_id: number; readonly code: string }[];
  readonly aliases?: readonly string[];
}
export interface SimSeed {
  readonly portals: readonly SimPortal[];
}
export interface RunningSim {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}
export interface SimulatorModule {
  startPortalSim(opts: {
    host?: string;
    port?: number;
    seedFile?: string;
    hashCostMs?: number;
    restLimit?: { burst: number; drainPerSecond: number } | false;
    record?: boolean;
    /** Token expiry, the REST bucket and the REST `time` block run on it (a scaled clock in simulations). */
    clock?: Clock;
  }): Promise<RunningSim>;
  loadSeed(file: string): SimSeed;
}

/** dist/gateway/cli/simulator-module.js → dist/portal-sim/server.js (and the same from sources). */
export function loadSimulator(): SimulatorModule {
  const file = path.resolve(__dirname, '../../portal-sim/server');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as SimulatorModule;
}

/** The simulator's bundled seed (the build copies it into dist/ beside the simulator). */
export function bundledSeedFile(): string {
  return path.resolve(__dirname, '../../portal-sim/seed.yaml');
}
