export { isBotUserAgent } from './bot';
export {
  cookieValues,
  DEVICE_COOKIE_MAX_AGE_MS,
  DEVICE_COOKIE_NAME,
  deviceCookieValue,
  issueDeviceCookie,
  newDeviceId,
  NO_DEVICE_COOKIE,
  readDeviceCookie,
  type DeviceCookieRead,
  type DeviceCookieSecrets,
  type IssueDeviceCookie,
  type ReadDeviceCookieOptions,
} from './device-cookie';
export {
  DEVICE_COOKIE_REFRESH_AFTER_MS,
  deviceSignals,
  deviceToRemember,
  NO_DEVICE_HISTORY,
  type DeviceHistory,
  type DeviceMemory,
  type DeviceSense,
  type DeviceSignals,
  type KnownBy,
  type RememberDeviceOptions,
} from './device-signals';
export { deviceFingerprint, deviceTraits, primaryLanguage, type DeviceTraits } from './fingerprint';
export { userAgentTraits, type UserAgentTraits } from './user-agent';
