/**
 * The pure sensors of the sense stage (DESIGN §2): synchronous functions from a request's values, and
 * from history the store loaded, to signal values; plus what a success should teach the store. No
 * store access and no I/O here, except the two bundled data sets (common passwords, geoip), each read
 * once on first use.
 */
export { SIGNAL_CATALOG, SIGNALS_BY_NAME, type SignalDef, type SignalGroup, type SignalType } from './catalog';
export { docsTable } from './docs-table';
export { keyedHash, keyedMac, KEYED_HASH_BYTES, type HashPurpose, type Secret } from './keyed-hash';
export { UNKNOWN_USER, type PortalFacts, type SuccessMemory, type UserFacts, type UserHistory } from './history';
export { rememberLoginSuccess, WEAK_STRENGTH_AT_MOST, type LoginSuccess } from './remember';
export {
  DEFAULT_IP_PREFIX,
  requestSignals,
  USER_AGENT_SIGNAL_CHARS,
  type IpPrefixLengths,
  type RequestSignalInput,
  type RequestSignals,
} from './request-signals';
export {
  batchCommandsInJson,
  batchCommandsInQuery,
  MAX_COUNTED_BATCH_COMMANDS,
  restSignals,
  type RestSignalInput,
  type RestSignals,
} from './rest-signals';
export { userSignals, type UserSignals } from './user-signals';
export * from './password';
export * from './device';
export * from './geo';
