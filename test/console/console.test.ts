/**
 * The support console in Debian's Chromium (playwright-core) against the real gateway, admin listener
 * and simulator: sign in; a block made by a real attack; file, verify and approve a request for a
 * blocked admin and see REST come back; reject another with a reason; the sole-user refusal; the
 * manual block form and the lift button; the portal, activity and policies pages; sign out, after
 * which the console refuses the next action. A screenshot of each page goes to test-artifacts/console.
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { api, attackUntilBlocked, importSeedDirectories, rest } from '../admin/helpers';
import { DEFAULT_CONFIG } from '../../gateway/config/defaults';
import { ADMIN_TOKEN, startStack, type Stack } from '../helpers/stack';
import { REPO, http, launch, requireBuiltConsole, shot } from './helpers';

const ACME = 'acme.bitrix24.local';
const SOLO = 'solo.bitrix24.local';
const ACME_HOOK = '/rest/8/acmesaleshook008/crm.deal.list.json';
const SAM_TOKEN = 'sam-admin-token-0123456789abcdef';
const READ_TOKEN = 'viewer-read-token-0123456789abcdef';

jest.setTimeout(180_000);

/** Waits until the locator has an element containing the text (playwright-core has no expect of its own). */
async function has(loc: Locator, text: string): Promise<void> {
  await loc.filter({ hasText: text }).first().waitFor();
}

describe('the support console in Chromium', () => {
  let s: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    requireBuiltConsole();
    // sam's own token (role admin): the audit and the header name sam; a read token for the last test.
    const admin = { ...DEFAULT_CONFIG.admin, listen: { host: '127.0.0.1', port: 0 }, token: ADMIN_TOKEN, tokens: [{ name: 'sam', role: 'admin' as const, token: SAM_TOKEN }, { name: 'viewer', role: 'read' as const, token: READ_TOKEN }] };
    s = await startStack({ config: { trustedProxies: ['127.0.0.1/32'], admin }, sim: { restLimit: false } });
    await importSeedDirectories(s);
    base = s.gw.adminUrl;
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const nav = (name: string): Locator => page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name, exact: true });

  async function fileRequest(fields: Record<string, string>, channel: 'employee' | 'sales_email' = 'employee'): Promise<void> {
    const form = page.locator('#file-request');
    for (const [name, value] of Object.entries(fields)) await form.locator(`[name=${name}]`).fill(value);
    await form.locator('[name=channel]').selectOption(channel);
    await form.getByRole('button', { name: 'File request' }).click();
    await page.locator('dialog [data-action=confirm]').click();
  }

  test('sign in, see a real attack\u2019s block, file, verify and approve a blocked admin\u2019s request, REST comes back, then sign out', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Admin token').fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await has(page.getByRole('alert'), 'wrong admin token');
    await shot(page, '00-sign-in-refused');
    await page.getByLabel('Admin token').fill(SAM_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as sam (admin)').waitFor();
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.evaluate(() => {
      const w = globalThis as any;
      return JSON.stringify({ ...w.localStorage }) + JSON.stringify({ ...w.sessionStorage }) + String(w.document.cookie);
    })).not.toMatch(/test-admin-token|portcullis_console/);

    // The empty state tells a new operator what to do.
    await page.getByText('No open unblock requests.').waitFor();
    await shot(page, '01-requests-empty');

    // A real attack through the gateway blocks an administrator and the portal's REST.
    await attackUntilBlocked(s, ACME, 'admin2@acme.example', '203.0.113.88');
    expect(await rest(s, ACME, ACME_HOOK)).toBe(403);
    await nav('Blocks').click();
    const row = page.locator('tr', { hasText: 'admin2@acme.example' });
    await row.waitFor();
    await has(row, ACME);
    await has(row, 'Rules:');
    await has(row, 'Score:');
    await has(page.locator('tr', { hasText: 'all REST calls' }), ACME);
    await shot(page, '02-blocks');

    // Filed by an active colleague; identity must be verified before approval (admin).
    await nav('Unblock requests').click();
    await fileRequest({ portal: ACME, blocked_user: 'admin2@acme.example', name: 'Arun Admin', email: 'admin2@acme.example', requested_by: 'sales@acme.example' });
    await has(page.getByRole('status').filter({ hasText: 'Filed' }), 'verify identity before approving');
    const req = page.locator('tr', { hasText: 'admin2@acme.example' });
    await req.locator('[data-action=verify-identity]').waitFor();
    expect(await req.locator('[data-action=approve]').count()).toBe(0);
    await has(req, 'open — identity check needed');
    await has(req, 'sales@acme.example');
    await shot(page, '03-requests-open');
    // The README's picture is refreshed only when asked, so that a test run leaves the tree as it was.
    if (process.env.PORTCULLIS_UPDATE_SCREENSHOT === '1') copyFileSync(path.join(REPO, 'test-artifacts/console/03-requests-open.png'), path.join(REPO, 'docs/console.png'));

    await req.locator('[data-action=verify-identity]').click();
    const dlg = page.locator('dialog');
    await dlg.getByLabel('How identity was verified').fill('callback to the number on file');
    await dlg.locator('[data-action=confirm]').click();
    await page.getByRole('status').filter({ hasText: 'verified' }).first().waitFor();
    await req.locator('[data-action=approve]').click();
    await has(page.locator('dialog h2'), 'Approve and unblock');
    await page.locator('dialog [data-action=confirm]').click();
    await has(page.getByRole('status').filter({ hasText: 'Approved' }), 'unblocked');

    // REST is back; the user must set a new password.
    expect(await rest(s, ACME, ACME_HOOK)).toBe(200);
    expect((await api(s, 'GET', `/v1/users/${ACME}/admin2@acme.example`)).body.state).toBe('reset_required');
    const audit = (await api(s, 'GET', `/v1/audit?portal=${ACME}&type=unblock_request_approved`)).body.items;
    expect(audit[0].actor).toMatch(/sam/);

    // Reject with a reason: an operator blocks the intern with the manual form, a colleague asks, support rejects.
    await nav('Blocks').click();
    const mb = page.locator('#manual-block');
    await mb.locator('[name=portal]').fill(ACME);
    await mb.locator('[name=kind]').selectOption('user');
    await mb.locator('[name=user]').fill('intern@acme.example');
    await mb.locator('[name=reason]').fill('suspected phishing');
    await mb.getByRole('button', { name: 'Block' }).click();
    await page.locator('dialog [data-action=confirm]').click();
    await page.locator('tr', { hasText: 'intern@acme.example' }).waitFor();
    await nav('Unblock requests').click();
    await fileRequest({ portal: ACME, blocked_user: 'intern@acme.example', name: 'Ivan Intern', email: 'intern@acme.example', requested_by: 'support@acme.example' });
    const ireq = page.locator('tr', { hasText: 'intern@acme.example' });
    await ireq.locator('[data-action=reject]').click();
    // The reason is required: confirming without one keeps the dialog open.
    await page.locator('dialog [data-action=confirm]').click();
    expect(await page.locator('dialog[open]').count()).toBe(1);
    await page.locator('dialog').getByLabel('Reason').fill('the caller could not confirm the e-mail address');
    await page.locator('dialog [data-action=confirm]').click();
    await page.getByRole('status').filter({ hasText: 'Rejected' }).first().waitFor();
    expect((await api(s, 'GET', `/v1/users/${ACME}/intern@acme.example`)).body.state).toBe('blocked');

    // An API error is shown as such: a second request for someone not blocked.
    await fileRequest({ portal: ACME, blocked_user: 'owner@acme.example', name: 'Olga Acme', email: 'owner@acme.example', requested_by: 'sales@acme.example' });
    await has(page.getByRole('alert'), 'PC_ERR_ADMIN_NOT_BLOCKED');

    // The sole user: refused, with the advice to register a new account.
    await attackUntilBlocked(s, SOLO, 'solo@solo.example', '203.0.113.99');
    await fileRequest({ portal: SOLO, blocked_user: 'solo@solo.example', name: 'Sol Only', email: 'solo@solo.example', requested_by: 'solo@solo.example' }, 'sales_email');
    const refusal = page.getByRole('alert');
    await has(refusal, '(409)');
    await has(refusal, 'only active user');
    await has(refusal, 'registering a new account');
    await has(refusal, 'PC_ERR_ADMIN_SOLE_USER');
    await shot(page, '04-requests-sole-user-refused');

    // Lift: the manual IP block made here, then gone.
    await nav('Blocks').click();
    await mb.locator('[name=portal]').fill(ACME);
    await mb.locator('[name=kind]').selectOption('ip');
    await mb.locator('[name=ip]').fill('198.51.100.7');
    await mb.locator('[name=reason]').fill('scanner');
    await mb.locator('[name=duration]').fill('2h');
    await mb.getByRole('button', { name: 'Block' }).click();
    await page.locator('dialog [data-action=confirm]').click();
    const ipRow = page.locator('tr', { hasText: '198.51.100.7' });
    await ipRow.waitFor().catch(async (e) => { console.log(await page.locator('main').innerText()); throw e; });
    await ipRow.locator('[data-action=lift]').click();
    await page.locator('dialog [data-action=confirm]').click();
    await page.getByRole('status').filter({ hasText: 'Lifted' }).first().waitFor();
    await ipRow.first().waitFor({ state: 'detached' });

    // The portal page.
    await nav('Portal').click();
    await page.locator('#portal-name').fill(ACME);
    await page.getByRole('button', { name: 'Show' }).click();
    await has(page.locator('tr', { hasText: 'admin2@acme.example' }), 'reset required');
    await has(page.locator('tr', { hasText: 'intern@acme.example' }), 'blocked');
    await page.getByRole('heading', { name: 'Posture' }).waitFor();
    await page.getByRole('heading', { name: 'Recent audit events' }).waitFor();
    await has(page.locator('main'), 'unblock request approved');
    await shot(page, '05-portal');

    // Activity: charts from /metrics, refreshed by themselves.
    await nav('Activity').click();
    await page.locator('svg.chart').first().waitFor();
    await page.locator('svg.chart polyline').first().waitFor({ state: 'attached', timeout: 15_000 });
    await has(page.locator('main'), 'Connected (ok)');
    const label = await page.locator('svg.chart').nth(1).getAttribute('aria-label');
    expect(label).toMatch(/user \d/);
    // The attacks above got decoys (answers decoy:<why>): the chart counts them, not 0.
    expect(label).toMatch(/decoy answers \(total\) [1-9]/);
    await shot(page, '06-activity');

    // Policies.
    await nav('Policies').click();
    await page.getByRole('heading', { name: 'Loaded set' }).waitFor();
    await has(page.locator('main'), 'No load errors.');
    await page.getByRole('button', { name: 'Reload policies' }).click();
    await page.locator('dialog [data-action=confirm]').click();
    await page.getByRole('status').filter({ hasText: 'Reloaded' }).first().waitFor();
    await shot(page, '07-policies');

    // Keyboard: the skip link and the navigation are reachable with Tab, with a visible focus ring.
    await nav('Blocks').focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const w = globalThis as any;
      const el = w.document.activeElement;
      return { text: String(el.textContent), outline: String(w.getComputedStyle(el).outlineStyle) };
    });
    expect(focused).toEqual({ text: 'Portal', outline: 'solid' });

    // A CSRF-less POST from the page itself (valid cookie) is refused.
    const forged = await page.evaluate(async () => {
      const r = await fetch('/console/api/v1/policies/reload', { method: 'POST' });
      return { status: r.status, body: (await r.json()) as { message: string } };
    });
    expect(forged.status).toBe(403);
    expect(forged.body.message).toMatch(/CSRF/);

    // Sign out: the next action is refused, in the page and with the old cookie.
    const cookie = (await context.cookies()).find((c) => c.name === 'portcullis_console')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    await shot(page, '08-signed-out');
    const after = await page.evaluate(async () => (await fetch('/console/api/v1/blocks')).status);
    expect(after).toBe(401);
    const replay = await http(base, 'GET', '/console/api/v1/unblock-requests', { cookie: `portcullis_console=${cookie.value}` });
    expect(replay.status).toBe(401);
    expect(replay.body.message).toMatch(/sign in again/);
  });

  test('a read-only token sees the pages but no action: no manual block, no lift, no request form, no reload', async () => {
    const ctx2 = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const p = await ctx2.newPage();
    p.setDefaultTimeout(10_000);
    try {
      await p.goto(`${base}/console/`);
      await p.getByLabel('Admin token').fill(READ_TOKEN);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByText('Signed in as viewer (read)').waitFor();
      await p.getByRole('heading', { name: 'Unblock requests' }).waitFor();
      expect(await p.locator('#file-request').count()).toBe(0);
      expect(await p.locator('[data-action=approve], [data-action=reject], [data-action=verify-identity]').count()).toBe(0);
      await p.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Blocks', exact: true }).click();
      await p.locator('tr', { hasText: 'intern@acme.example' }).waitFor();
      expect(await p.locator('#manual-block').count()).toBe(0);
      expect(await p.locator('[data-action=lift]').count()).toBe(0);
      await p.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Policies', exact: true }).click();
      await p.getByRole('heading', { name: 'Policies and rules' }).waitFor();
      expect(await p.getByRole('button', { name: 'Reload policies' }).count()).toBe(0);
      await shot(p, '09-read-only');
      // The server refuses it anyway, from the page's own session.
      const forced = await p.evaluate(async () => (await fetch('/console/api/v1/policies/reload', { method: 'POST' })).status);
      expect(forced).toBe(403);
    } finally {
      await ctx2.close();
    }
  });
});
