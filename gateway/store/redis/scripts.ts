/**
 * The Lua scripts of the Redis store live in .lua files beside this module. `tsc` does not copy them
 * to dist/, so they are read from the sources whether this runs from gateway/store/redis/ or from
 * dist/gateway/store/redis/ (as the CLI finds the simulator's seed). Read once at start; ioredis sends
 * each by EVALSHA and loads it on the first NOSCRIPT, so a restarted Redis needs nothing from us.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PortcullisError } from '../../lib/errors';

/** The folder of the .lua files: this folder from sources; the matching source folder from dist/. */
export function luaDir(): string {
  const fromDist = path.resolve(__dirname, '../../../../gateway/store/redis');
  if (existsSync(path.join(__dirname, 'counters.lua'))) return __dirname;
  return fromDist;
}

export function readLua(name: string): string {
  const file = path.join(luaDir(), name);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new PortcullisError('PC_ERR_STORE_SCRIPT', `cannot read the Lua script ${file}: ${(err as Error).message}`, { file });
  }
}
