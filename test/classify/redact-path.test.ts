/**
 * The classified path and REST method never hold a secret (issue 15 §3): under a REST entry point, or
 * under a path that only looks like one, whatever is not a named segment (method, user id) is cut or
 * replaced. Found by the secrets test: `/bitrix/services/rest/index.php/<code>/x` logged the code as
 * `rest_method`.
 */
import fc from 'fast-check';
import { classify } from '../../gateway/pipeline/classify';
import { head } from './helpers';

/** A secret as webhook codes look: letters and digits, long enough not to occur by chance. */
const secret = fc.stringMatching(/^[A-Za-z0-9]{16,24}$/);

/** Path forms with a code where a webhook's code goes, or past it; `{S}` is replaced by the secret. */
const FORMS = [
  '/rest/1/{S}/user.current.json',
  '/rest/1/{S}/',
  '/rest/1/{S}',
  '/rest/01/{S}/crm.deal.add',
  '/rest/1/{S}/crm.deal.add/extra',
  '/rest//1//{S}//m',
  '/REST/1/{S}/m.xml',
  '/rest/api/1/{S}/m',
  '/local/rest/1/{S}/m',
  '/rest/1/{S}/index.php',
  '/bitrix/services/rest/index.php/1/{S}/user.current',
  '/bitrix/services/rest/index.php/{S}/x',
  '/bitrix/services/rest/{S}',
  '/bitrix/services/rest/{S}/index.php',
  '/bitrix/modules/rest/{S}/index.php/1/m',
  '/bitrix/modules/rest/x/{S}',
  '/rest./1/{S}/m',
  '/rest;x/1/{S}/m',
  '/REST;x/1/{S}',
  '/rest.php/1/{S}/m',
  '/rest%20/1/{S}/m',
  '/local/rest./1/{S}/m',
  '/rest%2F1%2F{S}%2Fm',
  '/rest/1/%53/m', // replaced below: a percent-encoded first letter
];

describe('the classified path of a REST-like request holds no secret', () => {
  it.each(['GET', 'POST'])('%s, every path form', (method) => {
    fc.assert(
      fc.property(secret, fc.constantFrom(...FORMS), (code, form) => {
        const raw = form === '/rest/1/%53/m' ? `/rest/1/%${code.charCodeAt(0).toString(16)}${code.slice(1)}/m` : form.replace('{S}', code);
        const { classified } = classify(head(method, raw), undefined);
        expect(classified.path).not.toContain(code);
        expect(classified.path.toLowerCase()).not.toContain(code.toLowerCase());
        // The method goes into the log line too (`rest_method`).
        expect(classified.rest?.method ?? '').not.toContain(code.toLowerCase());
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['/rest/user.current.json', '/rest/user.current.json'],
    ['/rest/1/AbCdEf0123456789/crm.deal.add.json', '/rest/1/{code}/crm.deal.add.json'],
    ['/rest/1/AbCdEf0123456789/', '/rest/1/{code}/'],
    ['/rest/1/AbCdEf0123456789/a/b', '/rest/…'],
    ['/rest/api/1/AbCdEf0123456789/a/b', '/rest/api/…'],
    ['/bitrix/services/rest/index.php', '/bitrix/services/rest/index.php'],
    ['/bitrix/services/rest/index.php/user.current', '/bitrix/services/rest/index.php/user.current'],
    ['/bitrix/services/rest/index.php/1/AbCdEf0123456789/m', '/bitrix/services/rest/…'],
    ['/crm/deal/', '/crm/deal/'],
    ['/restaurant/menu', '/restaurant/menu'],
  ])('%s → %s', (raw, path) => {
    expect(classify(head('GET', raw), undefined).classified.path).toBe(path);
  });
});
