/**
 * The OpenAPI 3.1 document of the admin API, built from the route table (./routes.ts) and the JSON
 * Schemas the validator uses (./schemas.ts). Served at GET /openapi.json; docs/admin-api.md is
 * generated from it (scripts/gen-admin-api.ts).
 */
import { ERROR_CATALOG } from '../lib/errors';
import { packageVersion } from '../lib/version';
import { ROLE_SUMMARIES, ROLES, rolesFor } from './roles';
import { ROUTES, type QueryParam, type RouteSpec } from './routes';
import { ANSWER_SCHEMAS, BODY_SCHEMAS } from './schemas';

const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });

function paramSchema(q: QueryParam): object {
  return {
    type: q.type,
    ...(q.enum ? { enum: q.enum } : {}),
    ...(q.minimum !== undefined ? { minimum: q.minimum } : {}),
    ...(q.maximum !== undefined ? { maximum: q.maximum } : {}),
    ...(q.format ? { format: q.format } : {}),
  };
}

function operation(r: RouteSpec): object {
  const parameters = [
    ...Object.entries(r.params ?? {}).map(([name, description]) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } })),
    ...(r.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: paramSchema(q) })),
  ];
  const responses: Record<string, object> = {};
  const roles = r.open ? [] : rolesFor(r.operationId);
  // Every route with a token can be refused for the token's role: the 403 is part of each contract.
  const all = r.open ? r.responses : { ...r.responses, 403: { description: `The token's role may not call this route (roles that may: ${roles.join(', ')}).`, codes: ['PC_ERR_ADMIN_ROLE_REFUSED'] } };
  for (const [status, resp] of Object.entries(all).sort(([a], [b]) => Number(a) - Number(b))) {
    const ok = Number(status) < 300;
    const codes = resp.codes ? ` Codes: ${resp.codes.join(', ')}.` : '';
    const schema = ok
      ? resp.schema
        ? resp.list
          ? { type: 'object', properties: { items: { type: 'array', items: ref(resp.schema) }, next_cursor: { type: ['string', 'null'] } } }
          : ref(resp.schema)
        : { type: 'object' }
      : ref('Error');
    responses[status] = {
      description: `${resp.description}${codes}`,
      content: resp.text ? { 'text/plain': { schema: { type: 'string' } } } : { 'application/json': { schema } },
    };
  }
  return {
    operationId: r.operationId,
    tags: [r.tag],
    summary: r.summary,
    ...(r.description || !r.open ? { description: [r.description, r.open ? '' : `Roles: ${roles.map((x) => `\`${x}\``).join(', ')}.`].filter(Boolean).join('\n\n') } : {}),
    ...(r.open ? {} : { 'x-roles': roles }),
    ...(r.open ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(r.body) } } } } : {}),
    responses,
  };
}

export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of ROUTES) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  const adminCodes = Object.fromEntries(Object.entries(ERROR_CATALOG).filter(([c]) => c.startsWith('PC_ERR_ADMIN_')));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Portcullis admin API',
      version: packageVersion(),
      description:
        'Blocks, unblock requests (the seed article\'s support flow), users and posture, the audit trail, policies, health and metrics. ' +
        'A bearer token on every route but /healthz, /readyz and /openapi.json: each token has a name (the audit\'s actor) and a role, and each route says the roles that may call it (`x-roles`); ' +
        'a token without the role gets 403 PC_ERR_ADMIN_ROLE_REFUSED. PORTCULLIS_ADMIN_TOKEN is the token named `admin` with role `admin` (every route). JSON in and out; every error body is ' +
        '{ error, code, message, field? } with a stable code. Lists page with ?limit= and ?cursor= (next_cursor).',
    },
    servers: [{ url: 'http://127.0.0.1:9180', description: 'The default admin listener (PORTCULLIS_ADMIN_LISTEN).' }],
    security: [{ bearer: [] }],
    tags: [...new Set(ROUTES.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A named admin token (admin.tokens, PORTCULLIS_ADMIN_TOKEN, PORTCULLIS_METRICS_TOKEN).' } },
      schemas: { ...BODY_SCHEMAS, ...ANSWER_SCHEMAS },
    },
    'x-error-codes': adminCodes,
    'x-roles': Object.fromEntries(ROLES.map((role) => [role, ROLE_SUMMARIES[role]])),
  };
}
