/**
 * The email side of notifications: an interface, so a deployment can plug in its mail relay, and the
 * built-in implementation that writes a log line instead of mailing (the gateway ships no SMTP client).
 * The line names the subject and how many recipients, never the body's secrets (there are none: the
 * body is a Notification, built from an allowlist).
 */
import type { Notification } from './notification';

export interface EmailSender {
  send(message: { readonly to: readonly string[]; readonly subject: string; readonly text: string; readonly notification: Notification }): Promise<void>;
}

export interface NotifyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class LoggingEmailSender implements EmailSender {
  constructor(private readonly logger: NotifyLogger) {}

  async send(message: { to: readonly string[]; subject: string; text: string; notification: Notification }): Promise<void> {
    this.logger.info({ portal: message.notification.portal, kind: message.notification.kind, recipients: message.to.length, subject: message.subject }, 'notification email (logging sender: not mailed)');
  }
}
