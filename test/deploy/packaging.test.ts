/**
 * What ships, checked without Docker (no engine or compose here): docker-compose.yml refuses to start
 * without its secrets instead of using public placeholders; the image leaves out geoip-lite's data,
 * which the gateway does not read when the compact copy is there; the deploy README's steps run in
 * the image (it has no curl).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { openGeoDatabase } from '../../gateway/signals/geo/lookup';
import { REPO_ROOT, tempDir } from '../helpers/processes';

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');

/**
 * Compose's interpolation (compose-spec "Interpolation"): ${VAR}, ${VAR:-default}, ${VAR-default},
 * ${VAR:?error}, ${VAR?error}, $$ for a dollar. Returns the text and the errors compose would stop on.
 */
function interpolate(text: string, env: Record<string, string>): { text: string; errors: string[] } {
  const errors: string[] = [];
  const out = text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (whole, name: string | undefined, colon: string, op: string, arg: string) => {
    if (whole === '$$') return '$';
    const v = env[name!];
    const missing = v === undefined || (colon === ':' && v === '');
    if (op === '-') return missing ? arg : v!;
    if (op === '?') {
      if (missing) errors.push(`${name}: ${arg}`);
      return v ?? '';
    }
    return v ?? '';
  });
  return { text: out, errors };
}

describe('docker-compose.yml', () => {
  // Compose interpolates values, not comments: whole-line comments are left out.
  const compose = read('docker-compose.yml').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');

  test('without .env it refuses to start, naming each missing secret', () => {
    const { errors } = interpolate(compose, {});
    expect(errors.map((e) => e.split(':')[0])).toEqual(['PORTCULLIS_SECRET', 'PORTCULLIS_ADMIN_TOKEN']);
    expect(errors.join('\n')).toMatch(/openssl rand/);
    // An empty value is missing too (`:?`), as `PORTCULLIS_SECRET=` in a .env would be.
    expect(interpolate(compose, { PORTCULLIS_SECRET: '', PORTCULLIS_ADMIN_TOKEN: '' }).errors).toHaveLength(2);
  });

  test('with the secrets set it is a valid file that carries them, and no placeholder secret is left', () => {
    const env = { PORTCULLIS_SECRET: 'a'.repeat(64), PORTCULLIS_ADMIN_TOKEN: 'b'.repeat(48) };
    const { text, errors } = interpolate(compose, env);
    expect(errors).toEqual([]);
    const doc = YAML.parse(text) as { services: Record<string, { environment?: Record<string, string> }> };
    expect(doc.services.gateway!.environment).toMatchObject(env);
    expect(text).not.toMatch(/CHANGE-?ME/i);
    // No secret-like variable has a default to fall back on.
    expect(compose).not.toMatch(/\$\{[A-Z_]*(SECRET|TOKEN|PASSWORD)[A-Z_]*:?-/);
  });
});

describe('the image', () => {
  const dockerfile = read('Dockerfile');
  const stage = (name: string): string => {
    const m = new RegExp(`^FROM \\S+ AS ${name}\\n([\\s\\S]*?)(?=^FROM |(?![\\s\\S]))`, 'm').exec(dockerfile);
    expect(m).not.toBeNull();
    return m![1]!;
  };

  test("geoip-lite's data is removed in the stage whose node_modules the runtime copies, and only from there", () => {
    expect(stage('deps')).toMatch(/rm -rf node_modules\/geoip-lite\/data/);
    const runtime = stage('runtime');
    const copies = runtime.split('\n').filter((l) => /^COPY /.test(l));
    expect(copies.filter((l) => /node_modules/.test(l))).toEqual(['COPY --from=deps /app/node_modules ./node_modules']);
    // dist/ (with the compact copy) comes from the build stage.
    expect(copies).toContain('COPY --from=build /app/dist ./dist');
  });

  test("without geoip-lite's data beside it, the gateway reads the compact copy (what the image runs)", () => {
    const withData = openGeoDatabase();
    const withoutData = openGeoDatabase({ geoipDataDir: tempDir() });
    expect(withoutData.kind).toBe('compact');
    expect(withoutData.rejected).toEqual([]);
    for (const ip of ['8.8.8.8', '81.2.69.142', '2a02:2770::21a:4aff:fe3d:84d5', '10.0.0.1']) expect(withoutData.lookup(ip)).toEqual(withData.lookup(ip));
  });
});

test("the deploy README's steps run in the image: no curl", () => {
  const blocks = [...read('deploy/README.md').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThan(0);
  for (const b of blocks) expect(b).not.toMatch(/(^|[\s|;&(])curl\s/m);
  expect(blocks.join('\n')).toMatch(/directory import --portal portal\.example\.com --file - < users\.json/);
});
