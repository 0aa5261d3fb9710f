/**
 * The enforce stage: known blocks and limits, read from the in-process view (never a store round trip).
 *
 *   REST call        portal's REST blocked, or its webhook / app / method blocked  → 403 envelope
 *                    the user its webhook or app acts as blocked (directory ids)   → 403 envelope
 *                    a limit on its webhook / app / method / portal, over the rate → 503 QUERY_LIMIT_EXCEEDED
 *                    a limit of 0 requests (a breaker) on any of them               → 403, scoped envelope
 *                    the portal's own bucket (mirrored), empty                     → 503 QUERY_LIMIT_EXCEEDED
 *                    a password in its Authorization header, of a user in reset_required → 403 envelope
 *   login-like       user blocked (any login entry, OTP step, password change)     → decoy
 *                    reset_required: a password login                               → decoy
 *                    (every login the request carries is checked: an HTTP Basic/Digest user and a form's
 *                    USER_LOGIN in one request are two logins, and either one blocked or in reset is enough)
 *   any login/REST   address or prefix blocked (unless allowlisted)                → decoy / 403
 *
 * A password change is let through for a user in reset_required (its success ends the reset), and a
 * recovery request is let through for everyone (the portal mails the real owner). Pages and push &
 * pull are never blocked here: an address block must not cut an office off its portal's pages.
 */
import type { PortalSettings } from '../config/types';
import type { Clock } from '../lib/clock';
import type { CidrSet } from '../lib/ip';
import type { BlockView } from '../lockout/block-view';
import type { BlockKind, BlockRecord } from '../lockout/blocks';
import { prepareDecoy } from '../lockout/decoy/prepare';
import type { PortalBuckets } from '../lockout/portal-bucket';
import type { AppUsers } from '../lockout/app-users';
import type { PortalUserIds } from '../lockout/portal-user-ids';
import type { RateBuckets } from '../lockout/rate-buckets';
import { restBlockedAnswer, restCutOffAnswer, restLimitAnswer } from '../lockout/rest-answer';
import { subjectsOf, userId, type RequestSubjects } from '../lockout/subjects';
import type { Answer } from './answer';
import type { RequestContext } from './context';
import type { BeforeStage } from './stages';

export interface EnforceDeps {
  readonly view: BlockView;
  readonly buckets: RateBuckets;
  /** The portal's REST bucket, mirrored and shared across replicas. */
  readonly portalBuckets: PortalBuckets;
  readonly clock: Clock;
  readonly secret: string;
  readonly settingsFor: (portal: string) => PortalSettings;
  /** Addresses no block applies to (the allowlist). */
  readonly allowlist: CidrSet;
  readonly ipPrefix: { readonly v4: number; readonly v6: number };
  /** The portal's numeric user ids (from the directory): whose webhook a call is. Absent: unknown. */
  readonly userIds?: PortalUserIds;
  /** Which portal user an app's token acts as, where learned. Absent: unknown. */
  readonly appUsers?: AppUsers;
}

const LOGIN_LIKE = new Set(['login', 'otp', 'password_change', 'password_recovery']);
const LIMIT_SCOPES = ['webhook', 'app', 'method', 'user'] as const;

export function enforceStage(deps: EnforceDeps): BeforeStage {
  return {
    name: 'enforce',
    run(ctx) {
      const c = ctx.classified!;
      const kind = c.kind;
      if (kind === 'other' || kind === 'websocket') return undefined;
      // The portal's bucket is taken last, by calls that will reach the portal: a call the gateway
      // refuses never drains the portal's real bucket, so it must not drain the mirror either (and a
      // blocked portal's integrations keep getting the block's 403, not the bucket's 503).
      if (deps.view.size === 0) return kind === 'rest' ? portalBucket(deps, ctx) : undefined;
      const s = subjectsOf(deps.secret, c, ctx.credentials, ctx.head.ip, deps.ipPrefix);
      const find = (k: BlockKind, subject: string | undefined): BlockRecord | undefined => (subject === undefined ? undefined : deps.view.find(c.portal, k, subject));
      const ipBlock = deps.allowlist.has(ctx.head.ip) ? undefined : (find('ip', s.ip) ?? find('ip_prefix', s.ip_prefix));
      if (kind === 'rest') {
        const block = ipBlock ?? find('portal_rest', '') ?? find('webhook', s.webhook) ?? find('app', s.app) ?? find('method', s.method) ?? find('user', s.user);
        if (block) return restBlockedAnswer(deps.settingsFor(c.portal), c.rest?.format ?? 'json', `${block.kind}_blocked`);
        // REST session auth logs in with a Basic password: the old password must not work there either.
        if (c.principal.loginVia === 'basic' && find('reset_required', s.user)) return restBlockedAnswer(deps.settingsFor(c.portal), c.rest?.format ?? 'json', 'reset_required');
        // A blocked user's own webhooks and apps are refused with the user, portal-wide REST block or
        // not: the webhook's user id is in its URL; an app token's user is learned (app-users.ts).
        const portalUserId = c.principal.webhookUserId ?? (s.app !== undefined ? deps.appUsers?.userOf(c.portal, s.app, deps.clock.now()) : undefined);
        if (find('user', portalUserId !== undefined ? deps.userIds?.userOf(c.portal, portalUserId) : undefined)) {
          return restCutOffAnswer(deps.settingsFor(c.portal), c.rest?.format ?? 'json', 'user');
        }
        return overLimit(deps, ctx, s) ?? portalBucket(deps, ctx);
      }
      if (!LOGIN_LIKE.has(kind)) return undefined;
      if (ipBlock) return decoy(ctx, `${ipBlock.kind}_blocked`);
      if (kind === 'password_recovery') return undefined;
      if (find('user', s.user) || anyAlso(deps, ctx, 'user')) return decoy(ctx, 'user_blocked');
      if (kind === 'login' && (find('reset_required', s.user) || anyAlso(deps, ctx, 'reset_required'))) return decoy(ctx, 'reset_required');
      return undefined;
    },
  };
}

/** A second login in the same request (Basic and a form): under a block of this kind if it is. */
function anyAlso(deps: EnforceDeps, ctx: RequestContext, kind: 'user' | 'reset_required'): boolean {
  const c = ctx.classified!;
  return (c.principal.alsoLogins ?? []).some((login) => deps.view.find(c.portal, kind, userId(deps.secret, c.portal, login)) !== undefined);
}

function decoy(ctx: RequestContext, reason: string): undefined {
  prepareDecoy(ctx, reason);
  return undefined; // forwarded, substituted: the portal's own failure comes back
}

/**
 * The portal's own leaky bucket, mirrored (PortalSettings.rest.limit): a call over it gets the portal's
 * 503 before the portal pays for it. Shared across replicas (lockout/portal-bucket.ts). A burst of 0
 * turns it off.
 */
function portalBucket(deps: EnforceDeps, ctx: RequestContext): Answer | undefined {
  const c = ctx.classified!;
  const limit = deps.settingsFor(c.portal).rest.limit;
  if (limit.burst <= 0 || limit.drainPerSecond <= 0) return undefined;
  return deps.portalBuckets.take(c.portal, limit) ? undefined : restLimitAnswer(c.rest?.format ?? 'json');
}

/** A limited webhook, app, method, user or portal over its rate gets the portal's own 503. */
function overLimit(deps: EnforceDeps, ctx: RequestContext, s: RequestSubjects): Answer | undefined {
  const c = ctx.classified!;
  const now = deps.clock.now();
  const limits: [string, BlockRecord | undefined][] = [['portal:', deps.view.find(c.portal, 'limit', 'portal:')]];
  for (const scope of LIMIT_SCOPES) {
    const subject = s[scope];
    if (subject !== undefined) limits.push([`${scope}:${subject}`, deps.view.find(c.portal, 'limit', `${scope}:${subject}`)]);
  }
  for (const [key, record] of limits) {
    if (!record?.rate) continue;
    // `requests: 0` is a breaker, not a rate: the policy cut this subject off, and a retryable 503
    // would have its SDK hammer on. It gets the block's final 403, scoped to what was cut off.
    if (record.rate.requests <= 0) return restCutOffAnswer(deps.settingsFor(c.portal), c.rest?.format ?? 'json', key.slice(0, key.indexOf(':')));
    if (!deps.buckets.take(`${c.portal}\0${key}`, record.rate, now)) return restLimitAnswer(c.rest?.format ?? 'json');
  }
  return undefined;
}
