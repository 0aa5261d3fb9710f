/**
 * The act stage: a verdict's enforced actions carried out (decisions are values until here).
 *
 *   deny_attempt        this attempt only: decoy (login-like) or 403 (REST)
 *   block_user          the user, until lifted or for the duration; `also: [block_portal_rest]` is the
 *                       seed's rule: the portal's whole REST goes down with the user
 *   block_portal_rest   every REST call of the portal: 403 in the portal's envelope
 *   block_ip            the address, or its prefix (`scope: ip_prefix`); never an allowlisted one
 *   limit               a rate on one webhook, app, method, user or the portal (scope), 503 over it
 *   require_reset       the user must change the password before any password login works
 *   notify              an audit event now; the control plane's notifications send it on
 *
 * New blocks are in this replica's view at once, and the answer waits until the store has them, so a
 * block the client has seen survives a crash. A block that is already in force is not made again.
 */
import type { PortalSettings } from '../config/types';
import type { ActionDecision, Verdict } from '../decision/verdict';
import type { CidrSet } from '../lib/ip';
import type { BlockView } from '../lockout/block-view';
import type { BlockKind } from '../lockout/blocks';
import { prepareDecoy } from '../lockout/decoy/prepare';
import type { Lockout } from '../lockout/lockout';
import { oldPasswordHash } from '../lockout/subjects';
import type { Clock } from '../lib/clock';
import { LRUCache } from 'lru-cache';
import { restBlockedAnswer } from '../lockout/rest-answer';
import type { ActionKind } from '../policy/spec';
import type { Answer } from './answer';
import type { RequestContext } from './context';
import type { BeforeStage } from './stages';

export interface ActDeps {
  readonly lockout: Lockout;
  readonly clock: Clock;
  readonly secret: string;
  readonly view: BlockView;
  readonly settingsFor: (portal: string) => PortalSettings;
  readonly allowlist: CidrSet;
}

/** What carrying out a verdict means for the request at hand. */
export type ActResult = { readonly answer?: Answer; readonly decoy?: string; readonly blocked: readonly BlockKind[] };

const LOGIN_LIKE = new Set(['login', 'otp', 'password_change', 'password_recovery']);

export function actStage(deps: ActDeps): BeforeStage {
  return {
    name: 'act',
    run(ctx) {
      const v = ctx.state?.attempt;
      if (v?.wouldHave?.actions.length) auditWouldHave(deps, ctx, v);
      if (!v || v.actions.length === 0) return undefined;
      return applyVerdict(deps, ctx, v).then((r) => {
        if (r.decoy) prepareDecoy(ctx, r.decoy);
        return r.answer;
      });
    },
  };
}

const WOULD_BLOCK = new Set<ActionKind>(['block_user', 'block_portal_rest', 'block_ip', 'limit', 'require_reset']);
/** A shadow block or a notify is audited once per subject and action in this window, not once per request of an attack. */
const AUDIT_ONCE_PER_MS = 10 * 60_000;
/** Subject → when it was last audited, on the gateway's clock (so a time scale shortens the window too). */
const auditedRecently = new LRUCache<string, number>({ max: 10_000 });

function firstInWindow(key: string, nowMs: number): boolean {
  const last = auditedRecently.get(key);
  if (last !== undefined && nowMs - last < AUDIT_ONCE_PER_MS) return false;
  auditedRecently.set(key, nowMs);
  return true;
}

/**
 * What shadow rules and policies would have blocked: an audit event, so that a security engineer trying a
 * policy in shadow sees the blocks it would have made (the request line carries `would_have` too).
 */
export function auditWouldHave(deps: ActDeps, ctx: RequestContext, v: Verdict): void {
  const c = ctx.classified!;
  for (const a of v.wouldHave!.actions) {
    for (const what of [a.do, ...a.also] as ActionKind[]) {
      if (!WOULD_BLOCK.has(what)) continue;
      if (!firstInWindow(`${c.portal}\0${what}\0${ctx.state?.keys.user ?? ctx.head.ip}`, deps.clock.now())) continue;
      deps.lockout.audit({
        atMs: deps.clock.now(),
        portal: c.portal,
        type: 'would_have',
        actor: `rule:${a.rules[0] ?? a.policy}`,
        ...(c.principal.login ? { user: c.principal.login } : {}),
        details: { action: what, policy: a.policy, rules: a.rules, score: a.score, phase: v.phase },
      });
    }
  }
}

/** Carries out every enforced action of `v` (attempt or outcome phase). */
export async function applyVerdict(deps: ActDeps, ctx: RequestContext, v: Verdict): Promise<ActResult> {
  const c = ctx.classified!;
  const keys = ctx.state?.keys ?? {};
  const durable: Promise<void>[] = [];
  const blocked: BlockKind[] = [];
  let deny = false;
  let restBlocked = false;
  const block = (kind: BlockKind, subject: string | undefined, a: ActionDecision, extra: { login?: string; rate?: { requests: number; perMs: number }; oldPasswordHash?: string } = {}): void => {
    if (subject === undefined || deps.view.find(c.portal, kind, subject)) return;
    const r = deps.lockout.block({
      portal: c.portal,
      kind,
      subject,
      actor: `rule:${a.rules[0] ?? a.policy}`,
      reason: `policy ${a.policy}: score ${a.score} reached ${a.threshold}`,
      rules: a.rules,
      score: a.score,
      ...(a.durationMs !== undefined ? { durationMs: a.durationMs } : {}),
      ...extra,
    });
    durable.push(r.durable);
    blocked.push(kind);
  };
  for (const a of v.actions) {
    for (const what of [a.do, ...a.also] as ActionKind[]) {
      switch (what) {
        case 'deny_attempt':
          deny = true;
          break;
        case 'block_user': {
          // Blocked on a suspicious success: the password that worked is remembered (keyed hash) until
          // the reset ends, to tell a new password that is the old one.
          const pw = ctx.state?.outcome?.success && keys.user ? ctx.credentials?.password : undefined;
          block('user', keys.user, a, {
            ...(c.principal.login ? { login: c.principal.login } : {}),
            ...(pw && keys.user ? { oldPasswordHash: oldPasswordHash(deps.secret, c.portal, keys.user, pw) } : {}),
          });
          if (keys.user) deny = true;
          break;
        }
        case 'require_reset':
          block('reset_required', keys.user, a, c.principal.login ? { login: c.principal.login } : {});
          break;
        case 'block_portal_rest':
          block('portal_rest', '', a);
          restBlocked = true;
          break;
        case 'block_ip': {
          if (deps.allowlist.has(ctx.head.ip)) break; // no rule can block an allowlisted address
          const prefix = a.scope === 'ip_prefix';
          block(prefix ? 'ip_prefix' : 'ip', prefix ? keys.ip_prefix : keys.ip, a);
          deny = true;
          break;
        }
        case 'limit': {
          const scope = a.scope ?? 'webhook';
          const subject = scope === 'portal' ? '' : keys[scope as 'webhook' | 'app' | 'method' | 'user'];
          if (subject !== undefined && a.limit) block('limit', `${scope}:${subject}`, a, { rate: a.limit });
          break;
        }
        case 'notify':
          // Once per subject and policy in the window, like would-haves: an attack's every request is no news.
          if (!firstInWindow(`${c.portal}\0notify\0${a.policy}\0${keys.user ?? ctx.head.ip}`, deps.clock.now())) break;
          deps.lockout.audit({ atMs: deps.clock.now(), portal: c.portal, type: 'notify', actor: `rule:${a.rules[0] ?? a.policy}`, ...(c.principal.login ? { user: c.principal.login } : {}), details: { policy: a.policy, action: a.do, rules: a.rules } });
          break;
      }
    }
  }
  await Promise.all(durable);
  if (c.kind === 'rest' || c.kind === 'oauth_token') {
    return deny || restBlocked ? { answer: restBlockedAnswer(deps.settingsFor(c.portal), c.rest?.format ?? 'json', deny ? 'deny_attempt' : 'portal_rest_blocked'), blocked } : { blocked };
  }
  if (LOGIN_LIKE.has(c.kind) && deny) return { decoy: blocked.includes('user') ? 'user_blocked' : blocked.includes('ip') || blocked.includes('ip_prefix') ? 'ip_blocked' : 'deny_attempt', blocked };
  return { blocked };
}
