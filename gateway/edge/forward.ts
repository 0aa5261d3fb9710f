/**
 * Forwarding to the portal with undici: one keep-alive pool per upstream origin, the portal's answer
 * streamed straight into the client's response (no buffering). An `observe` hook sees the answer head
 * first and may replace it, in which case the portal's body is drained and discarded.
 */
import type { ServerResponse } from 'node:http';
import { Writable, type Readable } from 'node:stream';
import { Pool } from 'undici';
import type { EdgeLimits } from '../config/types';
import type { ErrorCode } from '../lib/errors';
import type { UpstreamHead } from '../pipeline/context';
import { clientResponseHeaders } from './forward-headers';

export interface ForwardRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable | Buffer | null;
}

export type ForwardOutcome =
  | { readonly ok: true; readonly upstream: UpstreamHead; readonly replaced: boolean }
  | { readonly ok: false; readonly code: ErrorCode; readonly upstream: UpstreamHead | undefined };

/** Called with the portal's answer head; returning true means "I answered the client myself, discard the body". */
export type OnUpstreamHead = (head: UpstreamHead) => boolean;

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

  /** Streams the portal's answer into `res`. Never throws: failures come back as a value. */
  forward(req: ForwardRequest, res: ServerResponse, onHead: OnUpstreamHead): Promise<ForwardOutcome> {
    let head: UpstreamHead | undefined;
    let replaced = false;
    return this.pool
      .stream(
        { method: req.method as never, path: req.path, headers: req.headers, body: req.body },
        ({ statusCode, headers }) => {
          head = { status: statusCode, headers: headers as Record<string, string | string[] | undefined> };
          if (onHead(head)) {
            replaced = true;
            return discard();
          }
          res.writeHead(statusCode, clientResponseHeaders(head.headers));
          return res;
        },
      )
      .then(
        (): ForwardOutcome => ({ ok: true, upstream: head!, replaced }),
        (err: unknown): ForwardOutcome => ({ ok: false, code: upstreamErrorCode(err), upstream: head }),
      );
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}

function upstreamErrorCode(err: unknown): ErrorCode {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return 'PC_ERR_UPSTREAM_TIMEOUT';
  }
  return 'PC_ERR_UPSTREAM_UNAVAILABLE';
}
