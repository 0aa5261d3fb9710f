export { attemptedPasswordHash, type PasswordAttempt } from './attempted-password';
export { BloomFilter, bloomFalsePositiveRate, bloomShape, type BloomShape } from './bloom-filter';
export { characterCounts, type CharacterCounts } from './character-classes';
export {
  bundledCommonPasswords,
  commonPasswordListFrom,
  COMMON_PASSWORD_MAX_LENGTH,
  type CommonPasswordList,
} from './common-passwords';
export { formHasEncryptedAuth, isRsaEncryptedValue, RSA_DATA_FIELD } from './encrypted';
export {
  containsLogin,
  passwordSignals,
  UNKNOWN_PASSWORD,
  type PasswordLists,
  type PasswordSignalOptions,
  type PasswordSignals,
} from './password-signals';
export { passwordStrength, STRENGTH_ANALYSED_CHARS, type StrengthScore } from './strength';
