/** Parsing of command-line option values, with errors that name the flag. */
import type { HostPort } from '../config/types';
import { parseHostPort } from '../config/formats';
import { PortcullisError } from '../lib/errors';

export function hostPortOption(text: string, flag: string): HostPort {
  const parsed = parseHostPort(text, '127.0.0.1');
  if (!parsed.ok) throw new PortcullisError('PC_ERR_CONFIG_TYPE', `${flag} ${JSON.stringify(text)}: ${parsed.reason}; expected host:port, e.g. 127.0.0.1:8081`);
  return parsed.value;
}

export function nonNegativeNumberOption(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new PortcullisError('PC_ERR_CONFIG_TYPE', `${flag} must be a number >= 0, got ${JSON.stringify(text)}`);
  return n;
}
