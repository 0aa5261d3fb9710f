/**
 * JSON Schema validation whose errors are written for the person who wrote the file. Shared by every
 * loader of an input file (configuration now, policies next): the caller owns the schema and the codes,
 * this module owns turning ajv's errors into `FileProblem`s, all of them, sorted by position.
 *
 * Conventions the schemas follow so the messages stay good:
 * - `additionalProperties: false` at every depth, so unknown keys are found (with the nearest names);
 * - alternatives (`anyOf`/`oneOf`) differ by type, so the branch the author meant can be picked from
 *   the value's type; a tagged union uses ajv's `discriminator` instead (one branch, precise errors);
 * - string syntaxes are named formats with a check that returns a reason (see `StringFormat`).
 */
import Ajv, { type ErrorObject } from 'ajv';
import type { ErrorCode, FileProblem } from './errors';
import { nearest } from './nearest';
import { formatKeyPath, type KeyPath, type Position } from './yaml-source';

/** Returns why `value` is not valid, or null when it is. */
export type StringCheck = (value: string) => string | null;

export interface SchemaCodes {
  /** A key the schema does not define. */
  readonly unknownKey: ErrorCode;
  /** Wrong type, value outside its enum or range, bad syntax. */
  readonly invalid: ErrorCode;
  /** A required key is missing. */
  readonly required: ErrorCode;
}

export interface ProblemContext {
  readonly file: string;
  /** Position of a key path in the file; `() => ({ line: 0, col: 0 })` for sources without positions. */
  readonly locate: (path: KeyPath, target?: 'key' | 'value') => Position;
  readonly codes: SchemaCodes;
}

export interface SchemaValidator {
  /** Every problem of `value`, sorted by position; empty when valid. */
  problems(value: unknown, context: ProblemContext): FileProblem[];
}

export interface CompileOptions {
  /** Named string formats used by the schema (`format: host-port`), each with a check that explains. */
  readonly formats?: Readonly<Record<string, StringCheck>>;
}

export function compileSchema(schema: object, options: CompileOptions = {}): SchemaValidator {
  // strict: a misspelt keyword in our own schema is our bug, found at compile time, not a silent pass.
  // verbose: errors carry the offending data and parent schema, which the messages need.
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true, discriminator: true, allowUnionTypes: true });
  const formats = options.formats ?? {};
  for (const [name, check] of Object.entries(formats)) {
    ajv.addFormat(name, { type: 'string', validate: (value: string) => check(value) === null });
  }
  const validate = ajv.compile(schema);
  return {
    problems(value, context) {
      if (validate(value)) return [];
      const errors = collapseAlternatives(validate.errors ?? []);
      const problems = errors.flatMap((error) => toProblem(error, value, context, formats));
      return sortProblems(dedupe(problems));
    },
  };
}

export function sortProblems(problems: readonly FileProblem[]): FileProblem[] {
  return [...problems].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.keyPath.localeCompare(b.keyPath),
  );
}

function dedupe(problems: FileProblem[]): FileProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.col}:${p.keyPath}:${p.problem}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * An `anyOf` failure comes with the errors of every branch. The author meant one of them: the branch
 * whose type matches the value. Keep that branch's errors (e.g. "port must be at most 65535"), or,
 * when no branch has the value's type, say which types were expected. Outer alternatives first, so an
 * inner one inside a discarded branch is discarded with it.
 */
function collapseAlternatives(input: readonly ErrorObject[]): ErrorObject[] {
  let errors = [...input];
  const alternatives = errors
    .filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && !('passingSchemas' in e.params && e.params.passingSchemas))
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const alternative of alternatives) {
    if (!errors.includes(alternative)) continue;
    const prefix = `${alternative.schemaPath}/`;
    const branches = new Map<number, ErrorObject[]>();
    for (const e of errors) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const index = Number(e.schemaPath.slice(prefix.length).split('/')[0]);
      branches.set(index, [...(branches.get(index) ?? []), e]);
    }
    const typeMismatch = (index: number, errs: ErrorObject[]): boolean =>
      errs.some((e) => e.keyword === 'type' && e.instancePath === alternative.instancePath && e.schemaPath === `${prefix}${index}/type`);
    const candidates = [...branches].filter(([index, errs]) => !typeMismatch(index, errs)).map(([, errs]) => errs);
    const dropped = new Set<ErrorObject>([alternative, ...[...branches.values()].flat()]);
    errors = errors.filter((e) => !dropped.has(e));
    if (candidates.length > 0) {
      errors.push(...candidates.sort((a, b) => a.length - b.length)[0]!);
    } else {
      const types = (alternative.schema as { type?: string | string[] }[]).flatMap((branch) => branch.type ?? []);
      errors.push({ ...alternative, keyword: 'type', params: { type: types.join(',') } });
    }
  }
  return errors;
}

/** JSON pointer → key path, with array indexes as numbers (the data tells which segments are indexes). */
function pointerToPath(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(segment));
      node = node[Number(segment)];
    } else {
      path.push(segment);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

/** How a value reads in a message: strings quoted, collections named, long things shortened. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function expectedTypes(type: string): string {
  const names = type.split(',').map((t) => TYPE_NAMES[t] ?? t);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function toProblem(error: ErrorObject, root: unknown, context: ProblemContext, formats: Readonly<Record<string, StringCheck>>): FileProblem[] {
  const path = pointerToPath(error.instancePath, root);
  const { codes } = context;
  const make = (code: ErrorCode, keyPath: KeyPath, target: 'key' | 'value', problem: string, allowed?: readonly string[]): FileProblem[] => [
    {
      code,
      file: context.file,
      ...context.locate(keyPath, target),
      keyPath: formatKeyPath(keyPath),
      problem,
      ...(allowed && allowed.length > 0 ? { allowed } : {}),
    },
  ];
  const params = error.params as Record<string, unknown>;
  const data = error.data;
  // Errors raised while checking a key's *name* (propertyNames) carry that name: point at the key.
  const propertyName = (error as ErrorObject & { propertyName?: string }).propertyName;
  if (propertyName !== undefined) {
    const keyPath = [...path, propertyName];
    if (error.keyword === 'format') {
      const reason = formats[String(params.format)]?.(propertyName) ?? `must match format ${String(params.format)}`;
      return make(codes.invalid, keyPath, 'key', reason);
    }
    return make(codes.invalid, keyPath, 'key', `invalid key name: ${error.message ?? 'not allowed'}`);
  }

  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const properties = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return make(codes.unknownKey, [...path, name], 'key', 'unknown key', nearest(name, properties));
    }
    case 'required':
      return make(codes.required, [...path, String(params.missingProperty)], 'key', 'required key is missing');
    case 'type':
      return make(codes.invalid, path, 'value', `expected ${expectedTypes(String(params.type))}, got ${describeValue(data)}`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return make(codes.invalid, path, 'value', `${describeValue(data)} is not an allowed value`, allowed);
    }
    case 'const':
      return make(codes.invalid, path, 'value', `${describeValue(data)} is not an allowed value`, [String(params.allowedValue)]);
    case 'discriminator': {
      const tag = String(params.tag);
      if (params.error === 'tag') {
        // A missing tag already has its own "required" error; a tag of the wrong type needs one.
        const value = (data as Record<string, unknown> | null)?.[tag];
        if (value === undefined) return [];
        return make(codes.invalid, [...path, tag], 'value', `expected a string, got ${describeValue(value)}`);
      }
      const branches = (error.parentSchema as { oneOf?: { properties?: Record<string, { const?: unknown; enum?: unknown[] }> }[] }).oneOf ?? [];
      const allowed = branches.flatMap((b) => {
        const p = b.properties?.[tag];
        return p?.const !== undefined ? [String(p.const)] : (p?.enum ?? []).map(String);
      });
      return make(codes.invalid, [...path, tag], 'value', `${describeValue(params.tagValue)} is not an allowed value`, allowed);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words: Record<string, string> = { '>=': 'at least', '<=': 'at most', '>': 'greater than', '<': 'less than' };
      return make(codes.invalid, path, 'value', `must be ${words[String(params.comparison)]} ${String(params.limit)}, got ${describeValue(data)}`);
    }
    case 'minLength':
      return make(codes.invalid, path, 'value', Number(params.limit) === 1 ? 'must not be empty' : `must have at least ${plural(Number(params.limit), 'character')}`);
    case 'maxLength':
      return make(codes.invalid, path, 'value', `must have at most ${plural(Number(params.limit), 'character')}`);
    case 'minItems':
      return make(codes.invalid, path, 'value', `must have at least ${plural(Number(params.limit), 'item')}`);
    case 'maxItems':
      return make(codes.invalid, path, 'value', `must have at most ${plural(Number(params.limit), 'item')}`);
    case 'uniqueItems':
      return make(codes.invalid, path, 'value', `items ${String(params.j)} and ${String(params.i)} are the same; list each once`);
    case 'pattern':
      return make(codes.invalid, path, 'value', `${describeValue(data)} does not match ${String(params.pattern)}`);
    case 'format': {
      const check = formats[String(params.format)];
      const reason = typeof data === 'string' && check ? check(data) : null;
      return make(codes.invalid, path, 'value', reason ?? `must be a valid ${String(params.format)}`);
    }
    case 'propertyNames':
      return []; // its inner errors (above) say which name and why
    default:
      return make(codes.invalid, path, 'value', error.message ?? `fails the ${error.keyword} check`);
  }
}
