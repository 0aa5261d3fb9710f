/**
 * Blocks: list, an operator's manual block, lift. Every change goes through Lockout (the one code that
 * changes blocks), so it is enforced at once here, reaches the other replicas by the change feed, and
 * is audited and notified like a policy's block.
 */
import { isIP } from 'node:net';
import { ipPrefix } from '../../lib/ip';
import type { BlockKind, BlockRecord } from '../../lockout/blocks';
import { userId } from '../../lockout/subjects';
import { parsePublicId } from '../../lockout/unblock-requests';
import { parseDuration } from '../../policy/duration';
import { AdminError } from '../http-io';
import { actorOf } from '../roles';
import { DEFAULT_LIMIT, paginate } from '../paging';
import { presentBlock } from '../present';
import { validateBody } from '../validate';
import { ok, portalName, type Call, type Handler } from './context';

interface BlockCreate {
  portal: string;
  kind: 'user' | 'portal_rest' | 'ip' | 'ip_prefix';
  user?: string;
  ip?: string;
  with_portal_rest?: boolean;
  reason: string;
  duration?: string;
  operator?: string;
}

export const listBlocks: Handler = async ({ cp, query }) => {
  const portal = query.portal !== undefined ? portalName(String(query.portal)) : undefined;
  const user = query.user !== undefined ? String(query.user).trim().toLowerCase() : undefined;
  const items = cp.view.list().filter((b) => (portal === undefined || b.portal === portal) && (query.kind === undefined || b.kind === query.kind) && (user === undefined || b.login?.toLowerCase() === user));
  return ok(paginate(items, (b) => [-b.createdAtMs, b.portal, b.id], { limit: (query.limit as number | undefined) ?? DEFAULT_LIMIT, ...(query.cursor !== undefined ? { cursor: String(query.cursor) } : {}) }, presentBlock));
};

const invalid = (field: string, message: string): AdminError => new AdminError(422, 'PC_ERR_ADMIN_INVALID_FIELD', `${field}: ${message}`, { field });

/** The subject the enforce stage will look the block up by (subjects.ts), from what the operator typed. */
function subjectOf(cp: Call['cp'], b: BlockCreate, portal: string): { subject: string; login?: string } {
  switch (b.kind) {
    case 'user':
      if (!b.user) throw new AdminError(422, 'PC_ERR_ADMIN_REQUIRED_FIELD', 'user: required for kind user (the login)', { field: 'user' });
      return { subject: userId(cp.secret, portal, b.user), login: b.user.trim() };
    case 'portal_rest':
      return { subject: '' };
    case 'ip': {
      if (!b.ip || isIP(b.ip) === 0) throw invalid('ip', `expected an IPv4 or IPv6 address for kind ip, got ${JSON.stringify(b.ip ?? '')}`);
      return { subject: b.ip };
    }
    case 'ip_prefix': {
      const m = /^(.+)\/(\d{1,3})$/.exec(b.ip ?? '');
      const family = m ? isIP(m[1]!) : 0;
      const want = family === 6 ? cp.ipPrefix.v6 : cp.ipPrefix.v4;
      // The enforce stage matches the client's address grouped by the configured prefix length only.
      if (!m || family === 0 || Number(m[2]) !== want) throw invalid('ip', `expected a prefix of the length the gateway groups addresses by (/${cp.ipPrefix.v4} for IPv4, /${cp.ipPrefix.v6} for IPv6), e.g. 203.0.113.0/${cp.ipPrefix.v4}; got ${JSON.stringify(b.ip ?? '')}`);
      return { subject: ipPrefix(m[1]!, cp.ipPrefix) };
    }
  }
}

export const createBlock: Handler = async ({ cp, body, who }) => {
  const b = validateBody<BlockCreate>('BlockCreate', body);
  const portal = portalName(b.portal);
  if (b.kind !== 'user' && b.user !== undefined) throw invalid('user', `only for kind user, not ${b.kind}`);
  if ((b.kind === 'user' || b.kind === 'portal_rest') && b.ip !== undefined) throw invalid('ip', `only for kinds ip and ip_prefix, not ${b.kind}`);
  if (b.with_portal_rest !== undefined && b.kind !== 'user') throw invalid('with_portal_rest', 'only for kind user');
  const { subject, login } = subjectOf(cp, b, portal);
  const durationMs = b.duration !== undefined ? parseDuration(b.duration) : undefined;
  if (durationMs === 0) throw invalid('duration', 'must be longer than 0');
  // The actor is the token's name; the body's `operator` is accepted for old clients and ignored.
  const common = { portal, actor: actorOf('operator', who), reason: b.reason, ...(durationMs !== undefined ? { durationMs } : {}) };
  const made: BlockRecord[] = [];
  const durable: Promise<void>[] = [];
  const add = (kind: BlockKind, s: string, l?: string): void => {
    const r = cp.lockout.block({ ...common, kind, subject: s, ...(l !== undefined ? { login: l } : {}) });
    made.push(r.record);
    durable.push(r.durable);
  };
  add(b.kind, subject, login);
  if (b.kind === 'user' && b.with_portal_rest) add('portal_rest', '');
  // As the act stage does: answer once the store has it, so a block the operator saw survives a crash.
  await Promise.all(durable);
  return ok({ items: made.map(presentBlock) }, 201);
};

export const liftBlock: Handler = async ({ cp, params, who }) => {
  const ref = parsePublicId(params.id!);
  const record = ref ? cp.view.list().find((b) => b.portal === ref.portal && b.id === ref.id) : undefined;
  if (!ref || !record) throw new AdminError(404, 'PC_ERR_ADMIN_NOT_FOUND', `no live block ${params.id} (GET /v1/blocks lists them)`);
  // The token's name, as support or operator by its role; the `operator` query parameter is ignored.
  const actor = actorOf(who.role === 'support' ? 'support' : 'operator', who);
  if (record.kind === 'user') {
    const { lifted, reset } = cp.lockout.liftUser(record.portal, record.subject, actor);
    return ok({ lifted: lifted.map(presentBlock), reset_required: presentBlock(reset) });
  }
  cp.lockout.lift(record, actor);
  return ok({ lifted: [presentBlock(record)] });
};
