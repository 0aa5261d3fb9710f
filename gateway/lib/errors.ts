/**
 * The one error catalogue. Every error Portcullis reports to a person or a program carries a stable
 * `code` from this table; callers match on `code`, never on message text (as fastify's FST_ERR_* and
 * undici's UND_ERR_*). `docs/errors.md` is generated from this table and a test checks that every code
 * is documented there.
 *
 * Exceptions are for broken infrastructure and broken input files only. Decisions (deny, limit, block)
 * are values of the pipeline, never thrown.
 */
export const ERROR_CATALOG = {
  // Configuration (exit code 2 at start)
  PC_ERR_CONFIG_YAML: 'The configuration file is not valid YAML.',
  PC_ERR_CONFIG_UNKNOWN_KEY: 'A key that the configuration schema does not define (often a typo).',
  PC_ERR_CONFIG_TYPE: 'A value of the wrong type, or outside its allowed values or range.',
  PC_ERR_CONFIG_REQUIRED: 'A required setting is missing.',
  PC_ERR_CONFIG_ENV: 'An environment variable has a value that cannot be used.',
  PC_ERR_CONFIG_FILE: 'A file named by the configuration cannot be read.',
  PC_ERR_CONFIG_SECRET: 'PORTCULLIS_SECRET is missing or too short outside the demo.',
  // Policies (portcullis policy lint; at start exit code 2; on reload the last good set keeps serving)
  PC_ERR_POLICY_FILE: 'A policy file or folder cannot be read, or holds no policy file.',
  PC_ERR_POLICY_YAML: 'A policy (or policy test) file is not valid YAML, or repeats a key.',
  PC_ERR_POLICY_UNKNOWN_KEY: 'A key that the policy schema does not define (often a typo).',
  PC_ERR_POLICY_TYPE: 'A policy value of the wrong type, or outside its allowed values.',
  PC_ERR_POLICY_REQUIRED: 'A required policy key is missing.',
  PC_ERR_POLICY_CEL_SYNTAX: 'A condition (when, where) is not valid CEL.',
  PC_ERR_POLICY_UNKNOWN_SIGNAL: 'A condition names a signal that the signal catalogue does not define.',
  PC_ERR_POLICY_UNDECLARED_COUNTER: "A condition reads counters.<name> that the policy's counters do not declare.",
  PC_ERR_POLICY_CEL_TYPE: 'A condition applies an operator or function to the wrong types, or is not a bool.',
  PC_ERR_POLICY_PHASE: 'An attempt-phase rule (or a counter filter) reads outcome.* signals, which exist only after the portal answered.',
  PC_ERR_POLICY_SIGNAL_KIND: "A condition reads a signal that none of the policy's request kinds (on:) ever has.",
  PC_ERR_POLICY_DUPLICATE: 'A rule id or policy name used twice in a set, or one counter name with two definitions.',
  PC_ERR_POLICY_COUNTER: 'A counter that is neither { count } nor { distinct, of }, or mixes them.',
  PC_ERR_POLICY_ACTION: 'Actions out of order (highest threshold first), or an option that the action does not take.',
  PC_ERR_POLICY_TEST: 'A policy test file names an unknown action, rule or signal, or has no cases.',
  PC_ERR_POLICY_INPUT: 'A request file (policy explain) or an event log line (policy replay) is not a valid record.',
  // Edge (answers to clients; never crash the process)
  PC_ERR_BAD_REQUEST: 'The request could not be parsed as HTTP/1.1, or the portal could read it more than one way (a target a normaliser would change, a field past max_input_vars, an ambiguous multipart body, a login the portal\'s PHP settings could read two ways, an HTTP Basic or Digest login together with a one-time-code or recovery form): answered 400.',
  PC_ERR_BODY_TOO_LARGE: 'A form body over the buffering cap that may reach the login handler (AUTH_FORM in the query, a cookie or the body): answered 413.',
  PC_ERR_BODY_TIMEOUT: 'The client did not send the body in time (answered 408).',
  PC_ERR_UPSTREAM_UNAVAILABLE: 'The portal refused or reset the connection (answered 502).',
  PC_ERR_UPSTREAM_TIMEOUT: 'The portal did not answer in time (answered 504).',
  // Observability
  PC_ERR_LOG_BEHIND: 'stdout did not keep up with the request lines (16 MiB waiting): new lines were dropped until it caught up; requests were answered as usual.',
  // State (store/)
  PC_ERR_STORE_UNAVAILABLE: "Redis did not answer (connection lost, or storeOptions.redis.commandTimeoutMs passed); the request kind's failure mode applied.",
  PC_ERR_STORE_JOURNAL: 'The state journal in stateDir cannot be opened, read or written (check permissions and free space).',
  PC_ERR_STORE_JOURNAL_LINE: 'A journal line failed its checksum (a write torn by a crash, or damage); it was skipped and the rest replayed.',
  PC_ERR_STORE_SCRIPT: 'A Lua script of the Redis store cannot be read, or Redis refused it.',
  PC_ERR_STORE_REPLAY: 'A write queued during a Redis outage could not be replayed yet; it stays queued and is retried.',
  PC_ERR_STORE_QUEUE_FULL: 'The outage queue reached storeOptions.outageMaxQueued: counter adds (then the oldest audit events) were dropped.',
  PC_ERR_STORE_UNCONFIRMED: 'More writes than the bound wait for a Redis replica to confirm them (storeOptions.redis.replicaAcks; no replica is connected?): the oldest are no longer resent after a failover.',
  PC_ERR_STORE_CLOSED: 'The store was used after close().',
  PC_ERR_STORE_RESEEDED: 'Redis lacked records this replica held (restarted without persistence, or lost its last writes): they were written back from the replica\'s view, except those lifted or rewritten meanwhile.',
  // Admin API (answers of the admin listener, and the CLI clients that read them)
  PC_ERR_ADMIN_UNAUTHORIZED: 'The bearer token is missing or wrong (answered 401; the answer does not say which).',
  PC_ERR_ADMIN_ROLE_REFUSED: "The token's role may not call this route (answered 403; `role` is the token's, `allowed_roles` the ones that may).",
  PC_ERR_ADMIN_FORBIDDEN: 'A console state change without the session\'s CSRF token, or from another origin (answered 403).',
  PC_ERR_ADMIN_RATE_LIMITED: 'Too many failed console sign-ins from one address in a minute: its wrong tokens are answered 429, slowly (a right token still signs in).',
  PC_ERR_ADMIN_NOT_FOUND: 'No such route, or no such block, request, user or portal (answered 404).',
  PC_ERR_ADMIN_METHOD_NOT_ALLOWED: 'The route exists but not with this HTTP method (answered 405, with Allow).',
  PC_ERR_ADMIN_MALFORMED_JSON: 'The request body is not valid JSON (answered 400).',
  PC_ERR_ADMIN_BODY_TOO_LARGE: 'The request body is larger than the admin API accepts (answered 413).',
  PC_ERR_ADMIN_UNKNOWN_FIELD: 'The body or query has a field the route does not define (answered 422; `field` names it).',
  PC_ERR_ADMIN_REQUIRED_FIELD: 'A required field is missing (answered 422; `field` names it).',
  PC_ERR_ADMIN_INVALID_FIELD: 'A field has the wrong type, or a value outside its allowed values or format (answered 422; `field` names it).',
  PC_ERR_ADMIN_REQUESTER_REFUSED: 'An unblock request filed by someone who may not file it: unknown to the portal, blocked, inactive, or the blocked user (answered 422).',
  PC_ERR_ADMIN_CHANNEL_REFUSED: 'The sales_email channel was used for a user who is neither an administrator nor the owner (answered 422).',
  PC_ERR_ADMIN_SOLE_USER: 'The blocked user is the only active user of the portal: nobody can vouch for them; register a new account (answered 409).',
  PC_ERR_ADMIN_NOT_BLOCKED: 'An unblock request for a user who has no live block on that portal (answered 409).',
  PC_ERR_ADMIN_REQUEST_OPEN: 'An unblock request for this user is already open; act on it instead (answered 409).',
  PC_ERR_ADMIN_STATE_CONFLICT: 'An unblock request transition out of order, e.g. approving a rejected request (answered 409).',
  PC_ERR_ADMIN_IDENTITY_REQUIRED: "Approving a blocked administrator's or owner's request before verify-identity (answered 409).",
  PC_ERR_ADMIN_POLICY_LOAD: 'A policy reload through the admin API failed; the last good set keeps serving (answered 422).',
  PC_ERR_ADMIN_UNREACHABLE: 'The CLI could not reach the admin API (wrong --url, or the gateway is not running).',
  // Directory sync (portcullis directory sync, and serve's periodic sync)
  PC_ERR_DIRECTORY_SYNC: "The portal's REST could not be read for a directory sync: unreachable, an error answer (the portal's code is shown), or an answer that is not a user list; the previous directory stays in place.",
  PC_ERR_DIRECTORY_NOT_ADMIN: "The webhook of a directory sync is not an administrator's (the portal's user.admin answered false): it may not see every user, so nothing was imported.",
  // Process
  PC_ERR_LISTEN: 'A listener could not bind its address.',
  PC_ERR_INTERNAL: 'An unexpected failure inside the gateway; the request was answered 502 and the process kept running.',
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** A failure with a stable code. `details` never holds a secret. */
export class PortcullisError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'PortcullisError';
    this.code = code;
    this.details = details;
  }
}

/**
 * One problem in an input file, positioned for its author. Every file loader collects all of them
 * before it gives up, so one run shows every mistake.
 */
export interface FileProblem {
  readonly code: ErrorCode;
  readonly file: string;
  /** 1-based; 0 when the problem has no position (a missing file, an environment variable). */
  readonly line: number;
  readonly col: number;
  /** Dotted path of the key, e.g. `portals.crm.example.com.rest.block.status`. Empty for the whole file. */
  readonly keyPath: string;
  readonly problem: string;
  /** Allowed values or names, nearest first. */
  readonly allowed?: readonly string[];
}

/** `file:line:col key.path: problem; allowed: a, b  [PC_ERR_…]` */
export function formatProblem(p: FileProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  const key = p.keyPath ? ` ${p.keyPath}` : '';
  const allowed = p.allowed && p.allowed.length > 0 ? `; allowed: ${p.allowed.join(', ')}` : '';
  return `${where}${key}: ${p.problem}${allowed}  [${p.code}]`;
}

/** Thrown by loaders after collecting: carries every problem found, not only the first. */
export class FileProblems extends PortcullisError {
  readonly problems: readonly FileProblem[];
  constructor(problems: readonly FileProblem[]) {
    super(problems[0]?.code ?? 'PC_ERR_CONFIG_TYPE', problems.map(formatProblem).join('\n'), { count: problems.length });
    this.name = 'FileProblems';
    this.problems = problems;
  }
}
