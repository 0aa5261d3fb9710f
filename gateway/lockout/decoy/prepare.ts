/**
 * Turns a login-like request into its decoy: the credentials are substituted (substitute.ts), the
 * portal's genuine failure comes back, and the echoed login is put back (echo.ts). The request keeps
 * going through the pipeline: it is counted, scored and logged like any other, and its outcome (a
 * failure, by construction) is recorded as one.
 */
import type { RequestContext } from '../../pipeline/context';
import { restoreEcho } from './echo';
import { substituteRequest } from './substitute';

export function prepareDecoy(ctx: RequestContext, reason: string): void {
  if (ctx.decoy) return;
  const headers = ctx.head.headers;
  const auth = typeof headers.authorization === 'string' ? headers.authorization : undefined;
  const cr = ctx.credentials ?? {};
  const secrets = [cr.password, cr.newPassword, cr.otp, cr.checkword].filter((v): v is string => typeof v === 'string' && v !== '');
  // Every spelling a secret may take in a body: as sent, and percent-encoded.
  const spelled = secrets.flatMap((v) => [v, encodeURIComponent(v), encodeURIComponent(v).replace(/%20/g, '+')]);
  const sub = substituteRequest(ctx.head.target, ctx.bufferedBody, String(headers['content-type'] ?? ''), auth, ctx.classified?.principal.login, spelled);
  ctx.decoy = reason;
  ctx.forward = {
    target: sub.target,
    ...(sub.body !== undefined && sub.body !== ctx.bufferedBody ? { body: sub.body } : {}),
    ...(sub.authorization !== undefined ? { authorization: sub.authorization } : {}),
  };
  ctx.rewriteAnswer = (answer) => ({ status: answer.status, ...restoreEcho(answer.body, answer.rawHeaders, sub.substitution) });
}
