/**
 * OAuth for applications: the token endpoint `/oauth/token/` (on-prem, the portal's own; in the cloud
 * it is oauth.bitrix.info) and the check of an `auth=` access token on REST calls.
 *
 * - refresh_token grant only (the simulator has no authorization page to issue codes from);
 * - an access token lives 1 h and a refresh token 28 days, by the injected clock;
 * - a refresh rotates the refresh token (the old one is spent); the previous access token stays
 *   valid until it expires *(unverified: the real server may revoke it at once)*;
 * - errors use the OAuth 2.0 body `{"error","error_description"}` with status 400 (RFC 6749 §5.2;
 *   *unverified* for the real server).
 */
import { RestError } from './envelope';
import type { SimResponse } from './pages';
import { str, type PhpArray } from './php-request';
import { ACCESS_TOKEN_TTL_MS, Portal, REFRESH_TOKEN_TTL_MS } from './portal';
import type { SeedApp } from './seed';

function oauthError(error: string, description: string): SimResponse {
  return {
    status: 400,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify({ error, error_description: description }),
  };
}

export function handleTokenEndpoint(portal: Portal, params: PhpArray): SimResponse {
  const grant = str(params['grant_type']);
  const clientId = str(params['client_id']);
  const clientSecret = str(params['client_secret']);
  if (grant === '' || clientId === '') return oauthError('invalid_request', 'grant_type and client_id are required');
  const app = portal.apps.find((a) => a.client_id === clientId);
  if (!app || app.client_secret !== clientSecret) return oauthError('invalid_client', 'Invalid client credentials');
  if (grant !== 'refresh_token') return oauthError('invalid_grant', `Grant type "${grant}" is not available here`);
  const refresh = str(params['refresh_token']);
  if (refresh === '') return oauthError('invalid_request', 'refresh_token is required');
  const now = portal.clock.now();
  const stored = portal.refreshTokens.get(refresh);
  if (!stored || stored.app !== app || stored.expiresMs <= now) return oauthError('invalid_grant', 'Invalid refresh token');
  portal.refreshTokens.delete(refresh);
  const access = Portal.newOAuthToken();
  const nextRefresh = Portal.newOAuthToken();
  portal.accessTokens.set(access, { app, expiresMs: now + ACCESS_TOKEN_TTL_MS });
  portal.refreshTokens.set(nextRefresh, { app, expiresMs: now + REFRESH_TOKEN_TTL_MS });
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify({
      access_token: access,
      expires: Math.floor((now + ACCESS_TOKEN_TTL_MS) / 1000),
      expires_in: ACCESS_TOKEN_TTL_MS / 1000,
      scope: (app.scope ?? ['app']).join(','),
      domain: portal.host,
      server_endpoint: 'https://oauth.bitrix.info/rest/',
      status: 'L',
      client_endpoint: `https://${portal.host}/rest/`,
      member_id: portal.memberId,
      user_id: app.user_id,
      refresh_token: nextRefresh,
    }),
  };
}

/** The app behind an `auth=` access token, or the REST error the portal answers. */
export function appForAccessToken(portal: Portal, token: string): SeedApp {
  if (token === '') throw new RestError('NO_AUTH_FOUND');
  const stored = portal.accessTokens.get(token);
  if (!stored) throw new RestError('NO_AUTH_FOUND');
  if (stored.expiresMs <= portal.clock.now()) throw new RestError('expired_token');
  const user = portal.usersById.get(stored.app.user_id);
  if (!user || !user.active) throw new RestError('user_access_error');
  return stored.app;
}
