/**
 * Everything one request accumulates on its way through the pipeline. Created at the edge, filled by
 * the stages in order, read by `record` at the end. Secrets live only in `credentials`, which the sense
 * stage consumes and the edge clears before `record` runs.
 */
import type { Answer } from './answer';
import type { Classified, Credentials, FormFields, RequestHead } from './request';
import type { RequestState } from './request-state';
import type { PortalAnswer } from './stages';

export interface UpstreamHead {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface RequestContext {
  readonly id: string;
  readonly startedAtMs: number;
  /** process.hrtime.bigint() at arrival, for durations. */
  readonly startedHr: bigint;
  readonly head: RequestHead;
  /** The buffered form body, when the edge had to read it to classify. */
  form: FormFields | undefined;
  /** The raw buffered body, forwarded as it came when the request goes upstream. */
  bufferedBody: Buffer | undefined;
  classified: Classified | undefined;
  credentials: Credentials | undefined;
  /** The answer given instead of forwarding, when a stage decided one. */
  answer: Answer | undefined;
  /** The portal's answer head, when the request was forwarded. */
  upstream: UpstreamHead | undefined;
  /** The status the client finally got. */
  status: number;
  /** Set when the edge failed (upstream down, client gone); an error code from the catalogue. */
  errorCode: string | undefined;
  /**
   * What to send the portal instead of what the client sent (a decoy's substituted credentials):
   * another target, body or Authorization header. Unset: forward as received.
   */
  forward: { target?: string; body?: Buffer; authorization?: string } | undefined;
  /** Headers the gateway adds to the portal's answer (flat name, value pairs), e.g. the device cookie. */
  extraHeaders: string[] | undefined;
  /** The headers sent to the portal (kept for a follow-up request such as a decoy after a swallowed success). */
  upstreamHeaders: Record<string, string | string[]> | undefined;
  /** Why this request is answered with a decoy (user_blocked, reset_required, deny_attempt …), if it is. */
  decoy: string | undefined;
  /** Rewrites the portal's held answer before the client gets it (a decoy puts the user's login back). */
  rewriteAnswer: ((answer: PortalAnswer) => PortalAnswer) | undefined;
  /** Per-stage state of later stages (sense, score, observe), keyed by stage: see pipeline/request-state.ts. */
  state: RequestState | undefined;
}
