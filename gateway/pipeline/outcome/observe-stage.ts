/**
 * The observe stage: the portal's answer read for its outcome, counted, scored (outcome phase), and
 * learned from. For login-like requests the whole answer is held back first (they are small pages),
 * so that an outcome-phase block can still swallow a success; REST answers stream untouched and only
 * their status is read.
 *
 * What a success teaches (device, place, second factor) is written to the store without waiting: the
 * client's answer does not wait for the store, and the sensors read it back on the next request.
 */
import type { PortalSettings } from '../../config/types';
import { evaluate } from '../../decision/evaluate';
import type { Clock } from '../../lib/clock';
import { eventsOfKind } from '../../signals/counters/events';
import { issueDeviceCookie, newDeviceId, NO_DEVICE_COOKIE, readDeviceCookie } from '../../signals/device/device-cookie';
import { deviceSignals, type DeviceSense } from '../../signals/device/device-signals';
import { lookupGeo, UNKNOWN_GEO, type GeoLocation } from '../../signals/geo/lookup';
import { UNKNOWN_USER } from '../../signals/history';
import type { PasswordSignals } from '../../signals/password/password-signals';
import { rememberLoginSuccess } from '../../signals/remember';
import type { Store } from '../../store/port';
import type { RequestContext } from '../context';
import type { OutcomeReading, RequestState } from '../request-state';
import type { ObserveStage } from '../stages';
import { countAndRead } from '../sense/sense-stage';
import type { CounterBatcher } from '../sense/counter-batcher';
import { planFor } from '../sense/plan';
import { historyOf, rememberSecondFactor, rememberSuccess, type UserRecord } from '../sense/user-record';
import { detectOutcome } from './detect';
import { rememberSessionLogin, takeSessionLogin } from './otp-session';
import { applyVerdict, auditWouldHave, type ActDeps } from '../act-stage';
import { plainAnswer, type Answer } from '../answer';
import type { PortalAnswer } from '../stages';
import { bundledCommonPasswords } from '../../signals/password/common-passwords';
import { passwordSignals } from '../../signals/password/password-signals';
import { WEAK_STRENGTH_AT_MOST } from '../../signals/remember';
import { appTokenSubject, oldPasswordHash, userId } from '../../lockout/subjects';
import { USER_CURRENT_ANSWER_BYTES, userCurrentId, type AppUsers } from '../../lockout/app-users';
import { loginByPhone } from '../../lockout/directory';

/** Login pages are a few KiB; anything far larger is not a login answer worth holding. */
export const LOGIN_ANSWER_HOLD_BYTES = 512 * 1024;

export interface ObserveDeps {
  readonly act: ActDeps;
  /** REST counters batched across requests (the sense stage's batcher). */
  readonly batcher?: CounterBatcher;
  /**
   * A decoy for a request whose real answer is being swallowed: the portal asked once more, with the
   * credentials substituted (lockout/decoy). Also ends the swallowed session where the portal names a
   * logout path.
   */
  readonly swallow: (ctx: RequestContext, success: PortalAnswer) => Promise<Answer>;
  readonly store: Store;
  readonly clock: Clock;
  readonly secret: string;
  readonly settingsFor: (portal: string) => PortalSettings;
  readonly globalShadow: boolean;
  /** A background write failed (logged and counted by the composition root). */
  readonly onBackgroundError: (err: unknown, what: string) => void;
  /** Learns which user an app's token acts as, from user.current answers (absent: not learned). */
  readonly appUsers?: AppUsers;
}

export function observeStage(deps: ObserveDeps): ObserveStage {
  return {
    name: 'observe',
    onHead(ctx, head) {
      const state = ctx.state;
      const kind = ctx.classified!.kind;
      // An app's user.current answer says which user its token acts as (lockout/app-users.ts): held.
      const learnApp = kind === 'rest' && head.status === 200 && isAppUserCurrent(deps, ctx) ? { bufferUpTo: USER_CURRENT_ANSWER_BYTES } : undefined;
      // A password change is read even when no policy scores it: its success ends a reset. So is a
      // one-time-code step: its success opens the session, and makes the device known.
      if (!state) return kind === 'password_change' || kind === 'otp' ? { bufferUpTo: LOGIN_ANSWER_HOLD_BYTES } : learnApp;
      if (kind !== 'rest') return { bufferUpTo: LOGIN_ANSWER_HOLD_BYTES };
      // REST streams: the outcome is its status, counted through the batcher (no waiting).
      const outcome = detectOutcome(kind, head, deps.settingsFor(ctx.classified!.portal));
      const counted = recordOutcome(deps, ctx, state, outcome);
      if (counted instanceof Promise) counted.catch((err: unknown) => deps.onBackgroundError(err, 'rest outcome'));
      return learnApp;
    },
    async onAnswer(ctx, answer) {
      const state = ctx.state;
      const c = ctx.classified!;
      // Only user.current of an app is held among REST answers (its outcome was counted at the head).
      if (c.kind === 'rest') {
        learnAppUser(deps, ctx, answer.body);
        return undefined;
      }
      const outcome = detectOutcome(c.kind, { status: answer.status, headers: ctx.upstream?.headers ?? {}, body: answer.body }, deps.settingsFor(c.portal));
      if (!state) {
        if (c.kind === 'password_change' && outcome.success) await passwordChanged(deps, ctx);
        else if (c.kind === 'otp' && outcome.success && !ctx.decoy) await learnAfterSecondFactor(deps, ctx);
        return undefined;
      }
      await recordOutcome(deps, ctx, state, outcome);
      if (ctx.decoy) {
        // The portal was asked with a login nobody has: it cannot have succeeded. If it somehow did,
        // nothing of that answer may reach the client.
        return outcome.success ? plainAnswer(502, 'Bad Gateway.', 'decoy_unexpected_success') : undefined;
      }
      const v = state.outcomeVerdict;
      if (v?.wouldHave?.actions.length) auditWouldHave(deps.act, ctx, v);
      if (v && v.actions.length > 0) {
        const r = await applyVerdict(deps.act, ctx, v);
        // An outcome-phase block on a success swallows it: the session the portal just opened is ended
        // and the client gets the portal's own failure answer instead.
        if (outcome.success && (r.decoy || r.blocked.includes('user'))) return deps.swallow(ctx, answer);
      }
      if (c.kind === 'login' && outcome.success) await learn(deps, ctx, state);
      else if (c.kind === 'login' && outcome.secondFactorAsked) await noteSecondFactor(deps, ctx, state);
      else if (c.kind === 'password_change' && outcome.success) await passwordChanged(deps, ctx);
      else if (c.kind === 'otp' && outcome.success) await learnAfterSecondFactor(deps, ctx);
      return undefined;
    },
  };
}

function isAppUserCurrent(deps: ObserveDeps, ctx: RequestContext): boolean {
  const c = ctx.classified!;
  return deps.appUsers !== undefined && c.principal.restVia === 'oauth' && c.rest?.method === 'user.current' && ctx.credentials?.oauthToken !== undefined;
}

function learnAppUser(deps: ObserveDeps, ctx: RequestContext, body: Buffer | undefined): void {
  const c = ctx.classified!;
  const id = userCurrentId(body);
  const token = ctx.credentials?.oauthToken;
  if (id === undefined || token === undefined || !deps.appUsers) return;
  deps.appUsers.learn(c.portal, appTokenSubject(deps.secret, token), id, deps.clock.now());
}

/**
 * A password change succeeded at the portal: a user in reset_required is active again (the new
 * password works at once), the evidence against the user is cleared (lifecycle: password_changed), and
 * a new password that is weak, common or the old one is reported. A change by phone (USER_PHONE_NUMBER
 * and the SMS check word, no login) is the user's whose phone the portal's directory lists; a number
 * the directory does not give to exactly one person changes nothing here. Settles once the store has it.
 */
async function passwordChanged(deps: ObserveDeps, ctx: RequestContext): Promise<void> {
  const c = ctx.classified!;
  const login = c.principal.login ?? (c.principal.phone ? await loginByPhone(deps.store, c.portal, c.principal.phone).catch(() => undefined) : undefined);
  if (!login) return;
  const uid = userId(deps.secret, c.portal, login);
  const reset = deps.act.view.find(c.portal, 'reset_required', uid);
  const pw = ctx.credentials?.newPassword;
  const signals = pw ? passwordSignals(pw, login, { common: bundledCommonPasswords() }) : undefined;
  const weak = signals !== undefined && (signals.common || signals.strength <= WEAK_STRENGTH_AT_MOST);
  const sameAsOld = Boolean(reset?.oldPasswordHash && pw && oldPasswordHash(deps.secret, c.portal, uid, pw) === reset.oldPasswordHash);
  const done = deps.act.lockout.passwordChanged(c.portal, uid, login, { weak_new_password: weak, same_as_old: sameAsOld, by: c.principal.login ? 'login' : 'phone' });
  if (weak || sameAsOld) {
    deps.act.lockout.audit({ atMs: deps.clock.now(), portal: c.portal, type: 'weak_new_password', actor: 'gateway', user: login, details: { common: signals?.common ?? false, strength: signals?.strength ?? 0, same_as_old: sameAsOld } });
  }
  await done;
}

/** outcome.* signals, the outcome event counted (and outcome counters read), the outcome phase scored. */
function recordOutcome(deps: ObserveDeps, ctx: RequestContext, state: RequestState, outcome: OutcomeReading): void | Promise<void> {
  const c = ctx.classified!;
  state.outcome = outcome;
  state.signals['outcome.success'] = outcome.success;
  state.signals['outcome.failure'] = outcome.failure;
  state.signals['outcome.status'] = outcome.status;
  state.signals['outcome.second_factor_asked'] = outcome.secondFactorAsked;
  const plan = planFor(state.policies, c.kind);
  const events = eventsOfKind(c.kind)!;
  // A password step that asks for the second factor counts as its kind's success (the password was
  // right: an office's second-factor users succeed from its address too), though outcome.success
  // stays false until the one-time-code step opens the session.
  const event = outcome.success || outcome.secondFactorAsked ? events.success : outcome.failure ? events.failed : undefined;
  const score = (): void => {
    if (plan.hasOutcomeRules) state.outcomeVerdict = evaluate(state.policies, 'outcome', c.kind, state.signals, { globalShadow: deps.globalShadow });
  };
  if (event) state.attemptCounters = countersOf(state.signals);
  const counted = event ? countAndRead(deps, state, c.kind, c.portal, event, plan.outcomeCounters, plan.readAtOutcome, deps.clock.now()) : undefined;
  if (counted instanceof Promise) return counted.then(score);
  score();
  return undefined;
}

/** The `counters.*` signals by counter name, as they stand now. */
export function countersOf(signals: Readonly<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  // for…in, not Object.entries: a login has ~50 signals (see observability/event-log.ts).
  for (const name in signals) {
    const value = signals[name];
    if (name.startsWith('counters.') && typeof value === 'number') out[name.slice(9)] = value;
  }
  return out;
}

/**
 * A right password answered with the one-time-code form: the user has a second factor, and this portal
 * session is theirs until the code step (otp-session.ts). The device becomes familiar only once the
 * code step succeeds, or a stolen password alone would make the thief's device "known".
 */
async function noteSecondFactor(deps: ObserveDeps, ctx: RequestContext, state: RequestState): Promise<void> {
  const c = ctx.classified!;
  if (!c.principal.login || !state.userId) return;
  if (!state.user?.secondFactorSeen) {
    const record = rememberSecondFactor(state.user, { id: state.userId, portal: c.portal, login: c.principal.login }, deps.clock.now());
    deps.store.put('users', c.portal, record).catch((err: unknown) => deps.onBackgroundError(err, 'remember second factor'));
  }
  // Waited for: the code step comes next, maybe to another replica, and must find it.
  await rememberOtpSession(deps, ctx, c.principal.login);
}

/** The portal session now waiting for this login's one-time code (otp-session.ts). */
function rememberOtpSession(deps: ObserveDeps, ctx: RequestContext, login: string): Promise<void> {
  const exchange = { requestCookie: ctx.head.headers.cookie, answerSetCookie: ctx.upstream?.headers['set-cookie'] };
  return rememberSessionLogin(deps.store, deps.secret, ctx.classified!.portal, exchange, login, deps.clock.now()).catch((err: unknown) => deps.onBackgroundError(err, 'remember otp session'));
}

/** After a success of the password step: remember the device, the place, and what the password showed. */
function learn(deps: ObserveDeps, ctx: RequestContext, state: RequestState): Promise<void> {
  const c = ctx.classified!;
  const login = c.principal.login;
  if (!login || !state.userId || !state.device) return Promise.resolve();
  return learnDevice(deps, ctx, { uid: state.userId, login }, state.user, state.device, state.geo ?? UNKNOWN_GEO, { ...(state.password ? { password: state.password } : {}), secondFactor: false });
}

/**
 * The one-time-code step opened the session: the user whose password step started it (never one the
 * client names) gets the device known and the device cookie on this answer, as a password step would.
 */
async function learnAfterSecondFactor(deps: ObserveDeps, ctx: RequestContext): Promise<void> {
  const c = ctx.classified!;
  const nowMs = deps.clock.now();
  // Whose code this was, from the session the password step left pending; never from what the client
  // names (a USER_LOGIN or BITRIX_SM_LOGIN on the code step could name anyone). Used once.
  const login = await takeSessionLogin(deps.store, deps.secret, c.portal, ctx.head.headers.cookie, nowMs).catch(() => undefined);
  if (login === undefined) return;
  const who = { uid: userId(deps.secret, c.portal, login), login };
  const prior = await deps.store.get<UserRecord>('users', c.portal, who.uid).catch(() => undefined);
  const cookie = ctx.head.headers.cookie ? readDeviceCookie(deps.secret, ctx.head.headers.cookie, { nowMs }) : NO_DEVICE_COOKIE;
  const device = ctx.state?.device ?? deviceSignals(ctx.head, cookie, historyOf(prior) ?? UNKNOWN_USER, { secret: deps.secret });
  await learnDevice(deps, ctx, who, prior, device, ctx.state?.geo ?? lookupGeo(ctx.head.ip), { secondFactor: true });
}

/** The record after a session-opening success, written (waited for: read your own writes), and the device cookie issued. */
function learnDevice(
  deps: ObserveDeps,
  ctx: RequestContext,
  who: { readonly uid: string; readonly login: string },
  prior: UserRecord | undefined,
  device: DeviceSense,
  geo: GeoLocation,
  step: { readonly password?: PasswordSignals; readonly secondFactor: boolean },
): Promise<void> {
  const c = ctx.classified!;
  const nowMs = deps.clock.now();
  const memory = rememberLoginSuccess({ device, geo, ...(step.password ? { password: step.password } : {}), secondFactor: step.secondFactor, nowMs, mintDeviceId: newDeviceId });
  const record: UserRecord = rememberSuccess(prior, { id: who.uid, portal: c.portal, login: who.login }, memory, nowMs);
  if (memory.device.issueCookie) {
    ctx.extraHeaders = ['Set-Cookie', issueDeviceCookie(deps.secret, { deviceId: memory.device.deviceId, nowMs, secure: ctx.head.secure })];
  }
  // Waited for: the client's next request must find its device known (read your own writes).
  return deps.store.put('users', c.portal, record).catch((err: unknown) => deps.onBackgroundError(err, 'remember user'));
}
