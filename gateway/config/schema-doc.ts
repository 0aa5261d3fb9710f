/**
 * Reads the configuration schema as documentation: one row per key, with its type, default and
 * description. scripts/gen-docs.ts renders the rows into docs/configuration.md, and the tests use them
 * to check that the reference and the example file name every key.
 */
import { CONFIG_SCHEMA } from './schema';

export interface KeyDoc {
  /** Dotted path; `portals.<host>` stands for any portal name. */
  readonly path: string;
  readonly type: string;
  /** JSON of the default, or '' when none is declared. */
  readonly default: string;
  readonly description: string;
}

interface SchemaNode {
  type?: string | readonly string[];
  format?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: readonly SchemaNode[];
  oneOf?: readonly SchemaNode[];
  enum?: readonly unknown[];
  const?: unknown;
}

function typeOf(node: SchemaNode): string {
  if (node.anyOf) return node.anyOf.map(typeOf).join(' or ');
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.oneOf) return 'map (by `kind`)';
  const types = ([] as string[]).concat(node.type ?? []);
  const named = types.map((t) => {
    if (t === 'object') return node.properties ? 'map' : 'map of host → settings';
    if (t === 'array') return `list of ${node.items ? typeOf(node.items) : 'values'}`;
    if (t === 'string' && node.format) return `string (${node.format})`;
    return t;
  });
  return named.join(' or ') || 'any';
}

/** Every key of the schema, parents before children, in the schema's order. */
export function configKeyDocs(): KeyDoc[] {
  const rows: KeyDoc[] = [];
  const visit = (node: SchemaNode, path: string): void => {
    if (path) {
      rows.push({
        path,
        type: typeOf(node),
        default: node.default === undefined ? '' : JSON.stringify(node.default),
        description: node.description ?? '',
      });
    }
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      // The store's kinds list their own keys; `kind` itself is documented once, with every value.
      if (node.oneOf && key === 'kind') continue;
      visit(child, path ? `${path}.${key}` : key);
    }
    if (node.oneOf) {
      const kinds = node.oneOf.map((b) => b.properties?.kind?.const).filter((k) => k !== undefined);
      const kindDescriptions = node.oneOf.map((b) => `\`${String(b.properties?.kind?.const)}\`: ${b.properties?.kind?.description ?? ''}`);
      rows.push({ path: `${path}.kind`, type: kinds.map((k) => JSON.stringify(k)).join(' | '), default: '', description: kindDescriptions.join(' ') });
      for (const branch of node.oneOf) {
        for (const [key, child] of Object.entries(branch.properties ?? {})) {
          if (key !== 'kind' && !rows.some((r) => r.path === `${path}.${key}`)) visit({ ...child, description: `(kind ${String(branch.properties?.kind?.const)}) ${child.description ?? ''}` }, `${path}.${key}`);
        }
      }
    }
    // Per-portal maps repeat portalDefaults' keys; one row says so rather than repeating them all.
    if (typeof node.additionalProperties === 'object' && node.additionalProperties.properties) {
      rows.push({ path: `${path}.<host>`, type: 'map', default: '', description: 'Settings of one portal: the same keys as `portalDefaults`, each optional.' });
    }
  };
  visit(CONFIG_SCHEMA as unknown as SchemaNode, '');
  return rows;
}
