/** The `user.*` group, from the classifier's principal and the store's facts about the user. */
import type { Classified } from '../pipeline/request';
import type { PortalFacts, UserFacts } from './history';

export interface UserSignals {
  readonly login: string;
  readonly known: boolean;
  readonly exists: boolean;
  readonly password_changed_recently: boolean;
  readonly admin: boolean;
  readonly owner: boolean;
  readonly second_factor: boolean;
  readonly weak_password_seen: boolean;
  readonly active_employees_on_portal: number;
}

/** How long after a password change a success is never suspicious (`user.password_changed_recently`). */
export const RECENT_PASSWORD_CHANGE_MS = 3600_000;

export function userSignals(
  classified: Pick<Classified, 'principal'>,
  user: UserFacts | undefined,
  portal: PortalFacts | undefined,
  context: { readonly inDirectory?: boolean; readonly nowMs?: number } = {},
): UserSignals {
  const employees = portal?.activeEmployees ?? 0;
  const changedAt = user?.passwordChangedAtMs;
  return {
    login: classified.principal.login ?? '',
    known: user?.known ?? false,
    exists: (user?.known ?? false) || context.inDirectory === true,
    password_changed_recently: changedAt !== undefined && context.nowMs !== undefined && context.nowMs - changedAt < RECENT_PASSWORD_CHANGE_MS,
    admin: user?.admin === true || user?.owner === true,
    owner: user?.owner ?? false,
    second_factor: user?.secondFactorSeen ?? false,
    weak_password_seen: user?.weakPasswordSeen ?? false,
    active_employees_on_portal: Number.isFinite(employees) && employees > 0 ? Math.trunc(employees) : 0,
  };
}
