/**
 * The simulator's seed: which portals exist, who can log in, which webhooks and OAuth apps are
 * installed. Loaded once at start; the running portal keeps its own mutable copy (passwords change).
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export interface SeedUser {
  id: number;
  login: string;
  email: string;
  name: string;
  password: string;
  admin: boolean;
  owner: boolean;
  active: boolean;
  /** A fixed one-time code for the simulator's second step; absent = no second factor. */
  otp?: string;
  /** Phone numbers as user.get returns them (PERSONAL_MOBILE, WORK_PHONE); absent = empty. */
  mobile?: string;
  work_phone?: string;
}

export interface SeedWebhook {
  user_id: number;
  code: string;
  /** REST scopes granted; absent = all scopes. */
  scope?: string[];
}

export interface SeedApp {
  client_id: string;
  client_secret: string;
  user_id: number;
  access_token: string;
  refresh_token: string;
  scope?: string[];
}

export interface SeedDeal {
  id: number;
  title: string;
  stage_id?: string;
  opportunity?: number;
  currency_id?: string;
  assigned_by_id?: number;
}

export interface SeedPortal {
  /** The canonical host name (lowercase, no port). */
  host: string;
  aliases?: string[];
  users: SeedUser[];
  webhooks?: SeedWebhook[];
  apps?: SeedApp[];
  deals?: SeedDeal[];
}

export interface Seed {
  portals: SeedPortal[];
}

export class SeedError extends Error {
  constructor(
    readonly file: string,
    readonly keyPath: string,
    problem: string,
  ) {
    super(`${file} ${keyPath}: ${problem}`);
    this.name = 'SeedError';
  }
}

/** The bundled seed, beside this module (the build copies it into dist/). */
export function defaultSeedFile(): string {
  return path.resolve(__dirname, 'seed.yaml');
}

export function loadSeed(file: string): Seed {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SeedError(file, '(file)', `cannot read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new SeedError(file, '(yaml)', `not valid YAML: ${(err as Error).message}`);
  }
  return validateSeed(doc, file);
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks every key, so that a typo in the seed is an error at start and not a silent default. */
export function validateSeed(doc: unknown, file = '(inline seed)'): Seed {
  const fail = (key: string, problem: string): never => {
    throw new SeedError(file, key, problem);
  };
  const known = (o: Obj, at: string, keys: string[]): void => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${at}.${k}`, `unknown key; allowed: ${keys.join(', ')}`);
  };
  const str = (o: Obj, k: string, at: string, optional = false): string | undefined => {
    const v = o[k];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v === '') return fail(`${at}.${k}`, 'must be a non-empty string');
    return v;
  };
  const int = (o: Obj, k: string, at: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return fail(`${at}.${k}`, 'must be a positive integer');
    return v;
  };
  const bool = (o: Obj, k: string, at: string, dflt: boolean): boolean => {
    const v = o[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') return fail(`${at}.${k}`, 'must be true or false');
    return v;
  };
  const strList = (o: Obj, k: string, at: string): string[] | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) return fail(`${at}.${k}`, 'must be a list of strings');
    return v as string[];
  };
  const list = (o: Obj, k: string, at: string, required: boolean): Obj[] => {
    const v = o[k];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || (required && v.length === 0)) return fail(`${at}.${k}`, 'must be a non-empty list');
    v.forEach((x, i) => {
      if (!isObj(x)) fail(`${at}.${k}[${i}]`, 'must be a mapping');
    });
    return v as Obj[];
  };

  if (!isObj(doc)) return fail('(root)', 'must be a mapping with a `portals` list');
  known(doc, '(root)', ['portals']);
  const hosts = new Set<string>();
  const portals = list(doc, 'portals', 'portals', true).map((p, pi): SeedPortal => {
    const at = `portals[${pi}]`;
    known(p, at, ['host', 'aliases', 'users', 'webhooks', 'apps', 'deals']);
    const host = str(p, 'host', at)!.toLowerCase();
    const aliases = (strList(p, 'aliases', at) ?? []).map((a) => a.toLowerCase());
    for (const h of [host, ...aliases]) {
      if (hosts.has(h)) fail(`${at}.host`, `host or alias "${h}" is used twice`);
      hosts.add(h);
    }
    const ids = new Set<number>();
    const logins = new Set<string>();
    const users = list(p, 'users', at, true).map((u, ui): SeedUser => {
      const uat = `${at}.users[${ui}]`;
      known(u, uat, ['id', 'login', 'email', 'name', 'password', 'admin', 'owner', 'active', 'otp', 'mobile', 'work_phone']);
      const user: SeedUser = {
        id: int(u, 'id', uat),
        login: str(u, 'login', uat)!,
        email: str(u, 'email', uat)!,
        name: str(u, 'name', uat)!,
        password: str(u, 'password', uat)!,
        admin: bool(u, 'admin', uat, false),
        owner: bool(u, 'owner', uat, false),
        active: bool(u, 'active', uat, true),
      };
      const otp = str(u, 'otp', uat, true);
      if (otp !== undefined) user.otp = otp;
      const mobile = str(u, 'mobile', uat, true);
      if (mobile !== undefined) user.mobile = mobile;
      const workPhone = str(u, 'work_phone', uat, true);
      if (workPhone !== undefined) user.work_phone = workPhone;
      if (ids.has(user.id)) fail(`${uat}.id`, `user id ${user.id} is used twice`);
      if (logins.has(user.login)) fail(`${uat}.login`, `login "${user.login}" is used twice`);
      ids.add(user.id);
      logins.add(user.login);
      return user;
    });
    const userRef = (o: Obj, oat: string, key = 'user_id'): number => {
      const id = int(o, key, oat);
      if (!ids.has(id)) fail(`${oat}.${key}`, `no user with id ${id} on this portal`);
      return id;
    };
    const webhooks = list(p, 'webhooks', at, false).map((w, wi): SeedWebhook => {
      const wat = `${at}.webhooks[${wi}]`;
      known(w, wat, ['user_id', 'code', 'scope']);
      const hook: SeedWebhook = { user_id: userRef(w, wat), code: str(w, 'code', wat)! };
      const scope = strList(w, 'scope', wat);
      if (scope) hook.scope = scope;
      return hook;
    });
    const apps = list(p, 'apps', at, false).map((a, ai): SeedApp => {
      const aat = `${at}.apps[${ai}]`;
      known(a, aat, ['client_id', 'client_secret', 'user_id', 'access_token', 'refresh_token', 'scope']);
      const app: SeedApp = {
        client_id: str(a, 'client_id', aat)!,
        client_secret: str(a, 'client_secret', aat)!,
        user_id: userRef(a, aat),
        access_token: str(a, 'access_token', aat)!,
        refresh_token: str(a, 'refresh_token', aat)!,
      };
      const scope = strList(a, 'scope', aat);
      if (scope) app.scope = scope;
      return app;
    });
    const deals = list(p, 'deals', at, false).map((d, di): SeedDeal => {
      const dat = `${at}.deals[${di}]`;
      known(d, dat, ['id', 'title', 'stage_id', 'opportunity', 'currency_id', 'assigned_by_id']);
      const deal: SeedDeal = { id: int(d, 'id', dat), title: str(d, 'title', dat)! };
      const stage = str(d, 'stage_id', dat, true);
      if (stage) deal.stage_id = stage;
      const cur = str(d, 'currency_id', dat, true);
      if (cur) deal.currency_id = cur;
      if (d['opportunity'] !== undefined) {
        if (typeof d['opportunity'] !== 'number') fail(`${dat}.opportunity`, 'must be a number');
        deal.opportunity = d['opportunity'] as number;
      }
      if (d['assigned_by_id'] !== undefined) deal.assigned_by_id = userRef(d, dat, 'assigned_by_id');
      return deal;
    });
    return { host, aliases, users, webhooks, apps, deals };
  });
  return { portals };
}
