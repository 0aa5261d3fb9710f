/**
 * Validation of bodies and query strings. Bodies go through ajv with the schemas of ./schemas.ts (the
 * same objects the OpenAPI document shows), by the shared schema-problems machinery that writes the
 * configuration's messages; the first problem is the answer's `field` and `message`, all of them are
 * in `problems`.
 */
import type { FileProblem } from '../lib/errors';
import { compileSchema, type SchemaCodes, type SchemaValidator } from '../lib/schema-problems';
import { AdminError } from './http-io';
import type { QueryParam } from './routes';
import { BODY_SCHEMAS, type BodySchemaName } from './schemas';

const ADMIN_CODES: SchemaCodes = {
  unknownKey: 'PC_ERR_ADMIN_UNKNOWN_FIELD',
  invalid: 'PC_ERR_ADMIN_INVALID_FIELD',
  required: 'PC_ERR_ADMIN_REQUIRED_FIELD',
};

const validators = new Map<BodySchemaName, SchemaValidator>();

function validatorOf(name: BodySchemaName): SchemaValidator {
  let v = validators.get(name);
  if (!v) validators.set(name, (v = compileSchema(BODY_SCHEMAS[name])));
  return v;
}

const NOWHERE = (): { line: number; col: number } => ({ line: 0, col: 0 });

function toError(problems: readonly FileProblem[]): AdminError {
  const first = problems[0]!;
  const allowed = (p: FileProblem): string => (p.allowed && p.allowed.length > 0 ? `; allowed: ${p.allowed.join(', ')}` : '');
  const message = (p: FileProblem): string => `${p.keyPath || 'body'}: ${p.problem}${allowed(p)}`;
  return new AdminError(422, first.code, message(first), {
    field: first.keyPath || 'body',
    problems: problems.map((p) => ({ field: p.keyPath || 'body', code: p.code, problem: `${p.problem}${allowed(p)}` })),
  });
}

/** The body, checked against its schema; throws the 422 answer. */
export function validateBody<T>(name: BodySchemaName, value: unknown): T {
  if (value === undefined) throw new AdminError(422, 'PC_ERR_ADMIN_REQUIRED_FIELD', 'a JSON body is required', { field: 'body' });
  const problems = validatorOf(name).problems(value, { file: 'body', locate: NOWHERE, codes: ADMIN_CODES });
  if (problems.length > 0) throw toError(problems);
  return value as T;
}

export type QueryValues = Record<string, string | number | undefined>;

/** Query parameters by the route's declarations: unknown ones are 422 like unknown body fields. */
export function validateQuery(params: readonly QueryParam[] | undefined, search: URLSearchParams): QueryValues {
  const declared = new Map((params ?? []).map((p) => [p.name, p]));
  const out: QueryValues = {};
  for (const [name, raw] of search) {
    const p = declared.get(name);
    const fail = (code: 'PC_ERR_ADMIN_UNKNOWN_FIELD' | 'PC_ERR_ADMIN_INVALID_FIELD', problem: string): never => {
      throw new AdminError(422, code, `${name}: ${problem}`, { field: name });
    };
    if (!p) fail('PC_ERR_ADMIN_UNKNOWN_FIELD', `unknown query parameter; allowed: ${[...declared.keys()].join(', ') || 'none'}`);
    if (out[name] !== undefined) fail('PC_ERR_ADMIN_INVALID_FIELD', 'given twice');
    if (p!.type === 'integer') {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || (p!.minimum !== undefined && n < p!.minimum) || (p!.maximum !== undefined && n > p!.maximum)) {
        fail('PC_ERR_ADMIN_INVALID_FIELD', `expected an integer from ${p!.minimum ?? 0} to ${p!.maximum ?? '∞'}, got ${JSON.stringify(raw)}`);
      }
      out[name] = n;
      continue;
    }
    if (raw === '') fail('PC_ERR_ADMIN_INVALID_FIELD', 'must not be empty');
    if (p!.enum && !p!.enum.includes(raw)) fail('PC_ERR_ADMIN_INVALID_FIELD', `${JSON.stringify(raw)} is not an allowed value; allowed: ${p!.enum.join(', ')}`);
    if (p!.format === 'date-time' && Number.isNaN(Date.parse(raw))) fail('PC_ERR_ADMIN_INVALID_FIELD', `${JSON.stringify(raw)} is not an ISO 8601 time`);
    out[name] = raw;
  }
  return out;
}
