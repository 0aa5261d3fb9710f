/**
 * The classify stage: the request head (and form, when buffered) into a typed `Classified` value. A
 * portal's other Host names become the portal's own name here, once, so that every later stage counts
 * and blocks one portal, whatever name the client wrote. A request the classifier refuses (a target or
 * fields the portal could read two ways, see classify.ts) is answered 400 here, before anything counts it.
 */
import type { Answer } from './answer';
import { plainAnswer } from './answer';
import { classify } from './classify';
import type { BeforeStage } from './stages';

/** A login or REST call that names no portal (HTTP/1.0 without Host) cannot be checked: refused. */
const NO_PORTAL: Answer = plainAnswer(400, 'Bad Request: a Host header is required.', 'no_host');

export function classifyStage(aliases: Readonly<Record<string, string>> = {}): BeforeStage {
  const hasAliases = Object.keys(aliases).length > 0;
  return {
    name: 'classify',
    run(ctx) {
      const { classified, credentials, refused } = classify(ctx.head, ctx.form);
      const alias = hasAliases ? aliases[classified.portal] : undefined;
      ctx.classified = alias ? { ...classified, portal: alias } : classified;
      if (refused !== undefined) return plainAnswer(400, 'Bad Request: the portal could read this request more than one way.', `refused:${refused}`);
      ctx.credentials = credentials;
      if (classified.portal === '' && classified.kind !== 'other' && classified.kind !== 'websocket') return NO_PORTAL;
      return undefined;
    },
  };
}
