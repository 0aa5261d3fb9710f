/** The configuration module's public face: load, describe, and the contract types. */
export { loadConfig, MIN_SECRET_LENGTH, type LoadConfigOptions } from './load';
export { describeConfig, REDACTED } from './describe';
export { ENV_VARIABLES, type EnvVariable } from './env';
export { CONFIG_SCHEMA, LOG_LEVELS } from './schema';
export { DEFAULT_CONFIG, DEFAULT_LIMITS, DEFAULT_PORTAL_SETTINGS } from './defaults';
export type { ConfigLayer, DeepPartial } from './merge';
export type * from './types';
