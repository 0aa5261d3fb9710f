/**
 * Request targets as the portal receives them: the classifier's one reading of the target
 * (pipeline/classify/target.ts), never a second one. The path and query go upstream byte for byte as
 * the client sent them (a WHATWG URL would resolve dot segments and re-encode, so that the portal would
 * read another path than the one classified), and an absolute-form authority replaces Host exactly as
 * it was classified. A target that reading refuses never gets here (the classify stage answers 400).
 */
import { parseTarget } from '../pipeline/classify';

/** The path to send upstream, and for an absolute-form target the authority that replaces Host. */
export function originForm(target: string): { path: string; host: string | null } {
  const t = parseTarget(target);
  return { path: t.upstreamPath, host: t.form === 'absolute' && t.absoluteHost !== undefined ? t.absoluteHost : null };
}
