/**
 * `portcullis demo` (what `npm start` runs): the portal simulator, the gateway in front of it with the
 * embedded store and the default policies, and the admin listener, with one screen saying where each
 * listens, who can log in, and a curl line to try.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { request } from 'undici';
import { startGateway } from '../../app';
import { loadConfig } from '../../config/load';
import { clockForScale } from '../../lib/clock';
import { hostPortOption, nonNegativeNumberOption } from '../options';
import { reportAndExit } from '../fail';
import { keepServingOnStrayErrors, onReloadSignal, onShutdown } from '../shutdown';
import { bundledSeedFile, loadSimulator, type SimSeed } from '../simulator-module';

interface DemoOptions {
  listen?: string;
  portalListen: string;
  adminListen?: string;
  hashCostMs: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the simulator and the gateway in front of it, ready to try (npm start runs this).')
    .option('--listen <host:port>', 'gateway listener (default: $PORTCULLIS_LISTEN or 0.0.0.0:8080)')
    .option('--portal-listen <host:port>', 'portal simulator listener', '127.0.0.1:8081')
    .option('--admin-listen <host:port>', 'admin listener (default: $PORTCULLIS_ADMIN_LISTEN or 127.0.0.1:9180)')
    .option('--hash-cost-ms <ms>', "the simulator's mean password-hash cost", '25')
    .addHelpText('after', '\nThe demo keeps its state (and a generated secret) in $PORTCULLIS_STATE_DIR (default ./state).')
    .action(async (opts: DemoOptions) => {
      try {
        const sim = loadSimulator();
        const seedFile = bundledSeedFile();
        const portalAt = hostPortOption(opts.portalListen, '--portal-listen');
        const base = loadConfig({ env: process.env, file: null, requireUpstream: false, requireSecret: false });
        // Under PORTCULLIS_TIME_SCALE the portal's clock (token expiry, REST bucket) runs as the gateway's.
        const portal = await sim.startPortalSim({ host: portalAt.host, port: portalAt.port, seedFile, hashCostMs: nonNegativeNumberOption(opts.hashCostMs, '--hash-cost-ms'), clock: clockForScale(base.timeScale) });
        const secret = base.secret ?? demoSecret(base.stateDir);
        const token = base.admin.token ?? randomBytes(18).toString('base64url');
        const seed = sim.loadSeed(seedFile);
        const config = {
          ...base,
          // The simulator answers some portals under other names (localhost as 127.0.0.1): so does the gateway.
          portalAliases: { ...aliasesOf(seed), ...base.portalAliases },
          upstream: portal.url,
          secret,
          admin: { ...base.admin, listen: opts.adminListen ? hostPortOption(opts.adminListen, '--admin-listen') : base.admin.listen, token },
          listen: opts.listen ? hostPortOption(opts.listen, '--listen') : base.listen,
        };
        const gw = await startGateway(config);
        await importSeedDirectory(gw.adminUrl, token, seed);
        process.stdout.write(banner(gw.url, gw.adminUrl, portal.url, token, seed));
        onReloadSignal(() => gw.reloadPolicies('sighup'));
        keepServingOnStrayErrors((err, origin) => gw.logger.error({ err, origin, code: 'PC_ERR_INTERNAL' }, 'stray error caught; still serving'));
        onShutdown(async () => {
          await gw.close();
          await portal.close();
        });
      } catch (err) {
        reportAndExit(err);
      }
    });
}

/**
 * The support flow needs each portal's directory (who is an admin or the owner, who is active): the
 * demo imports the simulator seed's users through the admin API, as ops would import their portal's.
 * Logins, emails, names, phones, ids and flags only: the seed's passwords never leave the simulator's
 * side. (`portcullis directory sync` reads the same from the simulator's REST.)
 */
async function importSeedDirectory(adminUrl: string, token: string, seed: SimSeed): Promise<void> {
  for (const p of seed.portals) {
    const users = p.users.map((u) => ({
      login: u.login,
      ...(u.email !== undefined ? { email: u.email } : {}),
      ...(u.name !== undefined ? { name: u.name } : {}),
      admin: u.admin === true,
      owner: u.owner === true,
      active: u.active !== false,
      // As `portcullis directory sync` reads them from the simulator's user.get.
      ...((u.mobile ?? u.work_phone) !== undefined ? { phone: (u.mobile ?? u.work_phone)! } : {}),
      id: u.id,
    }));
    const res = await request(`${adminUrl}/v1/portals/${encodeURIComponent(p.host)}/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(users),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`importing the directory of ${p.host} failed: ${res.statusCode} ${text}`);
  }
}

function aliasesOf(seed: SimSeed): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of seed.portals) for (const a of p.aliases ?? []) out[a.toLowerCase()] = p.host;
  return out;
}

/** A secret kept in the state folder, so that device cookies survive a demo restart. */
function demoSecret(stateDir: string): string {
  const file = path.join(stateDir, 'demo-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(stateDir, { recursive: true });
  const s = randomBytes(32).toString('hex');
  writeFileSync(file, `${s}\n`, { mode: 0o600 });
  return s;
}

function banner(gateway: string, admin: string, portal: string, token: string, seed: SimSeed): string {
  const lines: string[] = [];
  lines.push('', 'Portcullis demo is running.', '');
  lines.push(`  gateway      ${gateway}     <- send your traffic here`);
  lines.push(`  portal sim   ${portal}     (what the gateway protects)`);
  lines.push(`  admin API    ${admin}     token: ${token}`);
  lines.push('');
  const demo = seed.portals.find((p) => p.host === 'localhost');
  if (demo) {
    lines.push('  Seeded users of portal "localhost" (login / password):');
    for (const u of demo.users) {
      const flags = [u.owner ? 'owner' : '', u.admin ? 'admin' : '', u.active === false ? 'inactive' : '', u.otp ? `2FA code ${u.otp}` : ''].filter(Boolean).join(', ');
      lines.push(`    ${u.login.padEnd(10)} ${u.password.padEnd(22)} ${flags}`);
    }
    const first = demo.users.find((u) => u.active !== false && !u.otp) ?? demo.users[0]!;
    const hook = demo.webhooks?.[0];
    lines.push('', '  Try:');
    lines.push(`    curl -si ${gateway}/auth/?login=yes -d AUTH_FORM=Y -d TYPE=AUTH -d USER_LOGIN=${first.login} --data-urlencode USER_PASSWORD='${first.password}' | head -5`);
    if (hook) lines.push(`    curl -s ${gateway}/rest/${hook.user_id}/${hook.code}/user.current.json`);
    lines.push(`    curl -s -H 'Authorization: Bearer ${token}' ${admin}/metrics | grep portcullis_requests`);
  }
  lines.push('', '  Ctrl-C stops everything.', '');
  return `${lines.join('\n')}\n`;
}
