/**
 * The admin API's routes, as data: method, path, what it does, its query parameters, its body schema
 * and its answers. The server dispatches from this table and ./openapi.ts describes it, so a route
 * cannot exist without being documented (and `docs/admin-api.md` is generated from the document).
 *
 * Paging is `?limit=&cursor=` on every list (./paging.ts).
 */
import { BLOCK_KINDS } from '../lockout/blocks';
import { CHANNELS, REQUEST_STATES } from '../lockout/unblock-requests';
import { DEFAULT_LIMIT, MAX_LIMIT } from './paging';
import type { BodySchemaName } from './schemas';
import type { ErrorCode } from '../lib/errors';

export interface QueryParam {
  readonly name: string;
  readonly type: 'string' | 'integer';
  readonly description: string;
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly format?: 'date-time';
}

export interface RouteSpec {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `{name}` segments are path parameters (one segment each). */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /** Health routes are open; every other route needs a token whose role may call it (./roles.ts). */
  readonly open?: boolean;
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: readonly QueryParam[];
  readonly body?: BodySchemaName;
  /** Status → what it means; the schema of 2xx answers, and the error codes of the others. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: string; readonly list?: boolean; readonly codes?: readonly ErrorCode[]; readonly text?: boolean }>>;
}

const LIMIT: QueryParam = { name: 'limit', type: 'integer', minimum: 1, maximum: MAX_LIMIT, description: `Items per page (default ${DEFAULT_LIMIT}).` };
const CURSOR: QueryParam = { name: 'cursor', type: 'string', description: 'The previous page\'s next_cursor.' };
const PAGED = [LIMIT, CURSOR];

const AUTH = { 401: { description: 'Missing or wrong bearer token (the answer does not say which).', codes: ['PC_ERR_ADMIN_UNAUTHORIZED'] } } as const;
const INVALID = { description: 'A field is unknown, missing, or invalid; `field` names it.', codes: ['PC_ERR_ADMIN_UNKNOWN_FIELD', 'PC_ERR_ADMIN_REQUIRED_FIELD', 'PC_ERR_ADMIN_INVALID_FIELD'] } as const;
const MALFORMED = { description: 'The body is not JSON.', codes: ['PC_ERR_ADMIN_MALFORMED_JSON'] } as const;
const NOT_FOUND = { description: 'No such resource.', codes: ['PC_ERR_ADMIN_NOT_FOUND'] } as const;
const REQUEST_ID = { id: 'The request id, as GET /v1/unblock-requests lists it.' };

export const ROUTES: readonly RouteSpec[] = [
  { operationId: 'healthz', method: 'GET', path: '/healthz', tag: 'operations', open: true, summary: 'The process is alive (liveness).', responses: { 200: { description: '{"status":"ok"}' } } },
  {
    operationId: 'readyz', method: 'GET', path: '/readyz', tag: 'operations', open: true,
    summary: 'Policies are loaded and the store is reachable or in its declared fallback (readiness).',
    responses: { 200: { description: '{"status":"ready"}' }, 503: { description: '{"status":"not_ready","reason":…}' } },
  },
  {
    operationId: 'metrics', method: 'GET', path: '/metrics', tag: 'operations',
    summary: 'Prometheus metrics: requests, verdicts, shadow would-haves, blocks active, store state, propagation lag, reloads, notifications, latency.',
    responses: { 200: { description: 'Prometheus text exposition format.', text: true }, ...AUTH },
  },
  { operationId: 'openapi', method: 'GET', path: '/openapi.json', tag: 'operations', open: true, summary: 'This API as an OpenAPI 3.1 document.', responses: { 200: { description: 'The document.' } } },

  {
    operationId: 'listBlocks', method: 'GET', path: '/v1/blocks', tag: 'blocks',
    summary: 'Live blocks, newest first (reset_required and limit records included; filter by kind).',
    query: [
      { name: 'portal', type: 'string', description: 'Only this portal.' },
      { name: 'user', type: 'string', description: 'Only blocks of this login (user and reset_required).' },
      { name: 'kind', type: 'string', enum: BLOCK_KINDS, description: 'Only this kind.' },
      ...PAGED,
    ],
    responses: { 200: { description: 'A page of blocks.', schema: 'Block', list: true }, ...AUTH, 422: INVALID },
  },
  {
    operationId: 'createBlock', method: 'POST', path: '/v1/blocks', tag: 'blocks', body: 'BlockCreate',
    summary: "An operator's manual block of a user, a portal's REST, or an address or prefix.",
    description: 'Goes through the same lockout operation as a policy verdict (actor `operator:<token name>`: the calling token\'s name, never a name the body claims): enforced at once by this replica, by the others through the store\'s change feed, audited and notified.',
    responses: { 201: { description: 'The block (and the REST block, with_portal_rest).', schema: 'Block', list: true }, 400: MALFORMED, ...AUTH, 422: INVALID },
  },
  {
    operationId: 'liftBlock', method: 'DELETE', path: '/v1/blocks/{id}', tag: 'blocks',
    params: { id: 'The block id, as GET /v1/blocks lists it.' },
    summary: 'Lifts a block.',
    description:
      'A user block is lifted the way support lifts it (Lockout.liftUser): the user block and the portal\'s REST block end together, and the user is put in reset_required — the old password keeps failing until a password change succeeds. This is deliberate: a blocked account may have a leaked password (the seed article: the user "will not be able to use the old password"). Deleting a reset_required record ends the reset (the user changed the password outside the gateway). Any other kind ends alone.',
    query: [{ name: 'operator', type: 'string', description: 'Accepted for older clients and ignored: the audit records the name of the token that lifts (operator:<name>, or support:<name> for a support token).' }],
    responses: { 200: { description: 'What was lifted, and the reset_required record when one was set.' }, ...AUTH, 404: NOT_FOUND, 422: INVALID },
  },

  {
    operationId: 'listUnblockRequests', method: 'GET', path: '/v1/unblock-requests', tag: 'unblock requests',
    summary: 'Unblock requests, oldest first (the support queue).',
    query: [
      { name: 'portal', type: 'string', description: 'Only this portal.' },
      { name: 'state', type: 'string', enum: REQUEST_STATES, description: 'Only this state.' },
      { name: 'channel', type: 'string', enum: CHANNELS, description: 'Only this channel.' },
      ...PAGED,
    ],
    responses: { 200: { description: 'A page of requests.', schema: 'UnblockRequest', list: true }, ...AUTH, 422: INVALID },
  },
  {
    operationId: 'fileUnblockRequest', method: 'POST', path: '/v1/unblock-requests', tag: 'unblock requests', body: 'UnblockRequestCreate',
    summary: 'Files an unblock request, by the seed article\'s rules.',
    description:
      'The blocked user must have a live block. Refused with 409 PC_ERR_ADMIN_SOLE_USER (and the advice to register a new account) when nobody else active can vouch; 422 PC_ERR_ADMIN_CHANNEL_REFUSED when sales_email is used for an employee; 422 PC_ERR_ADMIN_REQUESTER_REFUSED when, on the employee channel, the requester is unknown, inactive, blocked, in reset, or the blocked user; 409 PC_ERR_ADMIN_REQUEST_OPEN when one is already open. A blocked administrator or owner needs verify-identity before approve.',
    responses: {
      201: { description: 'The request, state open.', schema: 'UnblockRequest' },
      400: MALFORMED, ...AUTH,
      409: { description: 'Not blocked, sole user, or a request already open.', codes: ['PC_ERR_ADMIN_NOT_BLOCKED', 'PC_ERR_ADMIN_SOLE_USER', 'PC_ERR_ADMIN_REQUEST_OPEN'] },
      422: { description: 'Invalid body, or refused requester or channel.', codes: [...INVALID.codes, 'PC_ERR_ADMIN_REQUESTER_REFUSED', 'PC_ERR_ADMIN_CHANNEL_REFUSED'] },
    },
  },
  {
    operationId: 'getUnblockRequest', method: 'GET', path: '/v1/unblock-requests/{id}', tag: 'unblock requests', params: REQUEST_ID,
    summary: 'One request, with its history.',
    responses: { 200: { description: 'The request.', schema: 'UnblockRequest' }, ...AUTH, 404: NOT_FOUND },
  },
  {
    operationId: 'verifyIdentity', method: 'POST', path: '/v1/unblock-requests/{id}/verify-identity', tag: 'unblock requests', params: REQUEST_ID, body: 'VerifyIdentity',
    summary: 'Records that support verified the blocked user\'s identity (required for an administrator or owner): open → identity_verified.',
    responses: { 200: { description: 'The request.', schema: 'UnblockRequest' }, 400: MALFORMED, ...AUTH, 404: NOT_FOUND, 409: { description: 'Not open.', codes: ['PC_ERR_ADMIN_STATE_CONFLICT'] }, 422: INVALID },
  },
  {
    operationId: 'approveUnblockRequest', method: 'POST', path: '/v1/unblock-requests/{id}/approve', tag: 'unblock requests', params: REQUEST_ID, body: 'Approve',
    summary: 'Approves: lifts the user block and the portal\'s REST block, and sets reset_required (the user must set a new password).',
    responses: {
      200: { description: 'The request (approved) and the kinds lifted.' },
      400: MALFORMED, ...AUTH, 404: NOT_FOUND,
      409: { description: 'Identity not verified yet (administrator or owner), or the request is decided.', codes: ['PC_ERR_ADMIN_IDENTITY_REQUIRED', 'PC_ERR_ADMIN_STATE_CONFLICT'] },
      422: INVALID,
    },
  },
  {
    operationId: 'rejectUnblockRequest', method: 'POST', path: '/v1/unblock-requests/{id}/reject', tag: 'unblock requests', params: REQUEST_ID, body: 'Reject',
    summary: 'Rejects, with a reason. The block stays.',
    responses: { 200: { description: 'The request.', schema: 'UnblockRequest' }, 400: MALFORMED, ...AUTH, 404: NOT_FOUND, 409: { description: 'Already decided.', codes: ['PC_ERR_ADMIN_STATE_CONFLICT'] }, 422: INVALID },
  },

  {
    operationId: 'importDirectory', method: 'PUT', path: '/v1/portals/{portal}/directory', tag: 'users', params: { portal: 'The portal (host name).' }, body: 'DirectoryImport',
    summary: "Replaces the portal's directory: its users' login, email, name, admin, owner and active flags (never passwords).",
    description: 'The unblock-request rules read it (who is an admin, who is an active employee), and the admin/owner flags reach the `user.admin` / `user.owner` signals.',
    responses: { 200: { description: '{ imported, removed }' }, 400: MALFORMED, ...AUTH, 422: INVALID },
  },
  {
    operationId: 'getDirectory', method: 'GET', path: '/v1/portals/{portal}/directory', tag: 'users', params: { portal: 'The portal (host name).' },
    summary: "The portal's imported directory.",
    responses: { 200: { description: 'The entries.' }, ...AUTH },
  },
  {
    operationId: 'listUsers', method: 'GET', path: '/v1/users', tag: 'users',
    summary: "A portal's users (directory, users seen logging in, and blocked logins), by login.",
    query: [{ name: 'portal', type: 'string', description: 'The portal (required).' }, { name: 'state', type: 'string', enum: ['active', 'blocked', 'reset_required'], description: 'Only this state.' }, ...PAGED],
    responses: { 200: { description: 'A page of users.', schema: 'User', list: true }, ...AUTH, 422: INVALID },
  },
  {
    operationId: 'getUser', method: 'GET', path: '/v1/users/{portal}/{login}', tag: 'users', params: { portal: 'The portal (host name).', login: 'The login (URL-encoded).' },
    summary: "One user's state (active, blocked, reset_required), known devices, last success, second factor seen.",
    responses: { 200: { description: 'The user.', schema: 'User' }, ...AUTH, 404: NOT_FOUND },
  },
  {
    operationId: 'getPosture', method: 'GET', path: '/v1/portals/{portal}/posture', tag: 'users', params: { portal: 'The portal (host name).' },
    summary: 'The prevention report: no second factor observed, weak or common passwords seen (counts and logins, never passwords), blocks in the last 30 days.',
    responses: { 200: { description: 'The report.', schema: 'Posture' }, ...AUTH },
  },

  {
    operationId: 'listAudit', method: 'GET', path: '/v1/audit', tag: 'audit',
    summary: 'The audit trail, newest first.',
    query: [
      { name: 'portal', type: 'string', description: 'Only this portal.' },
      { name: 'type', type: 'string', description: 'Only this type (user_blocked, rest_blocked, block_lifted, reset_required, reset_done, unblock_request_filed, …).' },
      { name: 'user', type: 'string', description: 'Only events about this login.' },
      { name: 'since', type: 'string', format: 'date-time', description: 'Only events at or after this time (ISO 8601).' },
      ...PAGED,
    ],
    responses: { 200: { description: 'A page of events.', schema: 'AuditEvent', list: true }, ...AUTH, 422: INVALID },
  },

  { operationId: 'getPolicies', method: 'GET', path: '/v1/policies', tag: 'policies', summary: 'The effective policy set: version, files, policies and rules, and the last reload with its load errors.', responses: { 200: { description: 'The set.' }, ...AUTH } },
  {
    operationId: 'reloadPolicies', method: 'POST', path: '/v1/policies/reload', tag: 'policies',
    summary: 'Reloads the policy folder; a broken set leaves the last good one serving.',
    responses: { 200: { description: 'The reload result.' }, ...AUTH, 422: { description: 'The set has problems (each with file:line:col); the last good set keeps serving.', codes: ['PC_ERR_ADMIN_POLICY_LOAD'] } },
  },
  {
    operationId: 'explainPolicies', method: 'POST', path: '/v1/policies/explain', tag: 'policies', body: 'ExplainRequest',
    summary: 'Evaluates one request against the loaded set: every rule\'s result and why, the score and the action (as `portcullis policy explain`).',
    responses: { 200: { description: '{ verdict, signals, text }' }, 400: MALFORMED, ...AUTH, 422: INVALID },
  },
];
