/**
 * The JSON Schemas of the admin API: request bodies (the validator compiles exactly these) and the
 * shapes of answers. The OpenAPI document (./openapi.ts) puts the same objects under
 * components.schemas, so the contract a client reads and the check a request meets are one source.
 *
 * Conventions: snake_case fields; `additionalProperties: false` on every body object, so a misspelt
 * field is a 422 naming it rather than a silently ignored one; no field ever holds a password.
 */
import { DURATION_PATTERN } from '../policy/duration';
import { REQUEST_KINDS } from '../pipeline/request';
import { PHASES } from '../policy/spec';
import { BLOCK_KINDS } from '../lockout/blocks';
import { CHANNELS, REQUEST_STATES } from '../lockout/unblock-requests';

const text = (description: string, maxLength = 200) => ({ type: 'string', minLength: 1, maxLength, description });
const portal = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9.:\\[\\]-]+$', description: 'The portal: its host name as the gateway reads it from Host (lower case, no port).' };
/** A name the caller types: accepted from older clients and ignored, since the audit records the token's name. */
const claimedName = (who: string) => ({ type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\s:][^:]*$', description: `${who}'s name as typed: optional, accepted for older clients and ignored; the audit records the name of the token that calls.` });
const email = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' };

export const MANUAL_BLOCK_KINDS = ['user', 'portal_rest', 'ip', 'ip_prefix'] as const;

export const BODY_SCHEMAS = {
  BlockCreate: {
    type: 'object',
    description: "An operator's manual block: a user (with `user`), the portal's REST, or an address or prefix (with `ip`).",
    additionalProperties: false,
    required: ['portal', 'kind', 'reason'],
    properties: {
      portal,
      kind: { type: 'string', enum: MANUAL_BLOCK_KINDS, description: 'user: the login; portal_rest: every REST call of the portal; ip / ip_prefix: an address, or a prefix of the length the gateway groups by (/24, /64 by default).' },
      user: text('The login to block (kind user).'),
      ip: text('The address (kind ip) or the prefix in CIDR form, e.g. 203.0.113.0/24 (kind ip_prefix).', 64),
      with_portal_rest: { type: 'boolean', description: "Kind user: also block the portal's REST, as a policy's block_user + block_portal_rest does (the seed's behaviour). Default false." },
      reason: text('Why: shown in the block list, the audit trail and notifications.', 500),
      duration: { type: 'string', pattern: DURATION_PATTERN, description: 'How long, e.g. 30m, 2h, 7d; absent: until lifted.' },
      operator: claimedName('The operator'),
    },
  },
  UnblockRequestCreate: {
    type: 'object',
    description: "An unblock request as the seed article asks for it: the portal's address, the blocked user's name and email, who asks, and by which channel.",
    additionalProperties: false,
    required: ['portal', 'blocked_user', 'name', 'email', 'requested_by', 'channel'],
    properties: {
      portal,
      blocked_user: text('The blocked user: login or email.'),
      name: text("The blocked user's name, as the requester gives it."),
      email: { ...email, description: "The blocked user's email, as the requester gives it." },
      requested_by: text('Who asks: login or email of the portal admin or active colleague (channel employee), or the address the mail came from (channel sales_email).'),
      channel: { type: 'string', enum: CHANNELS, description: 'employee: filed for the user by their admin or an active colleague. sales_email: a blocked administrator or owner wrote to the vendor, since they cannot reach support.' },
    },
  },
  VerifyIdentity: {
    type: 'object',
    additionalProperties: false,
    required: ['method'],
    properties: {
      verified_by: claimedName('The support person'),
      method: text('How identity was verified, e.g. "video call", "signed letter", "callback to the number on file".'),
      note: text('Anything support wants on record.', 1000),
    },
  },
  Approve: {
    type: 'object',
    additionalProperties: false,
    properties: { approved_by: claimedName('The support person'), note: text('Anything support wants on record.', 1000) },
  },
  Reject: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { rejected_by: claimedName('The support person'), reason: text('Why: told to whoever asked.', 1000) },
  },
  DirectoryImport: {
    type: 'array',
    description: "The portal's users as its directory says; replaces the previous import. Never a password (an unknown field is refused).",
    maxItems: 50000,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['login'],
      properties: {
        login: text('The login, as typed at the login form.'),
        email: email,
        name: text('Full name.'),
        admin: { type: 'boolean', description: 'A portal administrator. Default false.' },
        owner: { type: 'boolean', description: 'The account owner (an administrator too). Default false.' },
        active: { type: 'boolean', description: 'false: a dismissed employee, who cannot vouch for anyone. Default true.' },
        phone: { type: 'string', minLength: 1, maxLength: 64, description: 'A phone number the portal recovers the password by.' },
        id: { type: 'integer', minimum: 1, maximum: 9007199254740991, description: "The portal's numeric user ID (user.get's ID): a user block then also refuses the REST calls of this user's incoming webhooks." },
      },
    },
  },
  ExplainRequest: {
    type: 'object',
    description: 'The same request file as `portcullis policy explain --request`: a request kind, the signals and counters, optionally prior offences.',
    additionalProperties: false,
    required: ['kind'],
    properties: {
      at: { type: ['string', 'number'], description: 'ISO 8601 time or epoch milliseconds (optional).' },
      kind: { type: 'string', enum: REQUEST_KINDS },
      phase: { type: 'string', enum: PHASES, description: 'Default attempt.' },
      signals: { type: 'object', description: 'Signal values by dotted name, or nested groups; absent ones take their catalogue value for unknown.' },
      counters: { type: 'object', description: 'Counter values by name.', additionalProperties: { type: 'number' } },
      prior_offences: { type: 'object', description: 'Earlier offences by subject (user, ip, …), for escalated durations.', additionalProperties: { type: 'integer', minimum: 0 } },
      global_shadow: { type: 'boolean', description: 'Evaluate everything, act on nothing.' },
      verdict: { type: 'object', description: 'A recorded verdict (event-log lines carry one); ignored by explain.' },
    },
  },
} as const;

export type BodySchemaName = keyof typeof BODY_SCHEMAS;

const iso = { type: 'string', format: 'date-time' };
const strList = { type: 'array', items: { type: 'string' } };
const group = { type: 'object', properties: { count: { type: 'integer' }, users: strList } };

/** Shapes of answers (documentation only: the server builds them in ./present.ts). */
export const ANSWER_SCHEMAS = {
  Error: {
    type: 'object',
    required: ['error', 'code', 'message'],
    properties: {
      error: { type: 'string', description: 'A short word for the class of error (unauthorized, not_found, invalid_request, conflict, …).' },
      code: { type: 'string', description: 'The stable PC_ERR_* code (docs/errors.md). Match on this, never on the message.' },
      message: { type: 'string' },
      field: { type: 'string', description: 'The body or query field at fault (422).' },
      problems: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, code: { type: 'string' }, problem: { type: 'string' } } } },
      advice: { type: 'string' },
    },
  },
  Block: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'URL-safe, unique across portals; use it with DELETE /v1/blocks/{id}.' },
      portal: { type: 'string' },
      kind: { type: 'string', enum: BLOCK_KINDS },
      user: { type: 'string', description: 'The login (user and reset_required).' },
      subject: { type: 'string', description: 'The address or prefix (ip, ip_prefix), the method, or a keyed hash (webhook, app); absent for user kinds.' },
      actor: { type: 'string', description: 'rule:<id>, or operator:<token name> / support:<token name> (the name of the admin token that made it).' },
      reason: { type: 'string' },
      rules: strList,
      score: { type: 'number' },
      created_at: iso,
      ends_at: { type: ['string', 'null'], format: 'date-time', description: 'null: until lifted.' },
      offences: { type: 'integer' },
      rate: { type: 'object', properties: { requests: { type: 'integer' }, per_ms: { type: 'integer' } } },
    },
  },
  UnblockRequest: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      portal: { type: 'string' },
      blocked_user: { type: 'string' },
      blocked_login: { type: 'string' },
      role: { type: 'string', enum: ['employee', 'admin', 'owner'] },
      name: { type: 'string' },
      email: { type: 'string' },
      requested_by: { type: 'string' },
      channel: { type: 'string', enum: CHANNELS },
      state: { type: 'string', enum: REQUEST_STATES },
      identity_required: { type: 'boolean' },
      directory_match: { type: 'object', properties: { name: { type: ['boolean', 'null'] }, email: { type: ['boolean', 'null'] } } },
      created_at: iso,
      updated_at: iso,
      identity: { type: 'object', properties: { by: { type: 'string' }, method: { type: 'string' }, at: iso, note: { type: 'string' } } },
      decision: { type: 'object', properties: { by: { type: 'string' }, at: iso, reason: { type: 'string' }, note: { type: 'string' } } },
      history: { type: 'array', items: { type: 'object', properties: { at: iso, state: { type: 'string' }, actor: { type: 'string' }, note: { type: 'string' } } } },
      next: { type: 'array', items: { type: 'string' }, description: 'The transitions allowed now (verify-identity, approve, reject).' },
    },
  },
  User: {
    type: 'object',
    properties: {
      portal: { type: 'string' },
      login: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean' },
      owner: { type: 'boolean' },
      active_employee: { type: 'boolean', description: "The directory's word (true when it does not list the user)." },
      in_directory: { type: 'boolean' },
      state: { type: 'string', enum: ['active', 'blocked', 'reset_required'] },
      seen_logging_in: { type: 'boolean' },
      known_devices: { type: 'integer' },
      last_success: { type: ['object', 'null'], properties: { at: iso, country: { type: 'string' } } },
      second_factor_seen: { type: 'boolean' },
      weak_password_seen: { type: 'boolean' },
      block: { $ref: '#/components/schemas/Block' },
    },
  },
  Posture: {
    type: 'object',
    properties: {
      portal: { type: 'string' },
      users: { type: 'integer' },
      observed: { type: 'integer', description: 'Users seen logging in successfully; the observations are about them.' },
      not_observed: group,
      no_second_factor: group,
      admins_without_second_factor: group,
      weak_or_common_password_seen: group,
      currently: { type: 'object', properties: { blocked: group, reset_required: group } },
      blocks_last_30_days: { type: 'object', properties: { total: { type: 'integer' }, by_type: { type: 'object' }, by_actor: { type: 'object' }, users: strList } },
      advice: strList,
    },
  },
  AuditEvent: {
    type: 'object',
    properties: { at: iso, portal: { type: 'string' }, type: { type: 'string' }, actor: { type: 'string' }, user: { type: 'string' }, details: { type: 'object' } },
  },
} as const;
