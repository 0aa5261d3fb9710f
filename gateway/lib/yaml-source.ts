/**
 * YAML input files with positions kept, for every loader that reports `file:line:col` to a person:
 * the gateway configuration today, policy files and policy test cases later.
 *
 * Order of work: read → parse (syntax errors, with positions) → look for duplicate keys (YAML allows the
 * parser to keep the last one silently; we never do) → plain value. Schema checks are the caller's next
 * step (see ./schema-problems.ts), using `locate` to point at the key or value a problem is about.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { ErrorCode, FileProblem } from './errors';

export type KeyPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface YamlSource {
  /** The file name as shown in messages (as the user gave it, not resolved). */
  readonly file: string;
  /**
   * The plain value (maps become objects); `undefined` when the file has syntax problems. A duplicate
   * key is a problem but not a syntax one: the value is there (the last one wins). An empty file is `null`.
   */
  readonly value: unknown;
  /** Syntax and duplicate-key problems; empty when the file parsed cleanly. */
  readonly problems: readonly FileProblem[];
  /**
   * Where a key path is written. `key` points at the key itself (for "unknown key"), `value` at its
   * value (for "wrong type"). When the path is not in the text (a key that is missing, or one that
   * came in through a `<<` merge), the deepest part that is written is pointed at instead.
   */
  locate(path: KeyPath, target?: 'key' | 'value'): Position;
}

export interface YamlParseOptions {
  /** Name used in messages. */
  readonly file: string;
  /** Code for syntax errors and duplicate keys, e.g. PC_ERR_CONFIG_YAML. */
  readonly syntaxCode: ErrorCode;
}

export interface YamlReadOptions extends Omit<YamlParseOptions, 'file'> {
  /** Name used in messages; defaults to the path as given. */
  readonly file?: string;
  /** Code for a file that cannot be read, e.g. PC_ERR_CONFIG_FILE. */
  readonly readCode: ErrorCode;
}

/** Dotted key path for messages: `portals.crm.example.com.rest`, `trustedProxies[1]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

export function readYamlFile(path: string, options: YamlReadOptions): YamlSource {
  const file = options.file ?? path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((err as Error).message);
    const problem: FileProblem = { code: options.readCode, file, line: 0, col: 0, keyPath: '', problem: `cannot read the file: ${reason}` };
    return { file, value: undefined, problems: [problem], locate: () => ({ line: 0, col: 0 }) };
  }
  return parseYaml(text, { file, syntaxCode: options.syntaxCode });
}

export function parseYaml(text: string, options: YamlParseOptions): YamlSource {
  const lineCounter = new LineCounter();
  // uniqueKeys off: we find duplicates ourselves so that the message can name the key path.
  // merge on: `<<: *shared` is how people share settings between portals or policies.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, merge: true, prettyErrors: false });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  const problems: FileProblem[] = doc.errors.map((error) => ({
    code: options.syntaxCode,
    file: options.file,
    ...at(error.pos[0]),
    keyPath: '',
    problem: `YAML syntax: ${firstLine(error.message)}`,
  }));
  const syntaxOk = problems.length === 0;
  if (syntaxOk) problems.push(...duplicateKeys(doc, options, at));

  // A duplicate key still leaves a readable value (the last one wins), so a loader can report every
  // other problem of the file beside it instead of hiding them behind the first.
  let value: unknown = undefined;
  if (syntaxOk) {
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      problems.push({ code: options.syntaxCode, file: options.file, line: 1, col: 1, keyPath: '', problem: `YAML: ${firstLine(String((err as Error).message))}` });
    }
  }
  return { file: options.file, value, problems, locate: (path, target = 'value') => locate(doc, path, target, at) };
}

function firstLine(message: string): string {
  // yaml's messages end with " at line N, column M" and a snippet; our prefix already has the position.
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').trim();
}

function keyName(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function duplicateKeys(doc: Document, options: YamlParseOptions, at: (offset: number) => Position): FileProblem[] {
  const found: FileProblem[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const name = keyName(pair.key);
        if (name !== '<<' && seen.has(name)) {
          const offset = (pair.key as YamlNode | null)?.range?.[0] ?? 0;
          found.push({ code: options.syntaxCode, file: options.file, ...at(offset), keyPath: formatKeyPath([...path, name]), problem: 'duplicate key; each key may appear once in a map' });
        }
        seen.add(name);
        walk(pair.value, [...path, name]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...path, index]));
    }
  };
  walk(doc.contents, []);
  return found;
}

function locate(doc: Document, path: KeyPath, target: 'key' | 'value', at: (offset: number) => Position): Position {
  let node: unknown = doc.contents;
  let best = (doc.contents as YamlNode | null)?.range?.[0];
  for (let i = 0; i < path.length; i++) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyName(p.key) === String(path[i]));
      if (!pair) break;
      const keyOffset = (pair.key as YamlNode | null)?.range?.[0];
      const valueOffset = (pair.value as YamlNode | null)?.range?.[0];
      best = last && target === 'value' ? (valueOffset ?? keyOffset) : (keyOffset ?? best);
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(path[i])] as YamlNode | undefined;
      if (!item?.range) break;
      best = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return best === undefined ? { line: 1, col: 1 } : at(best);
}
