/**
 * The lockout lifecycle (gateway/lockout/lifecycle.ts) under random interleavings of the owner, an
 * attacker and support, with fast-check. No sockets: the real Lockout, BlockView, evidence epoch and
 * memory store (its journal replayed on a restart), on a manual clock, and a small model of the data
 * plane around them that does what enforce + act + observe do:
 *   - a user block or reset_required answers every password login with the decoy (a failure);
 *   - failures are counted per user in the store, keyed by the user's evidence epoch, as the sense
 *     stage keys them; 10 of them block the user (a verdict), and a success after 5 is swallowed and
 *     blocks (the suspicious success), each only if the lifecycle lets a verdict block the user;
 *   - a password change that the portal accepts is reported to the lockout (Lockout.passwordChanged).
 * Invariants: the owner who follows the article always ends logged in; an attacker (guessing, or with
 * the leaked password after the block) never gets a session; a block ends only by support or by its
 * expiry; a restart loses nothing.
 */
import fc from 'fast-check';
import { ManualClock } from '../../gateway/lib/clock';
import { BlockView } from '../../gateway/lockout/block-view';
import { evidenceKey } from '../../gateway/lockout/evidence';
import { transition, type LifecycleEvent, type UserLifecycleState } from '../../gateway/lockout/lifecycle';
import { Lockout } from '../../gateway/lockout/lockout';
import { userId } from '../../gateway/lockout/subjects';
import type { UserRecord } from '../../gateway/pipeline/sense/user-record';
import { MemoryStore } from '../../gateway/store/memory/memory-store';
import { TEST_SECRET, tempDir } from '../helpers/processes';

const PORTAL = 'acme.example';
const LOGIN = 'bob';
const UID = userId(TEST_SECRET, PORTAL, LOGIN);
const BLOCK_AT = 10;
const SUSPICIOUS_AFTER = 5;

type Action =
  | { who: 'owner'; what: 'login' }
  | { who: 'owner'; what: 'old_password' }
  | { who: 'owner'; what: 'recover'; password: string }
  | { who: 'attacker'; what: 'guess'; password: string }
  | { who: 'attacker'; what: 'leaked' }
  | { who: 'support'; what: 'approve' }
  | { who: 'time'; what: 'advance'; ms: number }
  | { who: 'ops'; what: 'restart' };

class World {
  store!: MemoryStore;
  view!: BlockView;
  lockout!: Lockout;
  readonly clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
  readonly dir = tempDir();
  /** The portal's side: bob's password now, and the one leaked before the first block. */
  password = 'Original-Bob-1!';
  readonly leaked = 'Original-Bob-1!';
  changes = 0;
  everLifted = false;

  constructor(private readonly blockMs: number | undefined) {}

  async open(): Promise<void> {
    this.store = await MemoryStore.open({ clock: this.clock, origin: 'test', stateDir: this.dir, maxCounterKeys: 100_000, auditMaxPerPortal: 1000, fsync: 'off', compactAfterBytes: 64 * 1024 * 1024 });
    this.view = new BlockView(this.clock);
    await this.view.follow(this.store, (err) => {
      throw err;
    });
    this.lockout = new Lockout({
      store: this.store,
      view: this.view,
      clock: this.clock,
      onStoreError: (err) => {
        throw err;
      },
    });
  }

  async close(): Promise<void> {
    this.view.stop();
    await this.store.close();
  }

  state(): UserLifecycleState {
    return this.lockout.userState(PORTAL, UID);
  }

  private async failures(add: boolean): Promise<number> {
    const user = await this.store.get<UserRecord>('users', PORTAL, UID);
    const key = JSON.stringify([PORTAL, evidenceKey(UID, user?.evidenceSinceMs)]);
    const r = await this.store.counters([{ portal: PORTAL, counter: 'user_failures_15m', type: 'count', windowMs: 15 * 60_000, key, ...(add ? { add: true as const } : {}) }], this.clock.now());
    if (!r.ok) throw new Error('store down');
    return r.values[0]!;
  }

  /** A verdict asks to block: the act stage asks the lifecycle first. */
  private async verdictBlock(): Promise<void> {
    if (this.lockout.step(PORTAL, UID, 'verdict_block').refused) return;
    if (this.view.find(PORTAL, 'user', UID)) return;
    await this.lockout.block({ portal: PORTAL, kind: 'user', subject: UID, login: LOGIN, actor: 'rule:test', reason: 'test verdict', ...(this.blockMs !== undefined ? { durationMs: this.blockMs } : {}) }).durable;
  }

  /** One password login through the modelled gateway: true when a session was opened. */
  async login(password: string): Promise<boolean> {
    const decoy = this.state() !== 'active';
    const success = !decoy && password === this.password;
    if (!success) {
      const n = await this.failures(true);
      if (n >= BLOCK_AT) await this.verdictBlock();
      return false;
    }
    if ((await this.failures(false)) >= SUSPICIOUS_AFTER && !this.lockout.step(PORTAL, UID, 'verdict_block').refused) {
      await this.verdictBlock(); // the success is swallowed
      return false;
    }
    return true;
  }

  /** Recovery by e-mail and the change with the check word: the portal changes it; the gateway sees it. */
  async recover(newPassword: string): Promise<void> {
    if (this.state() === 'blocked') return; // a blocked user's change gets the decoy
    this.password = newPassword;
    this.changes++;
    await this.lockout.passwordChanged(PORTAL, UID, LOGIN, {});
  }

  async approve(): Promise<void> {
    if (this.state() !== 'blocked') return; // a request is filed for a blocked user only
    await this.lockout.liftUser(PORTAL, UID, 'support:sam').evidence;
    this.everLifted = true;
  }

  async snapshot(): Promise<string> {
    const blocks = this.view
      .list()
      .map((b) => `${b.kind}:${b.subject}:${b.endsAtMs}:${b.offences}`)
      .sort();
    const user = await this.store.get<UserRecord>('users', PORTAL, UID);
    // Counters are not durable records (the memory store keeps them in memory only): blocks, resets and the evidence epoch are.
    return JSON.stringify({ blocks, epoch: user?.evidenceSinceMs ?? null, changedAt: user?.passwordChangedAtMs ?? null });
  }
}

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Action>({ who: 'owner', what: 'login' }) },
  { weight: 3, arbitrary: fc.constant<Action>({ who: 'owner', what: 'old_password' }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9]{8,12}$/).map((p): Action => ({ who: 'owner', what: 'recover', password: `New-${p}!` })) },
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map((p): Action => ({ who: 'attacker', what: 'guess', password: `g:${p}` })) },
  { weight: 2, arbitrary: fc.constant<Action>({ who: 'attacker', what: 'leaked' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ who: 'support', what: 'approve' }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 * 3600 }).map((s): Action => ({ who: 'time', what: 'advance', ms: s * 1000 })) },
  { weight: 1, arbitrary: fc.constant<Action>({ who: 'ops', what: 'restart' }) },
);

test('random interleavings of the owner, an attacker and support keep the lifecycle invariants', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 80 }), fc.option(fc.integer({ min: 1, max: 48 }), { nil: undefined }), fc.integer({ min: 0, max: 30 }), async (actions, blockHours, finalOldTries) => {
      const w = new World(blockHours === undefined ? undefined : blockHours * 3600_000);
      await w.open();
      try {
        let previousPassword: string | undefined;
        for (const a of actions) {
          const before = w.state();
          const blockBefore = w.view.find(PORTAL, 'user', UID);
          switch (a.what) {
            case 'login':
              await w.login(w.password);
              break;
            case 'old_password':
              // The article: after the lift, the user tries the old password (it fails).
              await w.login(previousPassword ?? w.leaked);
              break;
            case 'recover':
              if (w.state() !== 'blocked') previousPassword = w.password;
              await w.recover(a.password);
              break;
            case 'guess':
              expect(await w.login(a.password)).toBe(false);
              break;
            case 'leaked':
              // The leaked password is the attacker's only after the owner has been blocked for it once.
              if (w.everLifted) expect(await w.login(w.leaked)).toBe(false);
              break;
            case 'approve':
              await w.approve();
              break;
            case 'advance':
              w.clock.advance(a.ms);
              break;
            case 'restart': {
              const snap = await w.snapshot();
              await w.close();
              await w.open();
              expect(await w.snapshot()).toBe(snap);
              break;
            }
          }
          // A block ends only by support, or by its expiry.
          if (before === 'blocked' && w.state() !== 'blocked') {
            const byExpiry = a.what === 'advance' && blockBefore?.endsAtMs !== null && blockBefore!.endsAtMs! <= w.clock.now();
            expect(a.what === 'approve' || byExpiry).toBe(true);
          }
          // Nobody but support, expiry or a password change moves a user out of reset_required to active.
          if (before === 'reset_required' && w.state() === 'active') expect(a.what).toBe('recover');
        }

        // The owner follows the article from wherever the interleaving left them.
        let inside = false;
        for (let round = 0; round < 3 && !inside; round++) {
          if (w.state() === 'blocked') await w.approve(); // a colleague asks, support approves
          if (w.state() === 'reset_required') {
            for (let i = 0; i < finalOldTries; i++) expect(await w.login(w.password)).toBe(false); // the old one fails
            expect(w.state()).toBe('reset_required'); // and never re-blocks
            await w.recover(`Article-Bob-${round}-${w.changes}!`);
          }
          inside = await w.login(w.password);
        }
        expect(inside).toBe(true);
      } finally {
        await w.close();
      }
    }),
    { numRuns: 150 },
  );
});

test('the transition table: who may cause what', () => {
  const events: LifecycleEvent[] = ['verdict_block', 'operator_block', 'require_reset', 'support_lift', 'block_expired', 'password_changed', 'reset_cleared'];
  const table = Object.fromEntries(
    (['active', 'blocked', 'reset_required'] as const).map((s) => [s, Object.fromEntries(events.map((e) => [e, transition(s, e).refused ? '-' : `${transition(s, e).next}${transition(s, e).effects.length ? '+clear' : ''}`]))]),
  );
  expect(table).toEqual({
    active: { verdict_block: 'blocked', operator_block: 'blocked', require_reset: 'reset_required', support_lift: '-', block_expired: '-', password_changed: 'active+clear', reset_cleared: '-' },
    blocked: { verdict_block: 'blocked', operator_block: '-', require_reset: '-', support_lift: 'reset_required+clear', block_expired: 'active', password_changed: '-', reset_cleared: '-' },
    reset_required: { verdict_block: '-', operator_block: 'blocked', require_reset: '-', support_lift: '-', block_expired: '-', password_changed: 'active+clear', reset_cleared: 'active' },
  });
});
