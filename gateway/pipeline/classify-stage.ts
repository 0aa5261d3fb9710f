/**
 * The classify stage: the request head (and form, when buffered) into a typed `Classified` value. A
 * portal's other Host names become the portal's own name here, once, so that every later stage counts
 * and blocks one portal, whatever name the client wrote.
 */
import type { Answer } from './answer';
import { plainAnswer } from './answer';
import { AMBIGUOUS, classify } from './classify';
import type { BeforeStage } from './stages';

/** A login or REST call that names no portal (HTTP/1.0 without Host) cannot be checked: refused. */
const NO_PORTAL: Answer = plainAnswer(400, 'Bad Request: a Host header is required.', 'no_host');

/**
 * Login fields a portal reads one way or another depending on its php.ini (a cookie that contradicts
 * the form; a login field past max_input_vars; see auth-form.ts): the gateway cannot know which
 * principal the portal checks, so it refuses.
 */
const AMBIGUOUS_LOGIN: Answer = plainAnswer(400, 'Bad Request: the login fields can be read more than one way.', 'ambiguous_login');

export function classifyStage(aliases: Readonly<Record<string, string>> = {}): BeforeStage {
  const hasAliases = Object.keys(aliases).length > 0;
  return {
    name: 'classify',
    run(ctx) {
      const { classified, credentials } = classify(ctx.head, ctx.form);
      const alias = hasAliases ? aliases[classified.portal] : undefined;
      ctx.classified = alias ? { ...classified, portal: alias } : classified;
      ctx.credentials = credentials;
      if (classified.portal === '' && classified.kind !== 'other' && classified.kind !== 'websocket') return NO_PORTAL;
      if (classified.reason.endsWith(AMBIGUOUS)) return AMBIGUOUS_LOGIN;
      return undefined;
    },
  };
}
