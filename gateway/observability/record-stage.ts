/** The record stage: one log line and the request metrics, once per request. */
import type { RecordStage } from '../pipeline/stages';
import type { Logger } from './log';
import type { GatewayMetrics } from './metrics';
import { requestLine } from './request-line';

export function recordStage(logger: Logger, metrics: GatewayMetrics): RecordStage {
  const logRequests = logger.isLevelEnabled('info');
  return {
    name: 'record',
    run(ctx) {
      const line = requestLine(ctx);
      metrics.countRequest(line.kind, line.status, line.answer, line.duration_ms / 1000);
      if (logRequests) logger.info(line, 'request');
    },
  };
}
