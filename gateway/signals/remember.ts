/**
 * From the signals of a request the portal accepted, what the store should remember (history.ts).
 * Pure: the caller saves the result.
 */
import { deviceToRemember, type DeviceSense } from './device/device-signals';
import { geoToRemember } from './geo/geo-signals';
import type { GeoLocation } from './geo/lookup';
import type { SuccessMemory } from './history';
import type { PasswordSignals } from './password/password-signals';

/** zxcvbn scores 0 ("too guessable") and 1 ("very guessable") are weak; 2 and up are not. */
export const WEAK_STRENGTH_AT_MOST = 1;

export interface LoginSuccess {
  readonly device: DeviceSense;
  readonly geo: GeoLocation;
  /** The password step's signals; undefined for an OTP step (it carries no password). */
  readonly password?: PasswordSignals;
  /** The accepted step was the OTP step, after a password step. */
  readonly secondFactor: boolean;
  readonly nowMs: number;
  readonly mintDeviceId: () => string;
}

export function rememberLoginSuccess(s: LoginSuccess): SuccessMemory {
  const pw = s.password;
  const geo = geoToRemember(s.geo, s.nowMs);
  const memory: SuccessMemory = {
    userKnown: true,
    device: deviceToRemember(s.device, { nowMs: s.nowMs, mintDeviceId: s.mintDeviceId }),
    weakPasswordSeen: pw !== undefined && pw.present && (pw.common || pw.strength <= WEAK_STRENGTH_AT_MOST),
    secondFactorSeen: s.secondFactor,
  };
  return geo === undefined ? memory : { ...memory, geo };
}
