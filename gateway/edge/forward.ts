/**
 * Forwarding to the portal with undici: one keep-alive pool per upstream origin, driven through its
 * raw `dispatch` handler. The portal's answer is pumped straight into the client's response, headers
 * as a flat raw array (no header object is built unless an observe stage needs one), body chunks with
 * backpressure. An `onHead` hook sees the answer head first and may answer the client itself, in which
 * case the portal's body is drained and discarded.
 *
 * Why not `pool.stream`: in a profile of the REST path, its promise, async-resource and
 * `finished()` bookkeeping, and the parsed header objects, cost more than the rest of our stages.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { EdgeLimits } from '../config/types';
import type { ErrorCode } from '../lib/errors';
import type { UpstreamHead } from '../pipeline/context';
import { HOP_BY_HOP } from './forward-headers';

export interface ForwardRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable | Buffer | null;
}

/** The portal's whole answer, held back from the client (buffer mode), headers end-to-end only. */
export interface BufferedAnswer {
  readonly status: number;
  /** Flat [name, value, …] as the portal sent them, hop-by-hop headers removed. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export type ForwardOutcome =
  | { readonly ok: true; readonly status: number; readonly replaced: boolean; readonly buffered?: BufferedAnswer }
  | { readonly ok: false; readonly code: ErrorCode; readonly headersSent: boolean };

/**
 * What to do with the portal's answer, decided on its head:
 * - `stream`: pump it to the client as it comes (the default; REST and everything else);
 * - `replace`: the hook answered the client itself; the portal's body is drained and discarded;
 * - `buffer`: hold the whole answer back (up to `maxBytes`) and hand it to `done`, which writes the
 *   client's answer (logins: the outcome is read from the body before the client sees anything).
 *   An answer over `maxBytes` falls back to streaming, and `done` gets no `buffered`.
 */
export type HeadDecision = 'stream' | 'replace' | { readonly bufferUpTo: number };

/** Called with the portal's answer head; `headers` is built on demand only. */
export type OnUpstreamHead = (status: number, headers: () => UpstreamHead['headers']) => HeadDecision;

export class Upstream {
  readonly origin: string;
  private readonly pool: Pool;

  constructor(url: string, limits: EdgeLimits) {
    this.origin = new URL(url).origin;
    this.pool = new Pool(this.origin, {
      connections: limits.upstreamConnections,
      keepAliveTimeout: 30_000,
      headersTimeout: limits.upstreamHeadersTimeoutMs,
      bodyTimeout: limits.upstreamBodyTimeoutMs,
      pipelining: 1,
    });
  }

  /**
   * Streams the portal's answer into `res` and calls `done` exactly once. Never throws: failures come
   * back as a value. If the client goes away first, the upstream request is aborted.
   */
  forward(req: ForwardRequest, res: ServerResponse, onHead: OnUpstreamHead, done: (outcome: ForwardOutcome) => void): void {
    const pump = new ResponsePump(res, onHead, done);
    this.pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.path, headers: req.headers, body: req.body }, pump);
  }

  /**
   * One request whose whole answer is wanted (a decoy asked for after a swallowed success, the logout
   * of a swallowed session). Rejects on failure; callers decide what that means.
   */
  async fetch(req: ForwardRequest, maxBytes = 1024 * 1024): Promise<BufferedAnswer> {
    const res = await this.pool.request({ method: req.method as Dispatcher.HttpMethod, path: req.path, headers: req.headers, body: req.body });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new Error('answer too large');
      }
      chunks.push(chunk as Buffer);
    }
    const raw: Buffer[] = [];
    for (const [name, value] of Object.entries(res.headers)) {
      for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) raw.push(Buffer.from(name, 'latin1'), Buffer.from(String(v), 'latin1'));
    }
    return { status: res.statusCode, rawHeaders: endToEndRaw(raw), body: Buffer.concat(chunks, size) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** undici's legacy handler interface, the one its HTTP/1 client calls directly with raw headers. */
class ResponsePump implements Dispatcher.DispatchHandler {
  private abortUpstream: ((err?: Error) => void) | undefined;
  private status = 0;
  private replaced = false;
  private finished = false;
  private resume: (() => void) | undefined;
  /** Buffer mode: the held answer, until complete or over the cap. */
  private held: { rawHeaders: string[]; chunks: Buffer[]; size: number; cap: number } | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly onHead: OnUpstreamHead,
    private readonly done: (outcome: ForwardOutcome) => void,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.res.destroyed) abort(new Error('client gone'));
    else this.res.once('close', this.onClientClose);
  }

  private readonly onClientClose = (): void => {
    if (!this.finished) this.abortUpstream?.(new Error('client gone'));
  };

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: Node answers 100-continue to the client itself
    this.status = statusCode;
    this.resume = resume;
    const decision = this.onHead(statusCode, () => headersObject(rawHeaders));
    if (decision === 'replace') {
      this.replaced = true;
      return true;
    }
    if (decision !== 'stream') {
      this.held = { rawHeaders: endToEndRaw(rawHeaders), chunks: [], size: 0, cap: decision.bufferUpTo };
      return true;
    }
    this.res.writeHead(statusCode, endToEndRaw(rawHeaders));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.replaced) return true;
    const held = this.held;
    if (held) {
      held.chunks.push(chunk);
      held.size += chunk.length;
      if (held.size <= held.cap) return true;
      // Too big to hold: give up buffering, send what we have and stream the rest.
      this.held = undefined;
      this.res.writeHead(this.status, held.rawHeaders);
      for (const c of held.chunks.slice(0, -1)) this.res.write(c);
    }
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resume!);
    return false;
  }

  onComplete(): void {
    this.finish();
    const held = this.held;
    if (held) {
      const body = held.chunks.length === 1 ? held.chunks[0]! : Buffer.concat(held.chunks, held.size);
      this.done({ ok: true, status: this.status, replaced: false, buffered: { status: this.status, rawHeaders: held.rawHeaders, body } });
      return;
    }
    if (!this.replaced) this.res.end();
    this.done({ ok: true, status: this.status, replaced: this.replaced });
  }

  onError(err: Error): void {
    this.finish();
    this.done({ ok: false, code: upstreamErrorCode(err), headersSent: this.res.headersSent });
  }

  private finish(): void {
    this.finished = true;
    this.res.off('close', this.onClientClose);
  }
}

/** The portal's headers as a flat [name, value, …] list for writeHead, hop-by-hop ones removed. */
function endToEndRaw(raw: Buffer[]): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.length <= 17 ? name.toLowerCase() : name; // every hop-by-hop name is short
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') named = connectionTokens(raw[i + 1]!.toString('latin1'), named);
      continue;
    }
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  if (!named) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) if (!named.has(out[i]!.toLowerCase())) kept.push(out[i]!, out[i + 1]!);
  return kept;
}

function connectionTokens(value: string, into: Set<string> | undefined): Set<string> | undefined {
  for (const t of value.split(',')) {
    const token = t.trim().toLowerCase();
    if (token && token !== 'close' && token !== 'keep-alive') (into ??= new Set()).add(token);
  }
  return into;
}

/** Parsed headers for observe stages: lower-case names, repeated ones as arrays. */
function headersObject(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function upstreamErrorCode(err: unknown): ErrorCode {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return 'PC_ERR_UPSTREAM_TIMEOUT';
  }
  return 'PC_ERR_UPSTREAM_UNAVAILABLE';
}
