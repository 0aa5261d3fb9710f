/**
 * The header syntax of PHP's multipart reading (php-src `main/rfc1867.c`): how it finds the boundary
 * in Content-Type, how it reads `name` and `filename` from Content-Disposition (`php_ap_getword`,
 * `php_ap_getword_conf`, `substring_conf`), and when it uploads a file part at all. The reading of the
 * body itself is in php-multipart.ts.
 */

/** The boundary PHP takes from a Content-Type, or undefined when PHP finds none. */
export function phpBoundary(contentType: string): string | undefined {
  let at = contentType.indexOf('boundary');
  if (at < 0) at = contentType.toLowerCase().indexOf('boundary');
  if (at < 0) return undefined;
  const eq = contentType.indexOf('=', at);
  if (eq < 0) return undefined;
  const rest = contentType.slice(eq + 1);
  if (rest.startsWith('"')) {
    const close = rest.indexOf('"', 1);
    return close < 0 ? undefined : rest.slice(1, close);
  }
  const end = rest.search(/[,;]/);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The `boundary` parameters of a Content-Type read parameter by parameter (`;`-separated, quotes kept together). */
export function parameterBoundaries(contentType: string): string[] {
  const out: string[] = [];
  const params = contentType.match(/(?:[^;"]|"[^"]*")+/g) ?? [];
  for (const param of params.slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    const value = param.slice(eq + 1).trim();
    out.push(value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value);
  }
  return out;
}

/** `name` and `filename` of a Content-Disposition value, as PHP's getword/getword_conf read them. */
export function readDisposition(value: string): { name?: string; filename?: string } {
  let name: string | undefined;
  let filename: string | undefined;
  let cd = value.replace(/^[ \t\n\v\f\r]+/, '');
  while (cd !== '') {
    const [pair, rest] = getWord(cd, ';');
    cd = rest.replace(/^[ \t\n\v\f\r]+/, '');
    if (!pair.includes('=')) continue;
    const [key, after] = getWord(pair, '=');
    const lower = key.toLowerCase();
    if (lower === 'name') name = getWordConf(after);
    else if (lower === 'filename') filename = getWordConf(after);
  }
  return { ...(name !== undefined ? { name } : {}), ...(filename !== undefined ? { filename } : {}) };
}

/** php_ap_getword: up to `stop` outside quotes; the stops after it are skipped. */
function getWord(line: string, stop: string): [string, string] {
  let pos = 0;
  while (pos < line.length && line[pos] !== stop) {
    const quote = line[pos];
    if (quote === '"' || quote === "'") {
      pos++;
      while (pos < line.length && line[pos] !== quote) pos += line[pos] === '\\' && line[pos + 1] === quote ? 2 : 1;
      if (pos < line.length) pos++;
    } else {
      pos++;
    }
  }
  if (pos >= line.length) return [line, ''];
  const word = line.slice(0, pos);
  while (line[pos] === stop) pos++;
  return [word, line.slice(pos)];
}

/** php_ap_getword_conf: a quoted value (backslash escapes) or one up to white space. */
function getWordConf(s: string): string {
  const str = s.replace(/^[ \t\n\v\f\r]+/, '');
  if (str === '') return '';
  const quote = str[0];
  if (quote === '"' || quote === "'") {
    let end = 1;
    for (;;) {
      while (end < str.length && str[end] !== quote) end++;
      if (end < str.length && str[end - 1] === '\\') {
        end++;
        continue;
      }
      break;
    }
    return substringConf(str.slice(1, end), quote);
  }
  const m = /^[^ \t\n\v\f\r]*/.exec(str)!;
  return substringConf(m[0], '');
}

function substringConf(s: string, quote: string): string {
  let out = '';
  for (let i = 0; i < s.length && (quote === '' || s[i] !== quote); i++) {
    if (s[i] === '\\' && (s[i + 1] === '\\' || (quote !== '' && s[i + 1] === quote))) out += s[++i];
    else out += s[i];
  }
  return out;
}

/** PHP uploads a file only when the `[` and `]` of its name balance, each `]` followed by `[` or the end. */
export function bracketsBalanced(name: string): boolean {
  let depth = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '[') depth++;
    else if (c === ']') {
      depth--;
      if (i + 1 < name.length && name[i + 1] !== '[') return false;
    }
    if (depth < 0) return false;
  }
  return depth === 0;
}
