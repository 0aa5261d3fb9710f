import { rememberSecondFactor, rememberSuccess, type UserRecord } from '../../gateway/pipeline/sense/user-record';

const who = { id: 'u1', portal: 'p', login: 'anna' };
const prior = { id: 'u1', portal: 'p', login: 'Anna', known: true, admin: true, owner: false, secondFactorSeen: false, weakPasswordSeen: false, knownDeviceIds: ['d1'], knownFingerprints: ['f1'], countries: ['DE'], updatedAtMs: 1, active: false } as UserRecord & { active: boolean };

test('a success keeps what other writers put in the record (the directory\'s active flag, admin) and adds the device', () => {
  const r = rememberSuccess(prior, who, { userKnown: true, device: { deviceId: 'd2', fingerprint: 'f2', issueCookie: true }, weakPasswordSeen: false, secondFactorSeen: false }, 5) as UserRecord & { active?: boolean };
  expect(r).toMatchObject({ login: 'Anna', admin: true, active: false, knownDeviceIds: ['d1', 'd2'], knownFingerprints: ['f1', 'f2'], countries: ['DE'], updatedAtMs: 5 });
});

test('a second factor seen changes that flag alone; a first sighting gets a blank record', () => {
  expect(rememberSecondFactor(prior, who, 7)).toEqual({ ...prior, secondFactorSeen: true, updatedAtMs: 7 });
  expect(rememberSecondFactor(undefined, who, 7)).toMatchObject({ id: 'u1', login: 'anna', known: false, secondFactorSeen: true, knownDeviceIds: [] });
});
