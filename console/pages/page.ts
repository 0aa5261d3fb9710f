import { ApiFailure } from '../api';
import { h, notice, type Child } from '../dom';

export interface PageContext {
  /** The signed-in token's name (the audit's actor). */
  readonly operator: string;
  /** Whether the session's role may call an admin operation: actions it may not are not shown (the server refuses them anyway). */
  may(operationId: string): boolean;
  readonly root: HTMLElement;
  go(hash: string): void;
}

/** Renders into ctx.root; may return a function that stops its timers. */
export type Page = (ctx: PageContext) => void | (() => void);

/** The portal the operator last looked at, shared by the pages (memory only). */
export const state = { portal: '' };

/** The API's refusal as the operator needs it: the message, the code, the field, and any advice. */
export function errorNotice(err: unknown, doing: string): HTMLElement {
  if (err instanceof ApiFailure) {
    const i = err.info;
    const parts: Child[] = [h('strong', {}, `${doing} failed (${i.status}): `), i.message];
    if (i.field) parts.push(h('div', {}, `Field: ${i.field}`));
    if (i.advice) parts.push(h('div', { class: 'advice' }, h('strong', {}, 'Advice: '), i.advice));
    parts.push(h('div', { class: 'code' }, i.code));
    return notice('error', ...parts);
  }
  return notice('error', h('strong', {}, `${doing} failed: `), err instanceof Error ? err.message : String(err));
}

export function pageHeader(title: string, intro: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('h1', {}, title), h('p', { class: 'intro' }, intro), ...extra);
}
