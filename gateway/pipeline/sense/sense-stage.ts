/**
 * The sense stage: the signals the loaded policies read for this kind of request, and only those
 * (sense/plan.ts), with the request's attempt event counted and its counters read in one store round
 * trip. It pins the policy set for the rest of the request.
 *
 * Order inside, and why:
 *   1. request, rest, password: from the request alone;
 *   2. the user's history (one store read), when a signal or a key needs it;
 *   3. device and geo, which compare the request with that history;
 *   4. the counter keys, then the counter batch: `where:` filters read the signals of 1-3.
 * The password itself is read here and nowhere after: the stage keeps only its signals and hashes.
 */
import type { Clock } from '../../lib/clock';
import type { CompiledPolicySet } from '../../policy/compiled';
import type { CounterKeys } from '../../signals/counters/events';
import { eventsOfKind } from '../../signals/counters/events';
import { readDeviceCookie, NO_DEVICE_COOKIE } from '../../signals/device/device-cookie';
import { deviceSignals } from '../../signals/device/device-signals';
import { geoSignals } from '../../signals/geo/geo-signals';
import { lookupGeo } from '../../signals/geo/lookup';
import { UNKNOWN_USER } from '../../signals/history';
import { subjectsOf } from '../../lockout/subjects';
import { attemptedPasswordHash } from '../../signals/password/attempted-password';
import { bundledCommonPasswords } from '../../signals/password/common-passwords';
import { formHasEncryptedAuth } from '../../signals/password/encrypted';
import { passwordSignals } from '../../signals/password/password-signals';
import { requestSignals } from '../../signals/request-signals';
import { restSignals } from '../../signals/rest-signals';
import { userSignals } from '../../signals/user-signals';
import type { Store } from '../../store/port';
import type { FailureMode } from '../../config/types';
import { plainAnswer } from '../answer';
import type { RequestKind } from '../request';
import type { RequestContext } from '../context';
import type { RequestState } from '../request-state';
import type { BeforeStage } from '../stages';
import { counterBatch } from './counter-ops';
import { planFor, type SensePlan } from './plan';
import type { CounterBatcher } from './counter-batcher';
import type { PortalFactsCache } from './portal-facts';
import type { PortalFacts, UserHistory } from '../../signals/history';
import type { Answer } from '../answer';
import { historyOf, userId, type UserRecord } from './user-record';
import { otpSessionRecordId, requestSessionId, type OtpSessionRecord } from '../outcome/otp-session';
import type { BlockView } from '../../lockout/block-view';
import { prepareDecoy } from '../../lockout/decoy/prepare';

export interface SenseDeps {
  readonly store: Store;
  /** The live policy set; read once per request. */
  readonly policies: () => CompiledPolicySet;
  readonly secret: string;
  readonly clock: Clock;
  readonly ipPrefix: { readonly v4: number; readonly v6: number };
  /** REST counters batched across requests (absent: every request waits for its own round trip). */
  readonly batcher?: CounterBatcher;
  /** Portal-wide facts (active employees), cached; absent: unknown (0). */
  readonly portalFacts?: PortalFactsCache;
  /** Live blocks: a one-time-code step of a blocked user (known from its session) gets the decoy. */
  readonly view?: BlockView;
  /** What a request of each kind gets when the store cannot count (storeOptions.failureModes). */
  readonly failureModes: Readonly<Record<string, FailureMode>>;
}

/** fail_closed: the request is refused while its counters cannot be kept (an honest 503, not a decoy). */
const STORE_DOWN = plainAnswer(503, 'Service Unavailable: the gateway cannot keep its counters right now; try again shortly.', 'store_unavailable');

export function senseStage(deps: SenseDeps): BeforeStage {
  return {
    name: 'sense',
    run(ctx) {
      const set = deps.policies();
      const kind = ctx.classified!.kind;
      const plan = planFor(set, kind);
      if (!plan.active) return undefined; // nothing reads this kind: no work, no promise
      // The one-time-code step's user is its portal session's, never the form's (otp-session.ts).
      const done = kind === 'otp' ? otpUser(deps, ctx).then(() => sense(deps, ctx, set, plan)) : sense(deps, ctx, set, plan);
      const verdict = (): Answer | undefined => (ctx.state?.storeUnavailable && deps.failureModes[kind] === 'fail_closed' ? STORE_DOWN : undefined);
      return done instanceof Promise ? done.then(verdict) : verdict();
    },
  };
}

/**
 * Sets the OTP step's login to the one its PHP session was left pending for, or removes it: PHP
 * ignores a USER_LOGIN sent with the code, so an attacker could otherwise spread guesses over made-up
 * users. A store that cannot answer leaves the step without a user (counted by address).
 */
async function otpUser(deps: SenseDeps, ctx: RequestContext): Promise<void> {
  const c = ctx.classified!;
  const sid = requestSessionId(ctx.head.headers.cookie);
  let login: string | undefined;
  if (sid !== undefined) {
    const record = await deps.store.get<OtpSessionRecord>('portal_facts', c.portal, otpSessionRecordId(deps.secret, c.portal, sid)).catch(() => undefined);
    if (record && record.expiresAtMs > deps.clock.now()) login = record.login;
  }
  const { login: _formLogin, ...rest } = c.principal;
  ctx.classified = { ...c, principal: login !== undefined ? { ...rest, login } : rest };
  // The enforce stage could not know whose step this is (it reads no store): the user's block, here.
  if (login !== undefined && deps.view?.find(c.portal, 'user', userId(deps.secret, c.portal, login))) prepareDecoy(ctx, 'user_blocked');
}

/** `group.name` strings, made once per name (put runs for every group of every request). */
const qualifiedNames = new Map<string, Map<string, string>>();

/** Signals under a group prefix, flattened into `out` (`device` + {known} → `device.known`). */
function put(out: Record<string, unknown>, group: string, values: object): void {
  let names = qualifiedNames.get(group);
  if (!names) qualifiedNames.set(group, (names = new Map()));
  for (const k in values) {
    let name = names.get(k);
    // Signal names are the catalogue's (a few dozen); past that, do not keep odd ones.
    if (name === undefined) {
      name = `${group}.${k}`;
      if (names.size < 256) names.set(k, name);
    }
    out[name] = (values as Record<string, unknown>)[k];
  }
}

/**
 * Synchronous when nothing needs waiting for (a REST call: no user history, counters batched), so the
 * REST path makes no promise; a login waits for the user's history and its exact counters.
 */
function sense(deps: SenseDeps, ctx: RequestContext, set: CompiledPolicySet, plan: SensePlan): void | Promise<void> {
  const c = ctx.classified!;
  const creds = ctx.credentials ?? {};
  const nowMs = deps.clock.now();
  const signals: Record<string, unknown> = {};
  const req = requestSignals({ head: ctx.head, classified: c, clock: deps.clock, ipPrefix: deps.ipPrefix });
  put(signals, 'request', req);

  const login = c.principal.login;
  const uid = login ? userId(deps.secret, c.portal, login) : undefined;
  const state: RequestState = {
    policies: set,
    signals,
    keys: {},
    userId: uid,
    user: undefined,
    device: undefined,
    geo: undefined,
    password: undefined,
    storeUnavailable: false,
    attempt: undefined,
    outcome: undefined,
    outcomeVerdict: undefined,
  };
  ctx.state = state;

  if (plan.groups.has('rest')) put(signals, 'rest', restSignals({ classified: c, secret: deps.secret, credentials: creds }));
  if (plan.groups.has('password')) {
    state.password = passwordSignals(creds.password, login, { common: bundledCommonPasswords() }, {
      encryptedAuth: formHasEncryptedAuth(ctx.form),
      strength: plan.signals.has('password.strength'),
    });
    put(signals, 'password', state.password);
  }

  // The user's history: one read. A store that cannot answer leaves the user unknown.
  if (uid && (plan.needsUser || plan.groups.has('device') || plan.groups.has('geo'))) {
    return deps.store.get<UserRecord>('users', c.portal, uid).then(
      (user) => {
        state.user = user;
        return senseWithHistory(deps, ctx, state, plan, req.ip, nowMs);
      },
      () => {
        state.storeUnavailable = true;
        return senseWithHistory(deps, ctx, state, plan, req.ip, nowMs);
      },
    );
  }
  return senseWithHistory(deps, ctx, state, plan, req.ip, nowMs);
}

function senseWithHistory(deps: SenseDeps, ctx: RequestContext, state: RequestState, plan: SensePlan, ip: string, nowMs: number): void | Promise<void> {
  const c = ctx.classified!;
  const history = historyOf(state.user) ?? UNKNOWN_USER;
  if (plan.groups.has('user') && deps.portalFacts && plan.signals.has('user.active_employees_on_portal')) {
    return deps.portalFacts.get(c.portal).then(
      (facts) => senseTheRest(deps, ctx, state, plan, ip, nowMs, history, facts),
      () => {
        state.storeUnavailable = true;
        return senseTheRest(deps, ctx, state, plan, ip, nowMs, history, undefined);
      },
    );
  }
  return senseTheRest(deps, ctx, state, plan, ip, nowMs, history, undefined);
}

function senseTheRest(
  deps: SenseDeps,
  ctx: RequestContext,
  state: RequestState,
  plan: SensePlan,
  ip: string,
  nowMs: number,
  history: UserHistory,
  facts: PortalFacts | undefined,
): void | Promise<void> {
  const c = ctx.classified!;
  const signals = state.signals;
  if (plan.groups.has('user')) put(signals, 'user', userSignals(c, history, facts));
  if (plan.groups.has('device')) {
    const cookie = ctx.head.headers.cookie ? readDeviceCookie(deps.secret, ctx.head.headers.cookie, { nowMs }) : NO_DEVICE_COOKIE;
    state.device = deviceSignals(ctx.head, cookie, history, { secret: deps.secret });
    put(signals, 'device', state.device.signals);
  }
  if (plan.groups.has('geo')) {
    state.geo = lookupGeo(ip);
    put(signals, 'geo', geoSignals(state.geo, history, nowMs));
  }

  Object.assign(state.keys, counterKeys(deps, ctx, state, plan, ip));
  const events = eventsOfKind(c.kind)!;
  return countAndRead(deps, state, c.kind, c.portal, events.attempt, plan.attemptCounters, plan.readAtAttempt, nowMs);
}

/**
 * Adds `event` to the counters that record it and reads the ones needed, into `state.signals`: from
 * the batcher at once for a batched kind (REST), else in one store round trip.
 */
export function countAndRead(
  deps: Pick<SenseDeps, 'store' | 'batcher'>,
  state: RequestState,
  kind: RequestKind,
  portal: string,
  event: string,
  recording: SensePlan['attemptCounters'],
  reading: SensePlan['readAtAttempt'],
  nowMs: number,
): void | Promise<void> {
  const batch = counterBatch(portal, event, recording, reading, state.keys, state.signals);
  if (batch.ops.length === 0) return undefined;
  if (deps.batcher && kind === 'rest') {
    assign(state, batch.names, deps.batcher.apply(batch.ops, kind));
    return undefined;
  }
  return deps.store.counters(batch.ops, nowMs, { kind }).then(
    (result) => {
      // Store down: counters stay absent, and a rule reading one reports "unresolved" and does not match.
      if (!result.ok) state.storeUnavailable = true;
      else assign(state, batch.names, result.values);
    },
    () => {
      state.storeUnavailable = true;
    },
  );
}

function assign(state: RequestState, names: readonly string[], values: readonly number[]): void {
  for (let i = 0; i < names.length; i++) state.signals[`counters.${names[i]}`] = values[i];
}

/**
 * The values buckets are keyed by. Personal and secret values are keyed hashes. The device is the
 * identity that made it known for this user (its cookie's id, or its fingerprint), and otherwise the
 * client's address: an unknown device's cookie or user agent costs nothing to change, its address does
 * (DeviceSense.countingKey).
 */
function counterKeys(deps: SenseDeps, ctx: RequestContext, state: RequestState, plan: SensePlan, ip: string): CounterKeys {
  const c = ctx.classified!;
  const creds = ctx.credentials ?? {};
  const device = state.device ? state.device.countingKey || (ip ? `ip:${ip}` : '') : '';
  const keys: { -readonly [K in keyof CounterKeys]: CounterKeys[K] } = {
    portal: c.portal,
    ...subjectsOf(deps.secret, c, creds, ip, deps.ipPrefix),
    ...(device ? { device } : {}),
  };
  if (plan.needsPasswordKey && creds.password && c.principal.login) {
    keys.password = attemptedPasswordHash(deps.secret, { portal: c.portal, login: c.principal.login, client: device || ip, password: creds.password });
  }
  return keys;
}
