/**
 * Real processes for tests (and for the bench): the portal simulator, the gateway, a bare proxy, a
 * real `redis-server`. Every process started here is entered in one registry, so that a test file
 * ends with
 *
 *     afterAll(stopAll);
 *
 * and nothing outlives it, whatever failed. What is still registered when this Node process exits
 * (a file that forgot stopAll, a crash) is SIGKILLed or removed by an exit hook, as a last resort.
 *
 * Why each piece is the way it is:
 * - Ports come from `freePort()` (bind to port 0, read the port, close). The port is known before the
 *   child starts, so a Redis can be restarted on the same port and a gateway given its upstream.
 * - Readiness is polled (an HTTP GET until it answers 2xx, or a custom check), never guessed from a
 *   log line, and a child that dies before it is ready fails at once with its own output.
 * - Output is kept in a bounded buffer (the last 64 KiB by default), so a gateway that logs a line
 *   per request can run a load test without the test process growing; `output()` goes into failure
 *   messages.
 *
 * This module uses no jest global, so the bench (compiled by `tsconfig.build.json`) can use it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, readSync, rmSync, existsSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------------
// Paths

/** The repository root: the nearest folder above this file whose package.json is Portcullis'. */
export const REPO_ROOT: string = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown }).name === 'portcullis') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`processes: no Portcullis package.json above ${start}`);
    dir = parent;
  }
}

/** The CLI entry point; it runs the compiled code in dist/, so `npm run build` must have run. */
export const CLI_PATH: string = path.join(REPO_ROOT, 'bin', 'portcullis.js');

/** A fresh temporary folder, removed by `stopAll()`. */
export function tempDir(prefix = 'portcullis-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  register({ name: `tempdir ${dir}`, dispose: async () => remove(), atExit: remove });
  return dir;
}

// ---------------------------------------------------------------------------------------------------
// Ports and readiness

/** A TCP port that was free a moment ago on `host` (default 127.0.0.1). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}

/** One GET; resolves with the status, or null when nothing answered. Never throws. */
export function probeHttp(url: string, timeoutMs = 1000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? null));
      res.once('error', () => resolve(null));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(null));
  });
}

/** Resolves true when a TCP connection to host:port is accepted within timeoutMs. */
export function probeTcp(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Sends one inline Redis command and resolves with the first reply line (e.g. "+PONG"), or null. */
export function redisCommand(port: number, command: string, host = '127.0.0.1', timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buffered = '';
    const done = (reply: string | null): void => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\r\n');
      if (end >= 0) done(buffered.slice(0, end));
    });
    socket.once('error', () => done(null));
    socket.once('end', () => done(buffered.length > 0 ? buffered : null));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------
// The registry: everything started here, stopped by stopAll()

interface Disposable {
  readonly name: string;
  dispose(): Promise<void>;
  /** Synchronous last resort when this process exits without stopAll(): SIGKILL, or remove a folder. */
  atExit?(): void;
}

const registry = new Set<Disposable>();
let exitHookInstalled = false;

function register(item: Disposable): void {
  registry.add(item);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous: SIGKILL whatever is left, so that no child outlives a
    // crashed run, then remove the folders (newest first, as stopAll does).
    process.once('exit', () => {
      for (const entry of [...registry].reverse()) {
        try {
          entry.atExit?.();
        } catch {
          // best effort: the process is exiting
        }
      }
    });
  }
}

/**
 * Stops every process started through this module (SIGTERM, then SIGKILL after a grace period) and
 * removes its temporary folders, newest first (a gateway before the simulator and Redis it uses).
 * Safe to call more than once. Use it as `afterAll(stopAll)`.
 */
export async function stopAll(): Promise<void> {
  const items = [...registry].reverse();
  registry.clear();
  const failures: string[] = [];
  for (const item of items) {
    try {
      await item.dispose();
    } catch (err) {
      failures.push(`${item.name}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`stopAll: ${failures.join('; ')}`);
}

/** How many processes and folders are still registered (for tests of this module and leak checks). */
export function liveCount(): number {
  return registry.size;
}

// ---------------------------------------------------------------------------------------------------
// Bounded output buffer

class OutputBuffer {
  private chunks: string[] = [];
  private length = 0;
  private dropped = 0;
  constructor(private readonly limitBytes: number) {}

  push(text: string): void {
    this.chunks.push(text);
    this.length += text.length;
    while (this.length > this.limitBytes && this.chunks.length > 1) {
      const first = this.chunks.shift() as string;
      this.length -= first.length;
      this.dropped += first.length;
    }
    if (this.length > this.limitBytes) {
      // One chunk larger than the limit: keep its tail.
      const only = this.chunks[0] as string;
      const cut = only.length - this.limitBytes;
      this.chunks[0] = only.slice(cut);
      this.length -= cut;
      this.dropped += cut;
    }
  }

  text(): string {
    const body = this.chunks.join('');
    return this.dropped > 0 ? `[… ${this.dropped} earlier characters dropped …]\n${body}` : body;
  }
}

// ---------------------------------------------------------------------------------------------------
// spawnProcess

export interface SpawnOptions {
  /** Shown in errors and in output(): "gateway", "sim", "redis". */
  readonly name: string;
  /** The program; default: this Node binary (process.execPath), so children run on the same Node. */
  readonly cmd?: string;
  readonly args?: readonly string[];
  /**
   * Added to the inherited environment. A value of `undefined` removes the variable. Variables named
   * PORTCULLIS_* and REDIS_URL are never inherited from the test's own environment, only set here.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Polled with GET until it answers 2xx. */
  readonly readyUrl?: string;
  /** Or any check: polled until it resolves true. Both may be given. */
  readonly readyCheck?: () => Promise<boolean>;
  /** How long to wait for readiness (default 20 s). */
  readonly timeoutMs?: number;
  /** Interval between readiness polls (default 50 ms). */
  readonly pollIntervalMs?: number;
  /** Where stdout goes: kept in the bounded buffer (default), dropped, or written to a file. */
  readonly stdout?: 'capture' | 'ignore' | { readonly file: string };
  /** Size of the bounded output buffer, in characters (default 64 KiB). */
  readonly outputLimitChars?: number;
  /** How long stop() waits after its signal before SIGKILL (default 5 s). */
  readonly stopGraceMs?: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The readyUrl's origin, when a readyUrl was given (e.g. "http://127.0.0.1:41234"). */
  readonly url: string | undefined;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** True until the process has exited. */
  isRunning(): boolean;
  /** Sends `signal` (default SIGTERM), waits for exit, SIGKILLs after the grace period. Idempotent. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>;
  /** SIGKILL and wait for exit: a crash, as far as the others can tell. */
  kill(): Promise<ExitInfo>;
  /** The last part of stdout and stderr, interleaved as they arrived (plus the stdout file's tail). */
  output(): string;
  /** Resolves with the first output match of `pattern` (searched in the bounded buffer). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

const INHERIT_NEVER = /^(PORTCULLIS_|REDIS_URL$)/;

function childEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!INHERIT_NEVER.test(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** The last maxChars of a file (read from its end, so a large log costs nothing), or "". */
function tailOfFile(file: string, maxChars: number): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, maxChars);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    return size > length ? `[… stdout file ${file}, last ${length} of ${size} bytes …]\n${text}` : text;
  } catch {
    return '';
  }
}

/**
 * Starts a process, waits until it is ready, and registers it for stopAll(). Rejects (after killing
 * it) when it exits early or is not ready within timeoutMs; the error message carries its output.
 */
export async function spawnProcess(options: SpawnOptions): Promise<ManagedProcess> {
  const {
    name,
    cmd = process.execPath,
    args = [],
    timeoutMs = 20_000,
    pollIntervalMs = 50,
    stdout = 'capture',
    outputLimitChars = 64 * 1024,
    stopGraceMs = 5_000,
  } = options;

  const buffer = new OutputBuffer(outputLimitChars);
  let stdoutFd: number | null = null;
  let stdoutSpec: 'pipe' | 'ignore' | number = 'pipe';
  if (stdout === 'ignore') stdoutSpec = 'ignore';
  else if (typeof stdout === 'object') {
    mkdirSync(path.dirname(stdout.file), { recursive: true });
    stdoutFd = openSync(stdout.file, 'a');
    stdoutSpec = stdoutFd;
  }

  const child = spawn(cmd, [...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', stdoutSpec, 'pipe'],
  });
  if (stdoutFd !== null) closeSync(stdoutFd); // the child holds its own copy

  let exitInfo: ExitInfo | null = null;
  let spawnError: Error | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (err) => {
      // e.g. ENOENT: the program does not exist. 'exit' may never come.
      spawnError = err;
      buffer.push(`[spawn error] ${err.message}\n`);
      if (exitInfo === null) {
        exitInfo = { code: null, signal: null };
        resolve(exitInfo);
      }
    });
    child.once('exit', (code, signal) => {
      registry.delete(entry); // nothing left to stop; keeps long test files from accumulating entries
      if (exitInfo !== null) return;
      const info: ExitInfo = { code, signal };
      exitInfo = info;
      // Resolve once its pipes are drained ('close'), so that output() then holds its last lines; but
      // not later than a second after, should a grandchild still hold them open.
      const drained = setTimeout(() => resolve(info), 1000);
      child.once('close', () => {
        clearTimeout(drained);
        resolve(info);
      });
    });
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => buffer.push(text));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => buffer.push(text));

  const output = (): string => {
    const captured = buffer.text();
    return typeof stdout === 'object' ? `${tailOfFile(stdout.file, outputLimitChars)}${captured}` : captured;
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs: number = stopGraceMs): Promise<ExitInfo> => {
    if (exitInfo !== null) return exitInfo;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const escalate = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (exitInfo === null) child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    const info = await Promise.race([exited, escalate.then(() => exited)]);
    clearTimeout(timer);
    return info;
  };

  const entry: Disposable = {
    name,
    dispose: async () => {
      await stop();
    },
    atExit: () => {
      if (exitInfo === null) child.kill('SIGKILL');
    },
  };
  register(entry);

  const url = options.readyUrl !== undefined ? new URL(options.readyUrl).origin : undefined;
  const managed: ManagedProcess = {
    name,
    pid: child.pid ?? -1,
    url,
    child,
    exited,
    isRunning: () => exitInfo === null,
    stop,
    kill: () => stop('SIGKILL', 0),
    output,
    waitForOutput: async (pattern: RegExp, waitMs = 10_000): Promise<RegExpMatchArray> => {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const match = output().match(pattern);
        if (match) return match;
        if (Date.now() > deadline) throw new Error(`${name}: no output matching ${pattern} within ${waitMs} ms\n--- output ---\n${output()}`);
        await sleep(pollIntervalMs);
      }
    },
  };

  // Wait for readiness, failing fast when the child dies first.
  const started = Date.now();
  for (;;) {
    if (exitInfo !== null || spawnError !== null) {
      registry.delete(entry);
      const info = exitInfo as ExitInfo | null;
      throw new Error(
        `${name} exited before it was ready (code ${info?.code ?? 'none'}, signal ${info?.signal ?? 'none'}): ${cmd} ${args.join(' ')}\n--- output ---\n${output()}`,
      );
    }
    const readyByUrl = options.readyUrl === undefined || (await probeHttp(options.readyUrl, 1000).then((s) => s !== null && s >= 200 && s < 300));
    const readyByCheck = readyByUrl && (options.readyCheck === undefined || (await options.readyCheck().catch(() => false)));
    if (readyByUrl && readyByCheck && exitInfo === null) return managed;
    if (Date.now() - started > timeoutMs) {
      await stop('SIGKILL', 0);
      registry.delete(entry);
      throw new Error(`${name} was not ready within ${timeoutMs} ms (${options.readyUrl ?? 'custom check'})\n--- output ---\n${output()}`);
    }
    await sleep(pollIntervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// The portal simulator and the gateway, through the CLI

export interface SimOptions {
  /** Seed file (`--seed`); default: the bundled portal-sim/seed.yaml. */
  readonly seedFile?: string;
  /** `--hash-cost-ms`: simulated password-hash time; 0 for load tests. */
  readonly hashCostMs?: number;
  /** `--no-rest-limit`: switch off the portal's own REST leaky bucket. */
  readonly noRestLimit?: boolean;
  readonly port?: number;
  readonly extraArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
  readonly stdout?: SpawnOptions['stdout'];
}

export interface SimProcess extends ManagedProcess {
  readonly url: string;
  readonly port: number;
}

/** `portcullis portal --listen 127.0.0.1:PORT …`, ready when GET /__sim/healthz answers 200. */
export async function startSimProcess(options: SimOptions = {}): Promise<SimProcess> {
  const port = options.port ?? (await freePort());
  const args = [CLI_PATH, 'portal', '--listen', `127.0.0.1:${port}`];
  if (options.seedFile !== undefined) args.push('--seed', options.seedFile);
  if (options.hashCostMs !== undefined) args.push('--hash-cost-ms', String(options.hashCostMs));
  if (options.noRestLimit === true) args.push('--no-rest-limit');
  args.push(...(options.extraArgs ?? []));
  const proc = await spawnProcess({
    name: `sim:${port}`,
    args,
    env: options.env ?? {},
    readyUrl: `http://127.0.0.1:${port}/__sim/healthz`,
    timeoutMs: options.timeoutMs ?? 20_000,
    stdout: options.stdout ?? 'capture',
  });
  return Object.assign(proc, { url: `http://127.0.0.1:${port}`, port });
}

export interface GatewayOptions {
  /** The portal's URL (PORTCULLIS_UPSTREAM), e.g. a SimProcess's url. */
  readonly upstream: string;
  readonly port?: number;
  readonly adminPort?: number;
  /** PORTCULLIS_SECRET; default a fixed 32-character test secret. */
  readonly secret?: string;
  /** PORTCULLIS_POLICIES; default the repository's policies/. */
  readonly policiesDir?: string;
  /** PORTCULLIS_STATE_DIR; default a fresh temporary folder (removed by stopAll). */
  readonly stateDir?: string;
  /** REDIS_URL; default none (the embedded memory store). */
  readonly redisUrl?: string;
  /** PORTCULLIS_LOG_LEVEL; default info. */
  readonly logLevel?: string;
  /** Any further variables (PORTCULLIS_TRUSTED_PROXIES, PORTCULLIS_ADMIN_TOKEN, …). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly extraArgs?: readonly string[];
  readonly timeoutMs?: number;
  /**
   * The gateway logs a JSON line per request: under load, prefer 'ignore' or a file. Its log is written
   * asynchronously in blocks of a few KiB, so a single request's line may appear only later, and every
   * line is there once stop() has resolved (the gateway flushes on SIGTERM).
   */
  readonly stdout?: SpawnOptions['stdout'];
}

export interface GatewayProcess extends ManagedProcess {
  readonly url: string;
  readonly port: number;
  readonly adminUrl: string;
  readonly adminPort: number;
  readonly stateDir: string;
}

export const TEST_SECRET = 'portcullis-test-secret-0123456789';

/** `portcullis serve` with its configuration in the environment; ready when admin /healthz answers 200. */
export async function startGatewayProcess(options: GatewayOptions): Promise<GatewayProcess> {
  const port = options.port ?? (await freePort());
  const adminPort = options.adminPort ?? (await freePort());
  const stateDir = options.stateDir ?? tempDir('portcullis-state-');
  const env: Record<string, string | undefined> = {
    PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
    PORTCULLIS_UPSTREAM: options.upstream,
    PORTCULLIS_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    PORTCULLIS_SECRET: options.secret ?? TEST_SECRET,
    PORTCULLIS_LOG_LEVEL: options.logLevel ?? 'info',
    PORTCULLIS_POLICIES: options.policiesDir ?? path.join(REPO_ROOT, 'policies'),
    PORTCULLIS_STATE_DIR: stateDir,
    ...(options.redisUrl !== undefined ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  };
  const proc = await spawnProcess({
    name: `gateway:${port}`,
    args: [CLI_PATH, 'serve', ...(options.extraArgs ?? [])],
    env,
    readyUrl: `http://127.0.0.1:${adminPort}/healthz`,
    timeoutMs: options.timeoutMs ?? 20_000,
    stdout: options.stdout ?? 'capture',
  });
  return Object.assign(proc, {
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    adminPort,
    stateDir,
  });
}

// ---------------------------------------------------------------------------------------------------
// A real Redis, that can be stopped and started again on the same port

export interface RedisOptions {
  /** Keep an append-only file, so data survives stop()/start() (default false: nothing on disk). */
  readonly appendonly?: boolean;
  readonly port?: number;
  /** Default `redis-server` from PATH (`.ci/run` installs it when missing). */
  readonly binary?: string;
  readonly extraArgs?: readonly string[];
  readonly timeoutMs?: number;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** The data folder (the append-only file lives here when appendonly is on). */
  readonly dir: string;
  /** The current process id, or -1 while stopped. */
  pid(): number;
  isRunning(): boolean;
  /** Graceful: SIGTERM (Redis fsyncs its AOF when appendonly is on). */
  stop(): Promise<void>;
  /** Start again on the same port (after stop() or kill()); resolves when it answers PING. */
  start(): Promise<void>;
  /** SIGKILL: an outage as a crash. */
  kill(): Promise<void>;
  output(): string;
}

/** Spawns `redis-server --port <free> --save '' --appendonly no|yes`, ready when it answers PONG. */
export async function startRedisServer(options: RedisOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-redis-'));
  const binary = options.binary ?? 'redis-server';
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', options.appendonly === true ? 'yes' : 'no',
    '--appendfsync', 'always',
    '--dir', dir,
    '--daemonize', 'no',
    '--logfile', '',
    ...(options.extraArgs ?? []),
  ];
  let current: ManagedProcess | null = null;
  let previousOutput = '';

  const start = async (): Promise<void> => {
    if (current?.isRunning()) return;
    if (current !== null) previousOutput += current.output();
    current = await spawnProcess({
      name: `redis:${port}`,
      cmd: binary,
      args,
      cwd: dir,
      readyCheck: async () => (await redisCommand(port, 'PING')) === '+PONG',
      timeoutMs: options.timeoutMs ?? 10_000,
      outputLimitChars: 16 * 1024,
    });
  };

  // The folder outlives each process (restarts keep the AOF) and goes with stopAll().
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  register({ name: `redis dir ${dir}`, dispose: async () => removeDir(), atExit: removeDir });
  try {
    await start();
  } catch (err) {
    const hint = /ENOENT/.test((err as Error).message) ? `\n(${binary} not found: \`.ci/run\` installs it; locally: apt-get install redis-server)` : '';
    throw new Error(`${(err as Error).message}${hint}`);
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => (current?.isRunning() ? current.pid : -1),
    isRunning: () => current?.isRunning() ?? false,
    stop: async () => {
      await current?.stop('SIGTERM');
    },
    start,
    kill: async () => {
      await current?.kill();
    },
    output: () => previousOutput + (current?.output() ?? ''),
  };
}

/**
 * A redis-server in sentinel mode watching one master as `pcmaster` (quorum 1, on loopback), ready
 * when it answers PONG. Returns its port.
 */
export async function startSentinel(masterPort: number, options: { downAfterMs: number; failoverTimeoutMs?: number }): Promise<number> {
  const port = await freePort();
  const dir = tempDir('pc-sentinel-');
  const conf = path.join(dir, 'sentinel.conf');
  const lines = [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor pcmaster 127.0.0.1 ${masterPort} 1`, `sentinel down-after-milliseconds pcmaster ${options.downAfterMs}`];
  if (options.failoverTimeoutMs !== undefined) lines.push(`sentinel failover-timeout pcmaster ${options.failoverTimeoutMs}`);
  writeFileSync(conf, `${lines.join('\n')}\n`);
  await spawnProcess({
    name: `sentinel:${port}`,
    cmd: 'redis-server',
    args: [conf, '--sentinel'],
    cwd: dir,
    readyCheck: async () => (await redisCommand(port, 'PING')) === '+PONG',
    timeoutMs: 10_000,
  });
  return port;
}
