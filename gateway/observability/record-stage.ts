/** The record stage: one log line and the request metrics, once per request. */
import type { RecordStage } from '../pipeline/stages';
import type { RequestLineSink } from './log';
import type { GatewayMetrics } from './metrics';
import type { Verdict } from '../decision/verdict';
import type { EventLog } from './event-log';
import { requestLine } from './request-line';

function matches(v: Verdict): { rule: string; shadow: boolean }[] {
  return v.rules.filter((r) => r.matched).map((r) => ({ rule: r.rule, shadow: r.shadow }));
}

export function recordStage(lines: RequestLineSink, metrics: GatewayMetrics, events?: EventLog): RecordStage {
  return {
    name: 'record',
    run(ctx) {
      const line = requestLine(ctx);
      metrics.countRequest(line.kind, line.status, line.answer, line.duration_ms / 1000);
      const st = ctx.state;
      if (st?.attempt) metrics.countVerdict('attempt', st.attempt.action?.do ?? 'none', matches(st.attempt));
      if (st?.outcomeVerdict) metrics.countVerdict('outcome', st.outcomeVerdict.action?.do ?? 'none', matches(st.outcomeVerdict));
      lines.write(line);
      if (events && st) events.record(ctx);
    },
  };
}
