/**
 * Answers in the portal's REST format (wire notes): `{"error": CODE, "error_description": text}` as
 * JSON, or the same envelope as XML for a `.xml` call. Used for the portal-wide REST block (403, an
 * error code SDKs treat as final), for a scoped breaker (the same 403, naming what was cut off) and for
 * the gateway's own REST limits (503 QUERY_LIMIT_EXCEEDED, which SDKs retry later).
 */
import type { PortalSettings } from '../config/types';
import type { Answer } from '../pipeline/answer';

export function restError(status: number, error: string, description: string, format: 'json' | 'xml', reason: string): Answer {
  const headers = {
    'content-type': format === 'xml' ? 'text/xml; charset=utf-8' : 'application/json; charset=utf-8',
    'access-control-allow-origin': '*',
    'cache-control': 'no-store',
  };
  const body =
    format === 'xml'
      ? `<?xml version="1.0" encoding="utf-8"?>\n<response><error>${xml(error)}</error><error_description>${xml(description)}</error_description></response>\n`
      : JSON.stringify({ error, error_description: description });
  return { status, headers, body, reason };
}

export function restBlockedAnswer(settings: PortalSettings, format: 'json' | 'xml', reason = 'rest_blocked'): Answer {
  const b = settings.rest.blocked;
  return restError(b.status, b.error, b.description, format, reason);
}

/**
 * A scoped breaker (a `limit` of 0 requests) on one webhook, app, method or user: the block's final
 * status and error code, with a description naming what was cut off (not the whole portal's REST).
 */
export function restCutOffAnswer(settings: PortalSettings, format: 'json' | 'xml', scope: string): Answer {
  const b = settings.rest.blocked;
  const what = scope === 'webhook' ? 'This webhook' : scope === 'app' ? 'This application' : scope === 'method' ? 'This REST method' : scope === 'user' ? "This user's REST access" : 'REST API of this Bitrix24';
  return restError(b.status, b.error, `${what} is blocked because of suspicious activity. Ask the account administrator to contact support.`, format, `${scope || 'portal'}_cut_off`);
}

export function restLimitAnswer(format: 'json' | 'xml'): Answer {
  return restError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests', format, 'rest_limited');
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
