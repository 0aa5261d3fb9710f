/** The generic pieces the policy loader will reuse: names, YAML positions, schema problems. */
import { editDistance, nearest } from '../../gateway/lib/nearest';
import { compileSchema, type SchemaCodes } from '../../gateway/lib/schema-problems';
import { parseYaml } from '../../gateway/lib/yaml-source';

describe('nearest', () => {
  test('a swapped pair costs one edit', () => {
    expect(editDistance('knwon', 'known')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  test('nearest first, ties in the given order, at most the limit, case ignored', () => {
    expect(nearest('devcie', ['user', 'device', 'devices', 'geo'])).toEqual(['device', 'devices', 'geo', 'user']);
    expect(nearest('X', ['a', 'b', 'c', 'd', 'e', 'f'], { limit: 2 })).toEqual(['a', 'b']);
    expect(nearest('LOGLEVEL', ['listen', 'logLevel'])[0]).toBe('logLevel');
  });
});

describe('yaml-source', () => {
  const text = 'rules:\n  - id: a\n    when: x > 1\n  - id: b\n    score: 10\n';
  const source = parseYaml(text, { file: 'p.yaml', syntaxCode: 'PC_ERR_CONFIG_YAML' });

  test('locates keys and values, through lists', () => {
    expect(source.problems).toEqual([]);
    expect(source.locate(['rules', 1, 'score'], 'key')).toEqual({ line: 5, col: 5 });
    expect(source.locate(['rules', 1, 'score'], 'value')).toEqual({ line: 5, col: 12 });
    expect(source.locate(['rules', 0], 'value')).toEqual({ line: 2, col: 5 });
  });

  test('a path that is not written points at the deepest part that is', () => {
    expect(source.locate(['rules', 0, 'phase'], 'key')).toEqual({ line: 2, col: 5 });
    expect(source.locate([], 'value')).toEqual({ line: 1, col: 1 });
  });

  test('syntax errors carry the caller\'s code', () => {
    const broken = parseYaml('a: "open\n', { file: 'b.yaml', syntaxCode: 'PC_ERR_CONFIG_YAML' });
    expect(broken.value).toBeUndefined();
    expect(broken.problems[0]).toMatchObject({ code: 'PC_ERR_CONFIG_YAML', file: 'b.yaml' });
  });

  test('merge keys are followed', () => {
    expect(parseYaml('base: &b { x: 1 }\nuse: { <<: *b, y: 2 }\n', { file: 'm', syntaxCode: 'PC_ERR_CONFIG_YAML' }).value).toEqual({
      base: { x: 1 },
      use: { x: 1, y: 2 },
    });
  });
});

describe('schema-problems with another caller\'s schema and codes', () => {
  const codes: SchemaCodes = { unknownKey: 'PC_ERR_CONFIG_UNKNOWN_KEY', invalid: 'PC_ERR_CONFIG_TYPE', required: 'PC_ERR_CONFIG_REQUIRED' };
  const validator = compileSchema(
    {
      type: 'object',
      additionalProperties: false,
      required: ['version'],
      properties: {
        version: { const: 'portcullis/v1' },
        window: { anyOf: [{ type: 'string', format: 'duration' }, { type: 'integer', minimum: 1 }] },
        on: { type: 'array', minItems: 1, items: { enum: ['login', 'rest'] } },
      },
    },
    { formats: { duration: (s) => (/^\d+[smh]$/.test(s) ? null : `"${s}" is not a duration such as 15m`) } },
  );
  const text = 'window: 15 minutes\non: [login, rset]\nvesion: x\n';
  const source = parseYaml(text, { file: 'p.yaml', syntaxCode: 'PC_ERR_CONFIG_YAML' });

  test('every problem, positioned, in order', () => {
    const problems = validator.problems(source.value, { file: 'p.yaml', locate: source.locate, codes });
    expect(problems.map((p) => [p.line, p.col, p.keyPath, p.code, p.problem, p.allowed])).toEqual([
      [1, 1, 'version', 'PC_ERR_CONFIG_REQUIRED', 'required key is missing', undefined],
      [1, 9, 'window', 'PC_ERR_CONFIG_TYPE', '"15 minutes" is not a duration such as 15m', undefined],
      [2, 13, 'on[1]', 'PC_ERR_CONFIG_TYPE', '"rset" is not an allowed value', ['login', 'rest']],
      [3, 1, 'vesion', 'PC_ERR_CONFIG_UNKNOWN_KEY', 'unknown key', ['version', 'on', 'window']],
    ]);
  });

  test('a value of no alternative\'s type names every expected type', () => {
    const problems = validator.problems({ version: 'portcullis/v1', window: true }, { file: 'x', locate: () => ({ line: 0, col: 0 }), codes });
    expect(problems).toEqual([expect.objectContaining({ keyPath: 'window', problem: 'expected a string or an integer, got true' })]);
  });

  test('the alternative of the value\'s type gives its own precise error', () => {
    const problems = validator.problems({ version: 'portcullis/v1', window: 0 }, { file: 'x', locate: () => ({ line: 0, col: 0 }), codes });
    expect(problems).toEqual([expect.objectContaining({ keyPath: 'window', problem: 'must be at least 1, got 0' })]);
  });
});
