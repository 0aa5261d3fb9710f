/**
 * Notifications to a portal's admins: audit event → allowlisted Notification → throttle per portal
 * and kind → webhook (retried with backoff) and email sender, each by the portal's `notify` settings.
 * Delivery runs in the background; the event's writer never waits for it, and a failure is logged
 * (without the URL) and counted, never thrown.
 */
import { Counter, type Registry } from 'prom-client';
import type { NotifySettings } from '../../config/types';
import type { AuditEvent } from '../../store/port';
import { LoggingEmailSender, type EmailSender, type NotifyLogger } from './email';
import { notificationOf, type Notification } from './notification';
import { Throttle } from './throttle';
import { deliverWebhook } from './webhook';

export interface NotifierDeps {
  readonly settingsFor: (portal: string) => NotifySettings;
  readonly logger: NotifyLogger;
  readonly registry?: Registry;
  /** Default: the logging sender. */
  readonly email?: EmailSender;
}

export class Notifier {
  private readonly throttle: Throttle;
  private readonly email: EmailSender;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sent: Counter<'channel' | 'result'> | undefined;
  private closed = false;

  constructor(private readonly deps: NotifierDeps) {
    this.email = deps.email ?? new LoggingEmailSender(deps.logger);
    this.throttle = new Throttle({ windowMsFor: (portal) => deps.settingsFor(portal).throttleWindowMs, send: (n) => this.dispatch(n) });
    this.sent = deps.registry
      ? new Counter({ name: 'portcullis_notifications_total', help: 'Notifications by channel (webhook, email) and result (sent, failed).', labelNames: ['channel', 'result'] as const, registers: [deps.registry] })
      : undefined;
  }

  /** The audit tap calls this for every event; most are not notifications. */
  onAudit(event: AuditEvent): void {
    if (this.closed) return;
    const n = notificationOf(event);
    if (!n) return;
    const s = this.deps.settingsFor(n.portal);
    if (!s.webhookUrl && s.emailTo.length === 0) return;
    this.throttle.push(n);
  }

  private dispatch(n: Notification): void {
    const s = this.deps.settingsFor(n.portal);
    if (s.webhookUrl) {
      this.track(
        deliverWebhook(n, { url: s.webhookUrl, retries: s.retries, retryBaseDelayMs: s.retryBaseDelayMs, timeoutMs: s.timeoutMs }, () => this.closed).then((r) => {
          this.sent?.labels('webhook', r.ok ? 'sent' : 'failed').inc();
          if (!r.ok) this.deps.logger.warn({ portal: n.portal, kind: n.kind, attempts: r.attempts, why: r.why }, 'notification webhook failed');
        }),
      );
    }
    if (s.emailTo.length > 0) {
      this.track(
        this.email.send({ to: s.emailTo, subject: `[Portcullis] ${n.portal}: ${n.kind.replace(/_/g, ' ')}`, text: n.text, notification: n }).then(
          () => void this.sent?.labels('email', 'sent').inc(),
          (err: unknown) => {
            this.sent?.labels('email', 'failed').inc();
            this.deps.logger.warn({ portal: n.portal, kind: n.kind, err: (err as Error)?.message }, 'notification email failed');
          },
        ),
      );
    }
  }

  private track(p: Promise<void>): void {
    const done = p.catch(() => undefined).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Sends what throttle windows hold, stops retrying, and waits for deliveries in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.throttle.flush();
    this.closed = true;
    await this.idle();
  }
}
