/** The `user.*` group, from the classifier's principal and the store's facts about the user. */
import type { Classified } from '../pipeline/request';
import type { PortalFacts, UserFacts } from './history';

export interface UserSignals {
  readonly login: string;
  readonly known: boolean;
  readonly admin: boolean;
  readonly owner: boolean;
  readonly second_factor: boolean;
  readonly weak_password_seen: boolean;
  readonly active_employees_on_portal: number;
}

export function userSignals(classified: Pick<Classified, 'principal'>, user: UserFacts | undefined, portal: PortalFacts | undefined): UserSignals {
  const employees = portal?.activeEmployees ?? 0;
  return {
    login: classified.principal.login ?? '',
    known: user?.known ?? false,
    admin: user?.admin === true || user?.owner === true,
    owner: user?.owner ?? false,
    second_factor: user?.secondFactorSeen ?? false,
    weak_password_seen: user?.weakPasswordSeen ?? false,
    active_employees_on_portal: Number.isFinite(employees) && employees > 0 ? Math.trunc(employees) : 0,
  };
}
