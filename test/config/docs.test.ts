/** The documentation and the example file cannot drift from the code: each is checked against it here. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG } from '../../gateway/config/defaults';
import { ENV_VARIABLES } from '../../gateway/config/env';
import { loadConfig } from '../../gateway/config/load';
import { configKeyDocs } from '../../gateway/config/schema-doc';
import { ERROR_CATALOG } from '../../gateway/lib/errors';
import { parseYaml } from '../../gateway/lib/yaml-source';
import { generatedFiles, schemaJson, staleFiles } from '../../scripts/gen-docs';

const root = resolve(__dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

test('every code of ERROR_CATALOG is documented in docs/errors.md, with its description', () => {
  const doc = read('docs/errors.md');
  for (const [code, description] of Object.entries(ERROR_CATALOG)) {
    expect(doc).toContain(`\`${code}\``);
    expect(doc).toContain(description);
  }
});

test('every configuration code has an example and a fix in docs/errors.md', () => {
  const doc = read('docs/errors.md');
  for (const code of Object.keys(ERROR_CATALOG).filter((c) => c.startsWith('PC_ERR_CONFIG_'))) {
    expect(doc).toContain(`### ${code}`);
  }
});

test('config/portcullis.example.yaml loads without problems and says exactly the defaults', () => {
  const file = join(root, 'config/portcullis.example.yaml');
  expect(read('config/portcullis.example.yaml').split('\n')[0]).toBe('# yaml-language-server: $schema=./portcullis.schema.json');
  const cfg = loadConfig({ env: {}, file });
  // Its paths are written relative to config/, pointing at the repository's folders.
  expect(cfg).toEqual({ ...DEFAULT_CONFIG, source: file, policiesDir: join(root, 'policies'), stateDir: join(root, 'state') });
});

test('the example file writes every key of the schema', () => {
  const example = parseYaml(read('config/portcullis.example.yaml'), { file: 'example', syntaxCode: 'PC_ERR_CONFIG_YAML' }).value;
  const has = (path: string): boolean => {
    let node: unknown = example;
    for (const key of path.split('.')) {
      if (node === null || typeof node !== 'object' || !(key in node)) return false;
      node = (node as Record<string, unknown>)[key];
    }
    return true;
  };
  // Store variants and per-portal entries are shown as comments (only one store can be active).
  const keys = configKeyDocs().map((k) => k.path).filter((p) => !/^store\.(?!kind)|^portals\./.test(p));
  expect(keys.filter((path) => !has(path))).toEqual([]);
});

test('every schema key and every environment variable appears in docs/configuration.md', () => {
  const doc = read('docs/configuration.md');
  expect(configKeyDocs().map((k) => k.path).filter((path) => !doc.includes(`\`${path}\``))).toEqual([]);
  expect(ENV_VARIABLES.map((v) => v.name).filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  expect(doc).toMatch(/defaults.*<.*file.*<.*environment/is);
});

test('generated files are up to date (run `node dist/scripts/gen-docs.js` after a build if this fails)', () => {
  expect(staleFiles(root)).toEqual([]);
  expect(generatedFiles(root).map((f) => f.path)).toContain('config/portcullis.schema.json');
  expect(JSON.parse(read('config/portcullis.schema.json'))).toEqual(JSON.parse(schemaJson()));
});
