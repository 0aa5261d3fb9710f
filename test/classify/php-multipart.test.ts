/**
 * The multipart reader against real PHP: each generated body goes to `php-cgi8.2` (a CGI request, the
 * way the portal's PHP gets it) and to readPhpMultipart, and `$_POST` must be the same, key for key.
 * Boundaries are spelled every way rfc1867.c reads them (`boundary=X;`, unquoted `/`, `=`, `:`, quotes,
 * case, repeated parameters, `xboundary=`), parts every way a client can spell them (quotes, case of
 * `name`, no `form-data`, continued headers, LF-only lines, empty filenames, parts after the closing
 * delimiter, preamble). Without php-cgi on the machine the differential part is skipped (CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { phpBoundary, readFormBody, readPhpMultipart, FormSniffer } from '../../gateway/pipeline/classify';

const PHP_CGI = '/usr/bin/php-cgi8.2';
const hasPhp = existsSync(PHP_CGI);
const RUNS = Number(process.env.PC_PHP_DIFF_RUNS ?? 60);

let script = '';
beforeAll(() => {
  if (!hasPhp) return;
  const dir = mkdtempSync(join(tmpdir(), 'pc-php-'));
  script = join(dir, 'post.php');
  writeFileSync(script, "<?php\n$o = [];\nforeach ($_POST as $k => $v) $o[$k] = is_array($v) ? '[array]' : $v;\necho json_encode((object)$o);\n");
});

/** $_POST as PHP fills it for this Content-Type and body. */
function phpPost(contentType: string, body: Buffer): Record<string, string> {
  const r = spawnSync(PHP_CGI, ['-d', 'max_input_vars=1000', '-d', 'file_uploads=1'], {
    input: body,
    env: { REQUEST_METHOD: 'POST', CONTENT_TYPE: contentType, CONTENT_LENGTH: String(body.length), SCRIPT_FILENAME: script, REDIRECT_STATUS: '1', GATEWAY_INTERFACE: 'CGI/1.1' },
  });
  const out = r.stdout.toString('latin1');
  const json = out.slice(out.indexOf('\r\n\r\n') + 4);
  return JSON.parse(json) as Record<string, string>;
}

const BOUNDARIES = ['X', 'abc/def', 'a=b', 'a:b', '----WebKitFormBoundary7MA4', 'q.r-s_t', 'sp ace'];
const CONTENT_TYPES: ((b: string) => string)[] = [
  (b) => `multipart/form-data; boundary=${b}`,
  (b) => `multipart/form-data; boundary="${b}"`,
  (b) => `multipart/form-data; boundary=${b};`,
  (b) => `multipart/form-data;boundary=${b}, text/plain`,
  (b) => `multipart/form-data; BOUNDARY=${b}`,
  (b) => `Multipart/Form-Data; Boundary=${b}`,
  (b) => `multipart/form-data; charset=utf-8; boundary=${b}`,
  (b) => `multipart/form-data; xboundary=${b}; boundary=other`,
  (b) => `multipart/form-data; boundary=${b}; boundary=other`,
  (b) => `multipart/form-data; boundary = ${b}`,
];
const NAMES = ['AUTH_FORM', 'TYPE', 'USER_LOGIN', 'USER_PASSWORD', 'AUTH.FORM', ' USER LOGIN', 'USER_LOGIN[]', 'a[b', 'note'];

interface PartSpec {
  readonly name: string;
  readonly value: string;
  /** 0 "…", 1 '…', 2 bare, 3 NAME= upper, 4 no form-data, 5 continued header line, 6 filename="" file, 7 file, 8 no Content-Disposition, 9 name with a space before = */
  readonly how: number;
  readonly lf: boolean;
}

function partText(b: string, p: PartSpec): string {
  const eol = p.lf ? '\n' : '\r\n';
  const cd = [
    `Content-Disposition: form-data; name="${p.name}"`,
    `Content-Disposition: form-data; name='${p.name}'`,
    `Content-Disposition: form-data; name=${p.name.replace(/ /g, '')}`,
    `content-disposition: FORM-DATA; NAME="${p.name}"`,
    `Content-Disposition: name="${p.name}"`,
    `Content-Disposition: form-data;${eol} name="${p.name}"`,
    `Content-Disposition: form-data; name="${p.name}"; filename=""`,
    `Content-Disposition: form-data; name="${p.name}"; filename="a.txt"${eol}Content-Type: text/plain`,
    `Content-Type: text/plain`,
    `Content-Disposition: form-data; name ="${p.name}"`,
  ][p.how]!;
  return `--${b}${eol}${cd}${eol}${eol}${p.value}${eol}`;
}

const part = fc.record({
  name: fc.constantFrom(...NAMES),
  value: fc.constantFrom('Y', 'AUTH', 'bob', 'pw 1', '', 'line1\r\nline2', '--not-a-boundary'),
  how: fc.integer({ min: 0, max: 9 }),
  lf: fc.boolean(),
});

const body = fc.record({
  b: fc.constantFrom(...BOUNDARIES),
  ct: fc.integer({ min: 0, max: CONTENT_TYPES.length - 1 }),
  preamble: fc.constantFrom('', 'preamble text\r\n', '--X\r\n'),
  parts: fc.array(part, { minLength: 1, maxLength: 5 }),
  close: fc.constantFrom('--\r\n', '--', ''),
  epilogue: fc.array(part, { maxLength: 2 }),
});

interface BodySpec { b: string; ct: number; preamble: string; parts: PartSpec[]; close: string; epilogue: PartSpec[] }

function build(s: BodySpec): { contentType: string; body: Buffer } {
  let text = s.preamble;
  for (const p of s.parts) text += partText(s.b, p);
  text += `--${s.b}${s.close}`;
  if (s.epilogue.length > 0) {
    text += '\r\n';
    for (const p of s.epilogue) text += partText(s.b, p);
    text += `--${s.b}--\r\n`;
  }
  return { contentType: CONTENT_TYPES[s.ct]!(s.b), body: Buffer.from(text, 'latin1') };
}

describe('PHP boundary rules (rfc1867.c)', () => {
  it.each<[string, string | undefined]>([
    ['multipart/form-data; boundary=X;', 'X'],
    ['multipart/form-data; boundary=abc/def', 'abc/def'],
    ['multipart/form-data; boundary=a=b', 'a=b'],
    ['multipart/form-data; boundary=a:b, x', 'a:b'],
    ['multipart/form-data; boundary="q;r"; x=1', 'q;r'],
    ['multipart/form-data; boundary="unclosed', undefined],
    ['multipart/form-data; BOUNDARY=Up', 'Up'],
    ['multipart/form-data; xboundary=first; boundary=second', 'first'],
    ['multipart/form-data; Boundary=A; boundary=B', 'B'],
    ['multipart/form-data; boundary = spaced', ' spaced'],
    ['multipart/form-data', undefined],
  ])('%s → %j', (ct, boundary) => {
    expect(phpBoundary(ct)).toBe(boundary);
  });
});

describe('readPhpMultipart', () => {
  it('never yields a placeholder: an unreadable body is reported, not guessed', () => {
    const r = readFormBody('multipart/form-data', Buffer.from('--b\r\nContent-Disposition: form-data; name="AUTH_FORM"\r\n\r\nY\r\n--b--'));
    expect(r.fields.size).toBe(0); // no boundary: PHP reads nothing
    expect(JSON.stringify([...r.fields])).not.toContain('unparsed');
  });

  it('reads a part after the closing delimiter, as PHP does', () => {
    const text = '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--B--\r\n';
    expect(readPhpMultipart('multipart/form-data; boundary=B', Buffer.from(text)).fields.get('USER_LOGIN')).toBe('bob');
  });

  it('streams with bounded chunks to the same fields', () => {
    const text = `--B\r\nContent-Disposition: form-data; name="pad"\r\n\r\n${'p'.repeat(70_000)}\r\n--B\r\nContent-Disposition: form-data; name=AUTH_FORM\r\n\r\nY\r\n--B--\r\n`;
    const whole = readPhpMultipart('multipart/form-data; boundary=B', Buffer.from(text)).fields;
    for (const size of [3, 61, 4096]) {
      const s = new FormSniffer('multipart/form-data; boundary=B');
      const buf = Buffer.from(text);
      for (let i = 0; i < buf.length; i += size) s.write(buf.subarray(i, i + size));
      expect(s.detected).toBe(true);
    }
    expect(whole.get('AUTH_FORM')).toBe('Y');
  });

  it('reports a Content-Type whose boundary PHP reads otherwise than a parameter-wise reader', () => {
    const text = '--X\r\nContent-Disposition: form-data; name="AUTH_FORM"\r\n\r\nY\r\n--X--\r\n';
    for (const ct of ['multipart/form-data; BOUNDARY=X; boundary=Y', 'multipart/form-data; xboundary=X; boundary=Y', 'multipart/form-data; boundary = X', 'multipart/form-data; boundary=X, text/plain']) {
      expect(readPhpMultipart(ct, Buffer.from(text)).ambiguous).toBe('boundary_read_two_ways');
    }
    for (const ct of ['multipart/form-data; boundary=X;', 'multipart/form-data; boundary="X"', 'multipart/form-data; boundary=----pcboundary', 'multipart/form-data; charset=utf-8; BOUNDARY=X']) {
      expect(readPhpMultipart(ct, Buffer.from(text)).ambiguous).toBeUndefined();
    }
  });

  it('reports a file part named like a login field, and a field past 1000 parts', () => {
    const file = '--B\r\nContent-Disposition: form-data; name="USER_LOGIN"; filename="x"\r\n\r\nbob\r\n--B--\r\n';
    expect(readPhpMultipart('multipart/form-data; boundary=B', Buffer.from(file)).ambiguous).toBe('file_part_named_USER_LOGIN');
    let many = '';
    for (let i = 0; i < 1001; i++) many += `--B\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`;
    many += '--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\ncarol\r\n--B--\r\n';
    expect(readPhpMultipart('multipart/form-data; boundary=B', Buffer.from(many)).ambiguous).toBe('input_vars_past_default_limit');
  });
});

/** Bodies at the edges of PHP's buffer and line rules, each checked against php-cgi. */
const EDGE_CASES: [string, string][] = [
  ['a header line over 5 KiB is cut, and a line of 5 KiB then the boundary starts a part', `--B\r\nContent-Disposition: form-data; name="a"; x="${'y'.repeat(5200)}"\r\n\r\n1\r\n--B\r\n${'z'.repeat(5120)}--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--B--\r\n`],
  ['a cancelled upload (filename="") is scanned line by line', `--B\r\nContent-Disposition: form-data; name="f"; filename=""\r\n\r\n${'z'.repeat(5120)}--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--B--\r\n`],
  ['a NUL ends the boundary line', '--B\0junk\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--B--\r\n'],
  ['a prefix of the delimiter at the very end', '--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--'],
  ['the body ends inside the headers', '--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n'],
  ['one CR dropped before the delimiter', '--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\r\n--B--'],
  ['LF-only lines', '--B\nContent-Disposition: form-data; name="USER_LOGIN"\n\nbob\n--B--'],
  ['--BX ends a value but starts no part', '--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--BX\r\nContent-Disposition: form-data; name="TYPE"\r\n\r\nAUTH\r\n--B--'],
  ['a part with neither name nor filename stops the reading', '--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--B--'],
  ['the first Content-Disposition wins', '--B\r\nContent-Disposition: form-data; name="a"\r\ncontent-disposition: form-data; name="USER_LOGIN"\r\n\r\nbob\r\n--B--'],
  ['an escaped quote in the name', '--B\r\nContent-Disposition: form-data; name="US\\"ER"\r\n\r\nbob\r\n--B--'],
];

(hasPhp ? describe : describe.skip)('readPhpMultipart agrees with php-cgi', () => {
  it.each(EDGE_CASES)('%s', (_label, text) => {
    const bytes = Buffer.from(text, 'latin1');
    expect(Object.fromEntries(readPhpMultipart('multipart/form-data; boundary=B', bytes).fields)).toEqual(phpPost('multipart/form-data; boundary=B', bytes));
  });

  it(`gives PHP's $_POST for ${RUNS} generated bodies`, () => {
    let compared = 0;
    fc.assert(
      fc.property(body, (spec) => {
        const { contentType, body: bytes } = build(spec);
        const ours = readPhpMultipart(contentType, bytes);
        const php = phpPost(contentType, bytes);
        compared++;
        expect(Object.fromEntries(ours.fields)).toEqual(php);
      }),
      { numRuns: RUNS },
    );
    process.stdout.write(`php-multipart differential: ${compared} bodies compared with ${PHP_CGI}\n`);
  });
});
