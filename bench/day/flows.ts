/**
 * What a person's browser or phone does on the wire: the password step, the one-time code, password
 * recovery by e-mail (SEND_PWD, the check word from the mailbox, CHANGE_PWD), and an integration's
 * REST call, all through the gateway. Each says what came back, as the person would see it.
 */
import type { GatewayClient } from './client';
import type { Device } from './population';

export type LoginResult = 'session' | 'otp' | 'refused' | 'other';

const FAILURE_TEXT = 'Incorrect login or password';

export async function passwordStep(client: GatewayClient, host: string, ip: string, login: string, password: string, device?: Device, ua?: string): Promise<LoginResult> {
  const a = await client.send({
    host, ip, method: 'POST', path: '/auth/?login=yes', ...(device ? { device } : {}), ...(ua ? { ua } : {}),
    form: { AUTH_FORM: 'Y', TYPE: 'AUTH', USER_LOGIN: login, USER_PASSWORD: password, USER_REMEMBER: 'Y' },
  });
  if (a.status === 302) return 'session';
  if (a.status === 200 && a.body.includes('name="USER_OTP"')) return 'otp';
  if (a.status === 200 && a.body.includes(FAILURE_TEXT)) return 'refused';
  return 'other';
}

export async function otpStep(client: GatewayClient, host: string, ip: string, device: Device, code: string): Promise<LoginResult> {
  const a = await client.send({ host, ip, method: 'POST', path: '/auth/?login=yes', device, form: { AUTH_FORM: 'Y', TYPE: 'OTP', USER_OTP: code, OTP_REMEMBER: 'Y' } });
  if (a.status === 302) return 'session';
  if (a.status === 200 && (a.body.includes(FAILURE_TEXT) || a.body.includes('name="USER_OTP"'))) return 'refused';
  return 'other';
}

/** A page of the portal in the session just opened (the person starts working). */
export async function browse(client: GatewayClient, host: string, ip: string, device: Device): Promise<void> {
  await client.send({ host, ip, method: 'GET', path: '/crm/deal/', device });
}

export async function requestCheckword(client: GatewayClient, host: string, ip: string, device: Device, login: string): Promise<boolean> {
  const a = await client.send({ host, ip, method: 'POST', path: '/auth/?forgot_password=yes', device, form: { AUTH_FORM: 'Y', TYPE: 'SEND_PWD', USER_LOGIN: login } });
  return a.status === 200;
}

export async function changePassword(client: GatewayClient, host: string, ip: string, device: Device, login: string, checkword: string, password: string): Promise<boolean> {
  const a = await client.send({
    host, ip, method: 'POST', path: '/auth/?change_password=yes', device,
    form: { AUTH_FORM: 'Y', TYPE: 'CHANGE_PWD', USER_LOGIN: login, USER_CHECKWORD: checkword, USER_PASSWORD: password, USER_CONFIRM_PASSWORD: password },
  });
  return a.status === 200 && a.body.includes('Password has been changed successfully.');
}
