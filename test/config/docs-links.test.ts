/**
 * The project's docs stand alone: no link leaves the repository (../shared was the authors' notes, not
 * shipped), and every relative link points at a file that exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/processes';

const pages = ['README.md', 'deploy/README.md', ...readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

test.each(pages)('%s links only inside the repository, to files that exist', (page) => {
  const text = readFileSync(path.join(REPO_ROOT, page), 'utf8');
  expect(text).not.toMatch(/\.\.\/shared|shared\/(seeds|bitrix24-wire|DESIGN)/);
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^(https?:|mailto:|#)/.test(l));
  for (const link of links) {
    const target = path.resolve(path.dirname(path.join(REPO_ROOT, page)), link.split('#')[0]!);
    expect({ link, inside: target.startsWith(REPO_ROOT + path.sep), exists: existsSync(target) }).toEqual({ link, inside: true, exists: true });
  }
});

test('the wire facts the gateway relies on are in docs/portal-wire.md', () => {
  const wire = readFileSync(path.join(REPO_ROOT, 'docs/portal-wire.md'), 'utf8');
  for (const fact of ['AUTH_FORM', 'USER_PHONE_NUMBER', 'QUERY_LIMIT_EXCEEDED', 'user.get', 'user.admin', '/rest/api/', 'max_input_vars']) expect(wire).toContain(fact);
});
