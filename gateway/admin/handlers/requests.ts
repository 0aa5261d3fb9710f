/** Unblock requests: the support queue and its transitions (the rules live in lockout/unblock-requests.ts). */
import { parsePublicId, RequestRefused, type FileRequest, type UnblockRequest } from '../../lockout/unblock-requests';
import { AdminError } from '../http-io';
import { DEFAULT_LIMIT, paginate } from '../paging';
import { presentRequest } from '../present';
import { validateBody } from '../validate';
import { ok, portalName, type Handler } from './context';

/** The article's refusals as HTTP: who may file is a 422 (fix the request), the state of things a 409. */
const STATUS: Record<string, number> = {
  PC_ERR_ADMIN_NOT_FOUND: 404,
  PC_ERR_ADMIN_REQUESTER_REFUSED: 422,
  PC_ERR_ADMIN_CHANNEL_REFUSED: 422,
  PC_ERR_ADMIN_NOT_BLOCKED: 409,
  PC_ERR_ADMIN_SOLE_USER: 409,
  PC_ERR_ADMIN_REQUEST_OPEN: 409,
  PC_ERR_ADMIN_STATE_CONFLICT: 409,
  PC_ERR_ADMIN_IDENTITY_REQUIRED: 409,
};

/** Runs a rule-checked operation, turning a refusal into its answer. */
async function byRules<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof RequestRefused) throw new AdminError(STATUS[err.code] ?? 409, err.code, err.message, err.details);
    throw err;
  }
}

function refOf(id: string): { portal: string; id: string } {
  const ref = parsePublicId(id);
  if (!ref) throw new AdminError(404, 'PC_ERR_ADMIN_NOT_FOUND', `no unblock request ${id}`);
  return ref;
}

export const listRequests: Handler = async ({ cp, query }) => {
  const portal = query.portal !== undefined ? portalName(String(query.portal)) : '*';
  const all = (await cp.requests.list(portal)).filter((r) => (query.state === undefined || r.state === query.state) && (query.channel === undefined || r.channel === query.channel));
  return ok(paginate(all, (r: UnblockRequest) => [r.createdAtMs, r.portal, r.id], { limit: (query.limit as number | undefined) ?? DEFAULT_LIMIT, ...(query.cursor !== undefined ? { cursor: String(query.cursor) } : {}) }, presentRequest));
};

export const fileRequest: Handler = async ({ cp, body, who }) => {
  const input = validateBody<FileRequest>('UnblockRequestCreate', body);
  const r = await byRules(() => cp.requests.file({ ...input, portal: portalName(input.portal) }, who.name));
  return ok(presentRequest(r), 201);
};

export const getRequest: Handler = async ({ cp, params }) => {
  const ref = refOf(params.id!);
  const r = await cp.requests.get(ref.portal, ref.id);
  if (!r) throw new AdminError(404, 'PC_ERR_ADMIN_NOT_FOUND', `no unblock request ${params.id}`);
  return ok(presentRequest(r));
};

// The `*_by` fields of the bodies are accepted for old clients and ignored: `by` is the token's name.

export const verifyIdentity: Handler = async ({ cp, params, body, who }) => {
  const b = validateBody<{ verified_by?: string; method: string; note?: string }>('VerifyIdentity', body);
  const ref = refOf(params.id!);
  const r = await byRules(() => cp.requests.verifyIdentity(ref.portal, ref.id, { by: who.name, method: b.method, ...(b.note !== undefined ? { note: b.note } : {}) }));
  return ok(presentRequest(r));
};

export const approveRequest: Handler = async ({ cp, params, body, who }) => {
  const b = validateBody<{ approved_by?: string; note?: string }>('Approve', body ?? {});
  const ref = refOf(params.id!);
  const { request, lifted } = await byRules(() => cp.requests.approve(ref.portal, ref.id, { by: who.name, ...(b.note !== undefined ? { note: b.note } : {}) }));
  return ok({ ...presentRequest(request), lifted, reset_required: true });
};

export const rejectRequest: Handler = async ({ cp, params, body, who }) => {
  const b = validateBody<{ rejected_by?: string; reason: string }>('Reject', body);
  const ref = refOf(params.id!);
  const r = await byRules(() => cp.requests.reject(ref.portal, ref.id, { by: who.name, reason: b.reason }));
  return ok(presentRequest(r));
};
