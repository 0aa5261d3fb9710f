/**
 * Answers in the portal's REST format (wire notes): `{"error": CODE, "error_description": text}` as
 * JSON, or the same envelope as XML for a `.xml` call. Used for the portal-wide REST block (403, an
 * error code SDKs treat as final) and for the gateway's own REST limits (503 QUERY_LIMIT_EXCEEDED,
 * which SDKs retry later).
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

export function restLimitAnswer(format: 'json' | 'xml'): Answer {
  return restError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests', format, 'rest_limited');
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
