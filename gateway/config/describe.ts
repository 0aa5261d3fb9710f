/**
 * A view of the effective configuration that is safe to print (`portcullis serve --print-config`) and to
 * serve (the admin API): secrets are shown only as set (`***`) or unset (null), passwords inside URLs
 * are masked. Everything else is shown as loaded, so operators see what the gateway really uses.
 */
import type { GatewayConfig, StoreConfig } from './types';

export const REDACTED = '***';

export function describeConfig(config: GatewayConfig): GatewayConfig {
  const view: GatewayConfig = {
    ...config,
    upstream: config.upstream === null ? null : maskUrlPassword(config.upstream),
    admin: {
      ...config.admin,
      token: config.admin.token === null ? null : REDACTED,
      metricsToken: config.admin.metricsToken === null ? null : REDACTED,
      tokens: config.admin.tokens.map((t) => ({ ...t, token: REDACTED })),
    },
    secret: config.secret === null ? null : REDACTED,
    store: maskStore(config.store),
    // A directory webhook's URL holds its secret code: shown only as set.
    portals: Object.fromEntries(
      Object.entries(config.portals).map(([host, p]) => [host, { ...p, directorySync: { ...p.directorySync, webhookUrl: p.directorySync.webhookUrl === null ? null : REDACTED } }]),
    ),
  };
  return JSON.parse(JSON.stringify(view)) as GatewayConfig;
}

function maskStore(store: StoreConfig): StoreConfig {
  return store.kind === 'redis' ? { ...store, url: maskUrlPassword(store.url) } : store;
}

function maskUrlPassword(text: string): string {
  try {
    const url = new URL(text);
    if (!url.password) return text;
    url.password = REDACTED;
    return url.toString();
  } catch {
    return text;
  }
}
