/**
 * Request bodies. Login and password forms are buffered up to a small cap, because the classifier and
 * the sense stage must read their fields before anything reaches the portal. Everything else streams.
 *
 * A form body over the cap is not refused outright: file uploads to portal pages are ordinary. It is
 * streamed to the portal through a sniffer while the last chunk is held back; if the sniffer finds the
 * login handler's trigger (AUTH_FORM) anywhere in it, the upstream request is aborted before it is
 * complete, so the portal never runs a login the gateway could not inspect, and the client gets 413.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** The client went away (or broke its framing) before its body was complete: its fault, not ours. */
export class ClientGone extends Error {
  readonly code = 'PC_ERR_BAD_REQUEST';
  constructor(cause?: Error) {
    super(`the client stopped sending its body${cause ? `: ${cause.message}` : ''}`);
  }
}

export type CappedBody =
  | { readonly complete: true; readonly body: Buffer }
  | { readonly complete: false; readonly prefix: readonly Buffer[] };

/** Reads the body whole if it fits in `maxBytes`; otherwise stops reading and hands back what it has. */
export function readCapped(req: IncomingMessage, maxBytes: number): Promise<CappedBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ complete: false, prefix: [] });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        resolve({ complete: false, prefix: chunks });
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ complete: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new ClientGone(err));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onAborted = (): void => {
      cleanup();
      reject(new ClientGone());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** What the edge needs of a streaming form scanner (the classifier provides one). */
export interface BodySniffer {
  write(chunk: Buffer): void;
  /** True as soon as the chunks written so far carry a login trigger. */
  readonly detected: boolean;
  /** Resolves with whether the body, as PHP would parse it, carries a login trigger. */
  end(): Promise<{ readonly authForm: boolean }>;
}

export class LoginHiddenInBody extends Error {
  readonly code = 'PC_ERR_BODY_TOO_LARGE';
  constructor() {
    super('a login form hidden in a body larger than the buffering cap');
  }
}

/**
 * The body as a stream for the portal: the already-read prefix, then the rest of `req`, every chunk
 * shown to the sniffer, the last one held until the sniffer has seen the end.
 */
export function sniffedBody(prefix: readonly Buffer[], req: IncomingMessage, sniffer: BodySniffer): Readable {
  let held: Buffer | null = null;
  const out = new Readable({
    read() {
      req.resume();
    },
  });
  const take = (chunk: Buffer): void => {
    if (out.destroyed) return; // drained and dropped
    sniffer.write(chunk);
    // Found in the newest chunk, which is still held: abort before any byte of it is forwarded. What
    // went before can at most end in a partial key, and the portal never sees a complete request.
    if (sniffer.detected) {
      out.destroy(new LoginHiddenInBody());
      req.resume();
      return;
    }
    if (held && !out.push(held)) req.pause();
    held = chunk;
  };
  // A login found in the prefix destroys `out` before undici has attached its listeners, and when a
  // stage answers first nothing ever reads it; the edge reads the reason back from `out.errored`, so
  // the 'error' event itself is expected and dropped here (without a listener it is a stray uncaught
  // exception).
  out.on('error', () => undefined);
  for (const c of prefix) take(c);
  req.on('data', take);
  req.once('end', () => {
    if (out.destroyed) return;
    sniffer.end().then(
      ({ authForm }) => {
        if (authForm) return out.destroy(new LoginHiddenInBody());
        if (held) out.push(held);
        out.push(null);
      },
      (err: Error) => out.destroy(err),
    );
  });
  req.once('error', (err) => out.destroy(err));
  // When the portal goes away mid-body, undici destroys this stream: the client's remaining bytes must
  // still be read (and dropped), or the client stalls on back-pressure.
  out.once('close', () => {
    if (!req.complete) req.resume();
  });
  req.once('aborted', () => out.destroy(new Error('client aborted the body')));
  return out;
}
