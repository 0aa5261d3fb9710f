/**
 * The OpenAPI 3.1 document of the admin API, built from the route table (./routes.ts) and the JSON
 * Schemas the validator uses (./schemas.ts). Served at GET /openapi.json; docs/admin-api.md is
 * generated from it (scripts/gen-admin-api.ts).
 */
import { ERROR_CATALOG } from '../lib/errors';
import { packageVersion } from '../lib/version';
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
  for (const [status, resp] of Object.entries(r.responses)) {
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
    ...(r.description ? { description: r.description } : {}),
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
        'Bearer token (PORTCULLIS_ADMIN_TOKEN) on every route but /healthz, /readyz and /openapi.json. JSON in and out; every error body is ' +
        '{ error, code, message, field? } with a stable code. Lists page with ?limit= and ?cursor= (next_cursor).',
    },
    servers: [{ url: 'http://127.0.0.1:9180', description: 'The default admin listener (PORTCULLIS_ADMIN_LISTEN).' }],
    security: [{ bearer: [] }],
    tags: [...new Set(ROUTES.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'PORTCULLIS_ADMIN_TOKEN' } },
      schemas: { ...BODY_SCHEMAS, ...ANSWER_SCHEMAS },
    },
    'x-error-codes': adminCodes,
  };
}
