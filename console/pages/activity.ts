/**
 * Activity from the same numbers as /metrics, refreshed every few seconds: requests per minute by how
 * they were answered, blocks active by kind and decoys, shadow would-haves per rule, store state.
 */
import { metricsText } from '../api';
import { barChart, lineChart, PALETTE } from '../charts';
import { clear, h, notice } from '../dom';
import { decoyAnswers, parseMetrics, sumBy } from '../metrics';
import { errorNotice, pageHeader, type Page } from './page';

const EVERY_MS = 3000;
const SLOTS = 40;

export const activityPage: Page = (ctx) => {
  const body = h('div', { class: 'charts' }, h('p', {}, 'Loading…'));
  const updated = h('p', { class: 'hint', 'aria-live': 'off' });
  let previous: Map<string, number> | null = null;
  let previousAt = 0;
  const history = new Map<string, number[]>();
  let alive = true;

  function push(key: string, v: number): void {
    const arr = history.get(key) ?? [];
    arr.push(v);
    if (arr.length > SLOTS) arr.shift();
    history.set(key, arr);
  }

  async function tick(): Promise<void> {
    let text: string;
    try {
      text = await metricsText();
    } catch (err) {
      if (!alive) return;
      clear(body);
      body.appendChild(errorNotice(err, 'Reading /metrics'));
      return;
    }
    if (!alive) return;
    const samples = parseMetrics(text);
    const now = Date.now();
    const byAnswer = sumBy(samples, 'portcullis_requests_total', 'answer');
    if (previous) {
      const minutes = Math.max(0.001, (now - previousAt) / 60000);
      const keys = new Set([...byAnswer.keys(), ...history.keys()]);
      for (const k of keys) push(k, Math.max(0, ((byAnswer.get(k) ?? 0) - (previous.get(k) ?? 0)) / minutes));
    }
    previous = byAnswer;
    previousAt = now;

    const top = [...history.entries()].sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0)).slice(0, 6);
    const blocks = [...sumBy(samples, 'portcullis_blocks_active', 'kind')].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
    const decoys = decoyAnswers(byAnswer);
    const shadow = [...sumBy(samples, 'portcullis_rule_matches_total', 'rule', (l) => l.shadow === 'true')].sort((a, b) => b[1] - a[1]).slice(0, 12);
    const enforced = [...sumBy(samples, 'portcullis_verdicts_total', 'action', (l) => l.action !== 'none')].sort((a, b) => b[1] - a[1]);
    const storeState = [...sumBy(samples, 'portcullis_store_state', 'state')].find(([, v]) => v === 1)?.[0] ?? 'unknown';
    const queued = sumBy(samples, 'portcullis_store_queued_writes', null).get('') ?? 0;
    const lag = sumBy(samples, 'portcullis_block_propagation_lag_seconds', null).get('') ?? 0;

    clear(body);
    const legend = h('ul', { class: 'legend' }, ...top.map(([k], i) => h('li', {}, h('span', { class: 'swatch', 'data-color': String(i) }), k)));
    legend.querySelectorAll<HTMLElement>('.swatch').forEach((s, i) => (s.style.background = PALETTE[i % PALETTE.length]!));
    body.append(
      h(
        'section',
        { class: 'card chart-card', 'aria-labelledby': 'c1' },
        h('h2', { id: 'c1' }, 'Requests per minute, by answer'),
        top.length === 0 ? h('p', { class: 'hint' }, 'Collecting: the first rates appear after two samples.') : null,
        lineChart(top.map(([name, points]) => ({ name, points })), { label: 'Requests per minute by answer', unit: 'per minute', slots: SLOTS }),
        legend,
      ),
      h('section', { class: 'card chart-card', 'aria-labelledby': 'c2' }, h('h2', { id: 'c2' }, 'Blocks active and decoys'), barChart([...blocks, ['decoy answers (total)', decoys] as const], { label: 'Blocks active by kind, and decoy answers', unit: 'count', empty: 'No active blocks.' })),
      h('section', { class: 'card chart-card', 'aria-labelledby': 'c3' }, h('h2', { id: 'c3' }, 'Shadow would-haves per rule'), barChart(shadow, { label: 'Shadow rule matches (would have acted)', unit: 'matches since start', empty: 'No shadow rule has matched yet.' })),
      h('section', { class: 'card chart-card', 'aria-labelledby': 'c4' }, h('h2', { id: 'c4' }, 'Enforced verdicts by action'), barChart(enforced, { label: 'Enforced verdicts by action', unit: 'since start', empty: 'No verdict has acted yet.' })),
      h(
        'section',
        { class: 'card chart-card', 'aria-labelledby': 'c5' },
        h('h2', { id: 'c5' }, 'Store'),
        storeState === 'ok' ? notice('ok', 'Connected (ok).') : storeState === 'fallback' ? notice('error', `Fallback: the store is unreachable; serving from memory, ${queued} writes queued.`) : notice('error', `Store state: ${storeState}.`),
        h('p', {}, `Block propagation lag (last change): ${lag.toFixed(3)} s`),
      ),
    );
    updated.textContent = `Updated ${new Date(now).toLocaleTimeString()}; refreshes every ${EVERY_MS / 1000} s.`;
  }

  clear(ctx.root);
  ctx.root.append(pageHeader('Activity', 'Attacks, blocks and what shadow rules would have done, from the gateway\u2019s own metrics.'), updated, body);
  void tick();
  const timer = setInterval(() => void tick(), EVERY_MS);
  return () => {
    alive = false;
    clearInterval(timer);
  };
};
