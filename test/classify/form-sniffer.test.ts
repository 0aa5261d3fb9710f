/** The streaming AUTH_FORM detector for form bodies too large to buffer. */
import { FormSniffer } from '../../gateway/pipeline/classify';
import { multipart, URLENCODED } from './helpers';

const MiB = 1024 * 1024;

/** Feed `body` in chunks of `size` bytes (or a list of split points). */
async function sniff(contentType: string, body: Buffer, size = 64 * 1024) {
  const s = new FormSniffer(contentType);
  for (let i = 0; i < body.length; i += size) s.write(body.subarray(i, i + size));
  return s.end();
}

function filler(bytes: number): string {
  let out = '';
  let i = 0;
  while (out.length < bytes) out += `field${i++}=${'x'.repeat(200)}&`;
  return out;
}

describe('FormSniffer, urlencoded', () => {
  it('finds AUTH_FORM at the end of a 1 MiB body', async () => {
    const body = Buffer.from(`${filler(MiB)}TYPE=AUTH&AUTH_FORM=Y`);
    expect(body.length).toBeGreaterThan(MiB);
    const r = await sniff(URLENCODED, body);
    expect(r).toMatchObject({ authForm: true, bytes: body.length });
  });

  it('finds it whatever the chunk boundaries, one byte at a time included', async () => {
    const body = Buffer.from('a=1&AUTH%5FFORM=Y&b=2');
    for (const size of [1, 2, 3, 5, 7, 11]) expect((await sniff(URLENCODED, body, size)).authForm).toBe(true);
  });

  it.each([
    ['AUTH_FORM=Y', true],
    ['AUTH.FORM=Y', true],
    ['AUTH+FORM=Y', true],
    ['AUTH%20FORM=Y', true],
    ['+++%20AUTH_FORM=Y', true],
    ['%41UTH_FORM=Y', true],
    ['AUTH%5bFORM=Y', true],
    ['AUTH[FORM=Y', true],
    ['AUTH_FORM[]', true],
    ['AUTH_FORM[x]=', true],
    ['AUTH_FORM%00junk=Y', true],
    ['AUTH_FORM=0', true],
    ['x=1&AUTH_FORM=Y&AUTH_FORM=', true], // sticky: once seen, a login attempt
    ['AUTH_FORM=', false],
    ['AUTH_FORM', false],
    ['auth_form=Y', false],
    ['AUTH_FORM[=Y', false], // AUTH_FORM_
    ['AUTH_FORMS=Y', false],
    ['XAUTH_FORM=Y', false],
    ['%4', false],
    ['x=AUTH_FORM%3DY', false], // in a value
    ['AUTH_FORM%3DY', false], // key "AUTH_FORM=Y", no value
  ])('%j → %s', async (body, expected) => {
    expect((await sniff(URLENCODED, Buffer.from(body), 1)).authForm).toBe(expected);
    expect((await sniff(URLENCODED, Buffer.from(body))).authForm).toBe(expected);
  });

  it('reports detection before the body ends, for an early abort', () => {
    const s = new FormSniffer(URLENCODED);
    s.write(Buffer.from('a=1&AUTH_FO'));
    expect(s.detected).toBe(false);
    s.write(Buffer.from('RM=Y'));
    expect(s.detected).toBe(true);
  });

  it('holds no body: a 1 MiB key of spaces before AUTH_FORM is still found', async () => {
    const body = Buffer.from(`${'+'.repeat(MiB)}AUTH_FORM=Y`);
    expect((await sniff(URLENCODED, body, 4096)).authForm).toBe(true);
  });
});

describe('FormSniffer, multipart', () => {
  it('finds AUTH_FORM after a 1 MiB file, across chunk boundaries', async () => {
    const { contentType, body } = multipart([
      { name: 'upload', value: 'z'.repeat(MiB), filename: 'big.bin' },
      { name: 'TYPE', value: 'AUTH' },
      { name: 'AUTH_FORM', value: 'Y' },
    ]);
    for (const size of [64 * 1024, 1000, 7]) {
      if (size === 7) continue; // byte-dribbling a MiB is slow; covered below on a small body
      expect((await sniff(contentType, body, size)).authForm).toBe(true);
    }
  });

  it('splits anywhere in a small body', async () => {
    const { contentType, body } = multipart([{ name: 'x', value: '1' }, { name: 'AUTH.FORM', value: 'Y' }]);
    for (const size of [1, 3, 13]) expect((await sniff(contentType, body, size)).authForm).toBe(true);
  });

  it.each([
    [[{ name: 'AUTH_FORM', value: 'Y' }], true],
    [[{ name: 'AUTH_FORM[]', value: '' }], true],
    [[{ name: 'AUTH_FORM', value: 'Y', filename: 'a' }], true], // a file named AUTH_FORM: unreadable, refused
    [[{ name: 'AUTH_FORM', value: '' }], false],
    [[{ name: 'auth_form', value: 'Y' }], false],
    [[{ name: 'USER_LOGIN', value: 'AUTH_FORM' }], false],
  ])('%j → %s', async (parts, expected) => {
    const { contentType, body } = multipart(parts);
    expect((await sniff(contentType, body)).authForm).toBe(expected);
  });

  it('reads as PHP does: no boundary is no $_POST; a boundary only PHP finds is read', async () => {
    const broken = Buffer.from('garbage\r\nContent-Disposition: form-data; name="AUTH_FORM"\r\n\r\nY');
    expect(await sniff('multipart/form-data', broken, 5)).toMatchObject({ authForm: false, parseError: false });
    const odd = Buffer.from('--a/b=c:d\r\nContent-Disposition: form-data; name=AUTH_FORM\r\n\r\nY\r\n--a/b=c:d--\r\n');
    expect((await sniff('multipart/form-data; boundary=a/b=c:d;', odd, 5)).authForm).toBe(true);
  });
});

describe('FormSniffer, other types', () => {
  it('says no for a body PHP would not parse into $_POST', async () => {
    expect((await sniff('application/json', Buffer.from('{"AUTH_FORM":"Y"}'))).authForm).toBe(false);
  });
});
