/**
 * The lockout's pieces that talk to the portal or read the view for the composition root: swallowing a
 * suspicious success, and the earlier offences that escalate a new block.
 */
import type { PortalSettings } from '../config/types';
import type { BufferedAnswer, Upstream } from '../edge/forward';
import { originForm } from '../edge/origin-form';
import type { OffenceSubject } from '../decision/evaluate';
import type { Answer } from '../pipeline/answer';
import type { RequestContext } from '../pipeline/context';
import type { BlockView } from './block-view';
import type { BlockKind } from './blocks';
import { prepareDecoy } from './decoy/prepare';

/**
 * The portal accepted a login that an outcome-phase rule blocks: the session it opened is ended (its
 * logout path, with the cookies it just set) and the client gets the portal's own failure answer,
 * asked for with substituted credentials, as every decoy is.
 */
export async function swallowSuccess(
  upstream: Upstream,
  settings: PortalSettings,
  ctx: RequestContext,
  success: BufferedAnswer,
  onError: (err: unknown, what: string) => void,
): Promise<Answer> {
  const headers = ctx.upstreamHeaders ?? {};
  const cookies = sessionCookies(success.rawHeaders);
  if (settings.login.logoutPath && cookies) {
    upstream
      .fetch({ method: 'GET', path: settings.login.logoutPath, headers: { ...stripBody(headers), cookie: cookies }, body: null })
      .catch((err: unknown) => onError(err, 'logout of a swallowed session'));
  }
  prepareDecoy(ctx, 'suspicious_success');
  const body = ctx.forward?.body ?? ctx.bufferedBody ?? null;
  const answer = await upstream.fetch({
    method: ctx.head.method,
    path: originForm(ctx.forward?.target ?? ctx.head.target).path,
    headers: {
      ...headers,
      ...(ctx.forward?.authorization !== undefined ? { authorization: ctx.forward.authorization } : {}),
      ...(body ? { 'content-length': String(body.length) } : {}),
    },
    body,
  });
  const final = ctx.rewriteAnswer ? ctx.rewriteAnswer(answer) : answer;
  return { status: final.status, headers: final.rawHeaders, body: final.body, reason: 'decoy' };
}

function stripBody(h: Record<string, string | string[]>): Record<string, string | string[]> {
  const { 'content-length': _cl, 'content-type': _ct, ...rest } = h;
  return rest;
}

/** `name=value` pairs of the cookies an answer set, for a follow-up request in that session. */
function sessionCookies(raw: readonly string[]): string {
  const pairs: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'set-cookie') pairs.push(raw[i + 1]!.split(';')[0]!.trim());
  }
  return pairs.join('; ');
}

const OFFENCE_KINDS: readonly [OffenceSubject, BlockKind, (k: Record<string, string | undefined>) => string | undefined][] = [
  ['user', 'user', (k) => k.user],
  ['ip', 'ip', (k) => k.ip],
  ['ip_prefix', 'ip_prefix', (k) => k.ip_prefix],
  ['webhook', 'limit', (k) => (k.webhook ? `webhook:${k.webhook}` : undefined)],
  ['app', 'limit', (k) => (k.app ? `app:${k.app}` : undefined)],
  ['method', 'limit', (k) => (k.method ? `method:${k.method}` : undefined)],
];

/** Earlier offences of the request's subjects, from the view (ended blocks are remembered a while). */
export function priorOffencesOf(view: BlockView, ctx: RequestContext): Partial<Record<OffenceSubject, number>> | undefined {
  const keys = ctx.state?.keys as Record<string, string | undefined> | undefined;
  if (!keys || view.size === 0) return undefined;
  const out: Partial<Record<OffenceSubject, number>> = {};
  for (const [subject, kind, pick] of OFFENCE_KINDS) {
    const s = pick(keys);
    const n = s === undefined ? 0 : (view.record(ctx.classified!.portal, kind, s)?.offences ?? 0);
    if (n > 0) out[subject] = n;
  }
  return out;
}
