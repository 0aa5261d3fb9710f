/** The little the store needs of a logger (pino fits); the default writes nothing. */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export const silentLogger: StoreLogger = { warn: () => undefined, info: () => undefined };
