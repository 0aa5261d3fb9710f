/**
 * Generates the parts of the documentation that code already knows, so they cannot drift:
 *   - config/portcullis.schema.json   (editors: `# yaml-language-server: $schema=./portcullis.schema.json`)
 *   - docs/errors.md                  the code table, from ERROR_CATALOG
 *   - docs/configuration.md           the key table (from the schema) and the environment table
 * Hand-written prose around the generated regions is kept; a region is delimited by
 * `<!-- generated:NAME -->` … `<!-- /generated:NAME -->`.
 *
 * Usage (after `npm run build`): node dist/scripts/gen-docs.js [--check]
 * --check writes nothing and exits 1 when a committed file differs from what would be generated.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ENV_VARIABLES } from '../gateway/config/env';
import { CONFIG_SCHEMA } from '../gateway/config/schema';
import { configKeyDocs } from '../gateway/config/schema-doc';
import { ERROR_CATALOG } from '../gateway/lib/errors';

export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** The repository root: the nearest folder upwards with package.json (works from scripts/ and dist/scripts/). */
export function repoRoot(start: string = __dirname): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string): string => (text ? `\`${text}\`` : '');

export function errorTable(): string {
  const rows = Object.entries(ERROR_CATALOG).map(([name, description]) => `| \`${name}\` | ${cell(description)} |`);
  return ['| Code | Meaning |', '| --- | --- |', ...rows].join('\n');
}

export function configKeyTable(): string {
  const rows = configKeyDocs().map((k) => `| \`${k.path}\` | ${cell(k.type)} | ${cell(code(k.default))} | ${cell(k.description)} |`);
  return ['| Key | Type | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function envTable(): string {
  const rows = ENV_VARIABLES.map((v) => `| \`${v.name}\` | ${v.key ? `\`${v.key}\`` : ''} | ${cell(v.default)} | ${cell(v.description)} |`);
  return ['| Variable | Key it sets | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function schemaJson(): string {
  return `${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`;
}

/** Replaces each generated region of `text`; throws when a region's markers are missing. */
export function fillRegions(text: string, regions: Readonly<Record<string, string>>, file: string): string {
  let out = text;
  for (const [name, body] of Object.entries(regions)) {
    const open = `<!-- generated:${name} -->`;
    const close = `<!-- /generated:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`${file}: markers ${open} … ${close} not found`);
    out = `${out.slice(0, start + open.length)}\n${body}\n${out.slice(end)}`;
  }
  return out;
}

export function generatedFiles(root: string = repoRoot()): GeneratedFile[] {
  const fill = (path: string, regions: Record<string, string>): GeneratedFile => ({
    path,
    content: fillRegions(readFileSync(join(root, path), 'utf8'), regions, path),
  });
  return [
    { path: 'config/portcullis.schema.json', content: schemaJson() },
    fill('docs/errors.md', { 'error-codes': errorTable() }),
    fill('docs/configuration.md', { 'config-keys': configKeyTable(), 'env-variables': envTable() }),
  ];
}

/** Paths (relative to root) whose committed content differs from the generated one. */
export function staleFiles(root: string = repoRoot()): string[] {
  return generatedFiles(root)
    .filter((f) => !existsSync(join(root, f.path)) || readFileSync(join(root, f.path), 'utf8') !== f.content)
    .map((f) => f.path);
}

function main(argv: readonly string[]): number {
  const root = repoRoot();
  if (argv.includes('--check')) {
    const stale = staleFiles(root);
    for (const path of stale) console.error(`stale: ${path} (run: npm run build && node dist/scripts/gen-docs.js)`);
    return stale.length > 0 ? 1 : 0;
  }
  for (const file of generatedFiles(root)) {
    writeFileSync(join(root, file.path), file.content);
    console.log(`wrote ${relative(process.cwd(), join(root, file.path)) || file.path}`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
