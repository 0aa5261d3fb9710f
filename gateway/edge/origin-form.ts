/** Request targets as the portal receives them. */

/** The path to send upstream, and for an absolute-form target the authority that replaces Host. */
export function originForm(target: string): { path: string; host: string | null } {
  if (target.charCodeAt(0) === 47 /* / */) return { path: target, host: null };
  if (/^https?:\/\//i.test(target)) {
    try {
      const u = new URL(target);
      return { path: `${u.pathname}${u.search}` || '/', host: u.host };
    } catch {
      return { path: '/', host: null };
    }
  }
  return { path: target === '*' ? '*' : `/${target}`, host: null };
}
