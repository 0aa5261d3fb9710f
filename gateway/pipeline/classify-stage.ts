/**
 * The classify stage: the request head (and form, when buffered) into a typed `Classified` value. A
 * portal's other Host names become the portal's own name here, once, so that every later stage counts
 * and blocks one portal, whatever name the client wrote. A request the classifier refuses (a target or
 * fields the portal could read two ways, see classify.ts) is answered 400 here, before anything counts it.
 */
import type { Answer } from './answer';
import { plainAnswer } from './answer';
import { validHostName } from '../lib/host-name';
import { classify } from './classify';
import type { BeforeStage } from './stages';

/** A login or REST call that names no portal (HTTP/1.0 without Host) cannot be checked: refused. */
const NO_PORTAL: Answer = plainAnswer(400, 'Bad Request: a Host header is required.', 'no_host');
/** A Host that is no host name (too long, a label over 63, characters no name has): no portal. */
const BAD_HOST: Answer = plainAnswer(400, 'Bad Request: the Host is not a valid host name.', 'bad_host');
/** unknownPortals: refuse, and the Host is none of the configured portals. */
const UNKNOWN_PORTAL: Answer = plainAnswer(421, 'Misdirected Request: this gateway does not serve that host name.', 'unknown_portal');

export interface ClassifyStageOptions {
  /** Other Host names of a portal → the portal (config portalAliases). */
  readonly aliases?: Readonly<Record<string, string>>;
  /** The portals this gateway serves, when it serves no other (unknownPortals: refuse); absent: any. */
  readonly onlyPortals?: ReadonlySet<string>;
}

export function classifyStage(options: ClassifyStageOptions = {}): BeforeStage {
  const aliases = options.aliases ?? {};
  const hasAliases = Object.keys(aliases).length > 0;
  return {
    name: 'classify',
    run(ctx) {
      const { classified, credentials, refused } = classify(ctx.head, ctx.form);
      const alias = hasAliases ? aliases[classified.portal] : undefined;
      ctx.classified = alias ? { ...classified, portal: alias } : classified;
      if (refused !== undefined) return plainAnswer(400, 'Bad Request: the portal could read this request more than one way.', `refused:${refused}`);
      ctx.credentials = credentials;
      if (classified.portal === '') return classified.kind !== 'other' && classified.kind !== 'websocket' ? NO_PORTAL : undefined;
      // Before any stage keys a table by it: every table is bounded, but a name no portal can have is
      // refused outright, whatever the kind.
      if (!validHostName(classified.portal)) return BAD_HOST;
      if (options.onlyPortals && !alias && !options.onlyPortals.has(classified.portal)) return UNKNOWN_PORTAL;
      return undefined;
    },
  };
}
