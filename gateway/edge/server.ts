/**
 * The edge: the listener, the client's address, size and time limits, body buffering for forms, and
 * the one place where answers are written. It runs the pipeline's stages in their drawn order
 * (pipeline/stages.ts) and forwards what they let through (edge/forward.ts).
 *
 * Invariants:
 * - a request never crashes the process: every failure becomes an answer (400/413/502/504) and a
 *   counted error code;
 * - nothing is sent upstream before the before-stages have finished;
 * - `record` runs exactly once per request, after the client's connection is done with it.
 */
import http, { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { GatewayConfig } from '../config/types';
import type { Clock } from '../lib/clock';
import type { ErrorCode } from '../lib/errors';
import type { CidrSet } from '../lib/ip';
import { plainAnswer, type Answer } from '../pipeline/answer';
import type { RequestContext, UpstreamHead } from '../pipeline/context';
import type { Classified, RequestHead } from '../pipeline/request';
import { observeAnswer, observeHead, runBefore, type Pipeline } from '../pipeline/stages';
import { FormSniffer, classify, headCarriesAuthForm, needsForm, readFormBody } from '../pipeline/classify';
import { ClientGone, readCapped, sniffedBody, LoginHiddenInBody } from './body';
import { resolveClientAddress, type ClientAddress } from './client-ip';
import { upstreamRequestHeaders } from './forward-headers';
import { originForm } from './origin-form';
import type { BufferedAnswer, Upstream } from './forward';
import type { WebSocketRelay } from './websocket';

export interface EdgeDeps {
  readonly config: GatewayConfig;
  /** Arrival times on the gateway's clock: the event log is replayed against policy windows. */
  readonly clock: Clock;
  readonly pipeline: Pipeline;
  readonly upstream: Upstream;
  readonly trustedProxies: CidrSet;
  readonly websockets: WebSocketRelay;
  /** Called for failures that are the gateway's own fault: logged, counted, never rethrown. */
  readonly onInternalError: (err: unknown, ctx: RequestContext | undefined) => void;
  readonly onEdgeError: (code: ErrorCode) => void;
  /** One line per upgrade request: relayed, or refused because the portal would not treat it as one. */
  readonly onUpgrade: (classified: Classified, client: ClientAddress, relayed: boolean) => void;
}

const ERROR_ANSWERS: Partial<Record<ErrorCode, Answer>> = {
  PC_ERR_UPSTREAM_UNAVAILABLE: plainAnswer(502, 'Bad Gateway: the portal is not reachable.', 'upstream_unavailable'),
  PC_ERR_UPSTREAM_TIMEOUT: plainAnswer(504, 'Gateway Timeout: the portal did not answer in time.', 'upstream_timeout'),
  PC_ERR_BODY_TOO_LARGE: plainAnswer(413, 'Payload Too Large: the body is larger than the gateway or the portal accepts.', 'body_too_large'),
  PC_ERR_BAD_REQUEST: plainAnswer(400, 'Bad Request.', 'bad_request'),
  PC_ERR_INTERNAL: plainAnswer(502, 'Bad Gateway.', 'internal_error'),
};

let sequence = 0;
const idPrefix = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

export function createEdgeServer(deps: EdgeDeps): http.Server {
  const { config, pipeline } = deps;
  const server = http.createServer(
    {
      requestTimeout: config.limits.requestTimeoutMs,
      headersTimeout: config.limits.headersTimeoutMs,
      keepAliveTimeout: config.limits.keepAliveTimeoutMs,
      maxHeaderSize: config.limits.maxHeaderBytes,
      // Node checks the header and request timeouts only this often (30 s by default): a slowloris
      // client trickling its headers would outlive headersTimeoutMs by that much.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, config.limits.headersTimeoutMs / 2)),
      // Node's strict parser already refuses Transfer-Encoding with Content-Length and obs-fold.
      insecureHTTPParser: false,
    },
    (req, res) => {
      let ctx: RequestContext | undefined;
      try {
        const client = clientOf(req, deps.trustedProxies);
        ctx = newContext(req, client, deps.clock);
        const c = ctx;
        res.once('close', () => recordOnce(pipeline, c, deps));
        handle(deps, c, client, req, res);
      } catch (err) {
        failInternal(deps, ctx, res, err);
      }
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, deps));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      const client = clientOf(req, deps.trustedProxies);
      const { classified, target } = classify(headOf(req, client), undefined);
      // Behind nginx, an "upgrade" carrying a login or a REST call is just a request to PHP: relaying it
      // as a WebSocket would skip the pipeline. Only push & pull style upgrades are relayed, and only
      // with an origin-form target (the relay would send an absolute-form one under the client's Host).
      const relayed = classified.kind === 'websocket' && target.form === 'origin';
      deps.onUpgrade(classified, client, relayed);
      if (!relayed) {
        deps.onEdgeError('PC_ERR_BAD_REQUEST');
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      deps.websockets.relay(req, socket, head, client);
    } catch (err) {
      deps.onInternalError(err, undefined);
      socket.destroy();
    }
  });
  return server;
}

/**
 * One request. Synchronous from arrival to dispatch unless a stage or the form body needs waiting:
 * the REST and static paths never touch a promise of ours.
 */
function handle(deps: EdgeDeps, ctx: RequestContext, client: ClientAddress, req: IncomingMessage, res: ServerResponse): void {
  const body: Readable | null = hasBody(req) ? req : null;
  // Two Content-Type (or Host) headers: Node keeps the first, a PHP server may read the other, and the
  // body would be classified one way and parsed another (or the request classified under one portal and
  // served by another). Such a request is malformed (singleton fields), refused.
  if (duplicateSingleton(req.rawHeaders, body !== null)) return refuse(deps, ctx, req, res, 'PC_ERR_BAD_REQUEST');
  if (body && needsForm(ctx.head)) {
    readForm(deps, ctx, req)
      .then((formBody) => {
        if (typeof formBody === 'string') return refuse(deps, ctx, req, res, formBody);
        runStages(deps, ctx, client, req, res, formBody);
      })
      .catch((err: unknown) => {
        if (!(err instanceof ClientGone)) return failInternal(deps, ctx, res, err);
        ctx.errorCode = 'PC_ERR_BAD_REQUEST';
        deps.onEdgeError('PC_ERR_BAD_REQUEST');
        res.destroy();
      });
    return;
  }
  runStages(deps, ctx, client, req, res, body);
}

/**
 * Buffers a form body up to the cap (and parses it as PHP would); a larger one streams through the
 * sniffer. Refused (an error code) when the gateway cannot read in full a body that may reach the login
 * handler: over the cap while the query or cookies already carry AUTH_FORM (the credentials may sit
 * past anything we could inspect), or a body whose reading by PHP depends on the portal's php.ini.
 */
async function readForm(deps: EdgeDeps, ctx: RequestContext, req: IncomingMessage): Promise<Buffer | Readable | ErrorCode> {
  const contentType = String(req.headers['content-type'] ?? '');
  const read = await readCapped(req, deps.config.limits.formBodyMaxBytes);
  if (!read.complete) {
    if (headCarriesAuthForm(ctx.head)) return 'PC_ERR_BODY_TOO_LARGE';
    return sniffedBody(read.prefix, req, new FormSniffer(contentType));
  }
  const form = readFormBody(contentType, read.body);
  if (form.unreadable !== undefined) return 'PC_ERR_BAD_REQUEST';
  ctx.bufferedBody = read.body;
  ctx.form = form.fields;
  return read.body;
}

/** Answers an error of the edge's own (400, 413) without forwarding; the rest of the body is drained. */
function refuse(deps: EdgeDeps, ctx: RequestContext, req: IncomingMessage, res: ServerResponse, code: ErrorCode): void {
  const answer = ERROR_ANSWERS[code]!;
  ctx.answer = answer;
  ctx.errorCode = code;
  deps.onEdgeError(code);
  if (!req.complete) res.setHeader('connection', 'close');
  writeAnswer(res, answer);
  req.resume();
}

function runStages(deps: EdgeDeps, ctx: RequestContext, client: ClientAddress, req: IncomingMessage, res: ServerResponse, body: Buffer | Readable | null): void {
  const early = runBefore(deps.pipeline.before, ctx);
  if (early instanceof Promise) {
    early
      .then((answer) => act(deps, ctx, client, req, res, body, answer))
      .catch((err: unknown) => failInternal(deps, ctx, res, err));
  } else {
    act(deps, ctx, client, req, res, body, early);
  }
}

function act(deps: EdgeDeps, ctx: RequestContext, client: ClientAddress, req: IncomingMessage, res: ServerResponse, received: Buffer | Readable | null, answer: Answer | undefined): void {
  let body = received;
  if (answer) {
    ctx.answer = answer;
    writeAnswer(res, answer);
    if (body === req) req.resume(); // drain what we did not read
    return;
  }
  const target = originForm(ctx.forward?.target ?? ctx.head.target);
  const headers = upstreamRequestHeaders(req.headers, client);
  if (target.host) headers['host'] = target.host;
  if (ctx.forward?.authorization !== undefined) headers['authorization'] = ctx.forward.authorization;
  if (ctx.forward?.body !== undefined) {
    body = ctx.forward.body;
    headers['content-length'] = String(body.length);
  }
  ctx.upstreamHeaders = headers;
  const observe = deps.pipeline.observe;
  deps.upstream.forward(
    { method: ctx.head.method, path: target.path, headers, body },
    res,
    (status, headersOf) => {
      ctx.status = status;
      if (observe.length === 0) return 'stream';
      // The header object is built only if a stage reads it (a login's outcome); REST and static
      // answers stream without one.
      let headers: UpstreamHead['headers'] | undefined;
      const head: UpstreamHead = {
        status,
        get headers() {
          return (headers ??= headersOf());
        },
      };
      ctx.upstream = head;
      const verdict = observeHead(observe, ctx, head);
      if (!verdict) return 'stream';
      if ('replace' in verdict) {
        ctx.answer = verdict.replace;
        writeAnswer(res, verdict.replace);
        return 'replace';
      }
      return verdict;
    },
    (outcome) => {
      if (outcome.ok) {
        if (outcome.buffered) answerBuffered(deps, ctx, res, outcome.buffered);
        return;
      }
      // The portal hung up while the client was still sending: it refused the body (nginx closes on
      // client_max_body_size, PHP on post_max_size), and undici saw the close before the portal's 413.
      const refusedBody = !req.complete && outcome.code === 'PC_ERR_UPSTREAM_UNAVAILABLE' && body !== null;
      const code: ErrorCode =
        (body instanceof Readable && body !== req && body.errored instanceof LoginHiddenInBody) || refusedBody ? 'PC_ERR_BODY_TOO_LARGE' : outcome.code;
      ctx.errorCode = code;
      deps.onEdgeError(code);
      // The client may still be sending a body nobody reads any more (the portal went away mid-upload):
      // drain it and close, or it would stall on back-pressure until a timeout.
      if (!req.complete) {
        res.setHeader('connection', 'close');
        req.resume();
      }
      if (!res.headersSent) {
        const a = ERROR_ANSWERS[code]!;
        ctx.answer = a;
        writeAnswer(res, a);
      } else {
        res.destroy(); // the portal failed mid-answer: the client must see a broken response, not a short one
      }
    },
  );
}

/** The portal's held answer, after the observe stages read it: theirs if they replace it, else the portal's. */
function answerBuffered(deps: EdgeDeps, ctx: RequestContext, res: ServerResponse, portal: BufferedAnswer): void {
  observeAnswer(deps.pipeline.observe, ctx, portal)
    .then((replacement) => {
      if (replacement) {
        ctx.answer = replacement;
        writeAnswer(res, replacement);
        return;
      }
      if (res.headersSent) return;
      const final = ctx.rewriteAnswer ? ctx.rewriteAnswer(portal) : portal;
      writeHeld(res, final.status, final.rawHeaders, ctx.extraHeaders, final.body);
    })
    .catch((err: unknown) => failInternal(deps, ctx, res, err));
}

function clientOf(req: IncomingMessage, trusted: CidrSet): ClientAddress {
  return resolveClientAddress(req.socket.remoteAddress, Boolean((req.socket as TLSSocket).encrypted), req.headers, trusted);
}

function headOf(req: IncomingMessage, client: ClientAddress): RequestHead {
  return {
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    headers: req.headers,
    ip: client.ip,
    httpVersion: req.httpVersion,
    secure: client.proto === 'https',
  };
}

function newContext(req: IncomingMessage, client: ClientAddress, clock: Clock): RequestContext {
  const head = headOf(req, client);
  return {
    id: `${idPrefix}-${(sequence++).toString(36)}`,
    startedAtMs: clock.now(),
    startedHr: process.hrtime.bigint(),
    head,
    form: undefined,
    bufferedBody: undefined,
    classified: undefined,
    credentials: undefined,
    answer: undefined,
    upstream: undefined,
    status: 0,
    errorCode: undefined,
    extraHeaders: undefined,
    state: undefined,
    forward: undefined,
    rewriteAnswer: undefined,
    decoy: undefined,
    upstreamHeaders: undefined,
  };
}

/** A second Host, or (with a body) a second Content-Type. */
function duplicateSingleton(raw: readonly string[], withBody: boolean): boolean {
  let hosts = 0;
  let types = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return true;
    if (withBody && name.length === 12 && name.toLowerCase() === 'content-type' && ++types > 1) return true;
  }
  return false;
}

function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  if (cl !== undefined) return cl !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

export function writeAnswer(res: ServerResponse, a: Answer): void {
  if (res.headersSent) return;
  const body = typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
  if (Array.isArray(a.headers)) {
    writeHeld(res, a.status, a.headers as readonly string[], undefined, body);
    return;
  }
  res.writeHead(a.status, { ...(a.headers as Record<string, string | string[]>), 'content-length': String(body.length) });
  res.end(body);
}

/**
 * A held answer (the portal's, read whole) written out. Every held answer is framed the same way,
 * decoy or not, its length stated last, so that the two cannot be told apart by their framing.
 */
function writeHeld(res: ServerResponse, status: number, rawHeaders: readonly string[], extra: readonly string[] | undefined, body: Buffer): void {
  if (res.headersSent) return;
  const headers: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'content-length') headers.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  if (extra) headers.push(...extra);
  headers.push('Content-Length', String(body.length));
  res.writeHead(status, headers);
  res.end(body);
}

function recordOnce(pipeline: Pipeline, ctx: RequestContext, deps: EdgeDeps): void {
  if (ctx.status === 0) ctx.status = ctx.answer?.status ?? 0;
  for (const stage of pipeline.record) {
    try {
      stage.run(ctx);
    } catch (err) {
      deps.onInternalError(err, ctx);
    }
  }
  ctx.credentials = undefined;
}

function failInternal(deps: EdgeDeps, ctx: RequestContext | undefined, res: ServerResponse, err: unknown): void {
  deps.onInternalError(err, ctx);
  if (ctx) ctx.errorCode = 'PC_ERR_INTERNAL';
  if (!res.headersSent) {
    const a = ERROR_ANSWERS.PC_ERR_INTERNAL!;
    if (ctx) ctx.answer = a;
    writeAnswer(res, a);
  } else {
    res.destroy();
  }
}

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, deps: EdgeDeps): void {
  deps.onEdgeError('PC_ERR_BAD_REQUEST');
  const s = socket as Socket;
  if (!s.writable || (s as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
