/**
 * The JSON Schema of a policy file. One source for the loader (validation with positioned errors, via
 * lib/schema-problems.ts) and for editors (`policies/portcullis-policy.schema.json`, written by
 * `writePolicySchema` / `portcullis policy schema`; every policy file starts with
 * `# yaml-language-server: $schema=./portcullis-policy.schema.json`).
 *
 * Every map is `additionalProperties: false` at every depth. What JSON Schema cannot say well (exactly
 * one of `count`/`distinct`, thresholds in descending order, `limit` only with `do: limit`, CEL) is
 * checked by compile.ts, with the same kind of message.
 */
import { COUNTER_EVENT_NAMES, COUNTER_KEYS, COUNTER_KEY_DESCRIPTIONS } from '../signals/counters/events';
import { DURATION_PATTERN, checkDuration } from './duration';
import { ACTION_DESCRIPTIONS, ACTION_KINDS, ACTION_SCOPES, PHASES, POLICY_KINDS, POLICY_VERSION } from './spec';

/** Names usable in CEL as `counters.<name>`. */
export const COUNTER_NAME_PATTERN = '^[a-z][a-z0-9_]*$';
/** Rule ids and policy names: lower case, digits, `-`, `_` and `.`. */
export const ID_PATTERN = '^[a-z0-9][a-z0-9_.-]*$';

export const POLICY_FORMATS = { duration: checkDuration } as const;

// Validated by the `duration` format (its check explains the refusal); editors get the pattern instead.
const duration = (description: string) => ({ type: 'string', format: 'duration', description });
const cel = (description: string) => ({ type: 'string', minLength: 1, description });
const keyList = (description: string) => ({
  type: 'array',
  description,
  uniqueItems: true,
  items: { type: 'string', enum: [...COUNTER_KEYS] },
});

const counter = {
  type: 'object',
  description:
    'A sliding-window counter, read in conditions as counters.<name> (an int). Either { count: <event> } or { distinct: <key>, of: <event> }. ' +
    `Keys: ${COUNTER_KEYS.map((k) => `${k} = ${COUNTER_KEY_DESCRIPTIONS[k]}`).join('; ')}.`,
  additionalProperties: false,
  required: ['by', 'window'],
  properties: {
    count: { type: 'string', enum: [...COUNTER_EVENT_NAMES], description: 'Count this event.' },
    distinct: { type: 'string', enum: [...COUNTER_KEYS], description: 'Count distinct values of this key (with `of`).' },
    of: { type: 'string', enum: [...COUNTER_EVENT_NAMES], description: 'The event whose distinct `distinct` values are counted.' },
    by: keyList('One window per combination of these keys; an event lacking one of them is not counted. [] is one window for everything.'),
    window: duration('How far back the counter looks, e.g. 15m, 1h.'),
    where: cel("Optional CEL filter on the event's signals (no counters, no outcome.*), e.g. '!device.known' to count unfamiliar devices apart."),
  },
};

const rule = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'when', 'score'],
  properties: {
    id: { type: 'string', pattern: ID_PATTERN, description: 'Unique across every policy file of the set; shown in logs, verdicts and the audit trail.' },
    description: { type: 'string', description: 'Why this rule exists, for the people reading the verdicts.' },
    when: cel('CEL condition over the signal catalogue (docs/signals.md) and this policy\'s counters; must be a bool.'),
    score: { type: 'integer', description: 'Added to the policy score when the rule matches (may be negative, e.g. a known device).' },
    phase: { type: 'string', enum: [...PHASES], description: 'attempt (default): before forwarding. outcome: after the portal answered; may use outcome.*.' },
    mode: { type: 'string', enum: ['shadow'], description: 'shadow: evaluated and reported as would_have, never acted on.' },
  },
};

const actionKind = { type: 'string', enum: [...ACTION_KINDS] };

const action = {
  type: 'object',
  additionalProperties: false,
  required: ['at', 'do'],
  properties: {
    at: { type: 'integer', minimum: 1, description: 'Score threshold: this action applies when the policy score is at least this (highest threshold first).' },
    do: { ...actionKind, description: `What to do. ${ACTION_KINDS.map((k) => `${k}: ${ACTION_DESCRIPTIONS[k]}`).join('; ')}.` },
    also: { type: 'array', uniqueItems: true, items: actionKind, description: 'Further actions taken together with `do` (e.g. block_portal_rest with block_user, as the seed article does).' },
    duration: duration('How long a block or limit lasts; absent: until lifted. Not for deny_attempt or notify.'),
    escalate: {
      type: 'object',
      additionalProperties: false,
      required: ['factor', 'max'],
      description: 'A repeat offence lasts factor times longer than the previous one, up to max.',
      properties: {
        factor: { type: 'number', minimum: 1, description: 'Multiplier per prior offence, e.g. 2.' },
        max: duration('The longest an escalated duration may get, e.g. 24h.'),
      },
    },
    scope: {
      type: 'string',
      enum: [...new Set(Object.values(ACTION_SCOPES).flat())],
      description: 'block_ip: ip (default) or ip_prefix. limit: webhook (default), app, method, portal or user.',
    },
    limit: {
      type: 'object',
      additionalProperties: false,
      required: ['requests', 'per'],
      description: 'For do: limit. requests: 0 blocks the scope (a scoped breaker) instead of the whole portal.',
      properties: {
        requests: { type: 'integer', minimum: 0, description: 'Requests allowed per `per`.' },
        per: duration('The period of the limit, e.g. 1m.'),
      },
    },
  },
};

export const POLICY_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Portcullis policy',
  description: 'One policy file of Portcullis (docs/policies.md). Unknown keys are errors at every depth.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'name', 'on', 'rules'],
  properties: {
    version: { type: 'string', const: POLICY_VERSION, description: `Always ${POLICY_VERSION}.` },
    name: { type: 'string', pattern: ID_PATTERN, description: 'Unique policy name.' },
    description: { type: 'string', description: 'What the policy is for.' },
    on: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...POLICY_KINDS] }, description: 'Request kinds the policy scores.' },
    mode: { type: 'string', enum: ['enforce', 'shadow'], description: 'enforce (default), or shadow: evaluate and report would_have, change nothing.' },
    counters: {
      type: 'object',
      description: 'Counters this policy declares; names are shared across the set (same name, same definition).',
      propertyNames: { pattern: COUNTER_NAME_PATTERN },
      additionalProperties: counter,
    },
    rules: { type: 'array', minItems: 1, items: rule, description: 'Rules; each matching rule adds its score.' },
    actions: { type: 'array', items: action, description: 'Actions by score threshold, highest first; the first whose `at` the score reaches applies.' },
  },
} as const;

/** The schema as written for editors. */
export function policySchemaJson(): string {
  const forEditors = JSON.stringify(
    POLICY_SCHEMA,
    (_key, value: unknown) => {
      if (value && typeof value === 'object' && (value as { format?: string }).format === 'duration') {
        const { format: _format, ...rest } = value as Record<string, unknown>;
        return { ...rest, pattern: DURATION_PATTERN };
      }
      return value;
    },
    2,
  );
  return `${forEditors}\n`;
}
