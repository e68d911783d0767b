// Building the page: one small element helper (no framework) and the words shared by the views.
import type { AccountView, WordedResult } from '../wire.js';
import { ApiError } from './api.js';
import { _, formatTime, N_ } from './i18n.js';

/** What h() appends: nodes and text; `false`/null/undefined are skipped, arrays flattened. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes; `on<event>` adds a listener, `class` sets className, `true` an empty attribute. */
export interface Attrs {
  [key: string]: string | number | boolean | null | undefined | ((ev: Event) => unknown);
}

/** h('button', { onclick, class: 'x' }, 'text', child) → an element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') {
      if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    } else if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  el.append(...nodes(children));
  return el;
}

/** Children as what append() takes. */
function nodes(children: readonly Child[]): (Node | string)[] {
  const out: (Node | string)[] = [];
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) out.push(...nodes(c));
    else if (c instanceof Node) out.push(c);
    else if (typeof c === 'string' || typeof c === 'number') out.push(String(c));
  }
  return out;
}

/** Bytes as base64 (a file's: certificates are text, a PKCS#12 bundle or a DER certificate is not). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A form's submit handled by an async function (its errors are the handler's to show). */
export function onSubmit(form: HTMLFormElement, handler: (ev: SubmitEvent) => Promise<void>): void {
  form.addEventListener('submit', (ev) => void handler(ev));
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren(...nodes(children));
}

/** The element with this id, which index.html has. */
export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

let uid = 0;
/** A unique id for label/field pairs. */
export const newId = (prefix: string) => `${prefix}-${++uid}`;

/** A select's choices: `options`, '' shown as "(default)". */
export interface SelectAttrs {
  tag: 'select';
  options: string[];
  value: string;
  name?: string;
}

/** A labelled input (or select); returns [wrapper, input]. */
export function field(label: string, attrs: SelectAttrs, help?: string): [HTMLDivElement, HTMLSelectElement];
export function field(label: string, attrs?: Attrs, help?: string): [HTMLDivElement, HTMLInputElement];
export function field(
  label: string,
  attrs: Attrs | SelectAttrs = {},
  help = '',
): [HTMLDivElement, HTMLInputElement | HTMLSelectElement] {
  const id = newId('f');
  const helpId = help ? `${id}-help` : undefined;
  const input = isSelect(attrs)
    ? h(
        'select',
        { id, name: attrs.name, 'aria-describedby': helpId },
        ...attrs.options.map((o) => h('option', { value: o, selected: o === attrs.value }, o || _('(default)'))),
      )
    : h('input', { id, type: 'text', ...attrs, 'aria-describedby': helpId });
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    help && h('p', { class: 'help', id: helpId }, help),
  );
  return [wrap, input];
}

const isSelect = (attrs: Attrs | SelectAttrs): attrs is SelectAttrs => attrs.tag === 'select';

/** An account's status in words (translated where shown). */
export const STATUS_WORDS: Record<string, string> = {
  none: N_('No status yet'),
  online: N_('Online'),
  offline: N_('Offline'),
  error: N_('Error'),
};

/** A time in the page's language: the time alone today, else date and time; '' for 0. */
export const timeText = (ms: number): string => formatTime(ms);

/** A status line: badge, message and since when. */
export function statusLine(a: AccountView): HTMLParagraphElement {
  return h(
    'p',
    { class: 'status' },
    h('span', { class: `badge ${a.status}` }, STATUS_WORDS[a.status] ? _(STATUS_WORDS[a.status]!) : a.status),
    a.statusMessage && h('span', { class: 'message' }, ' ', a.statusMessage),
    a.statusTime ? h('span', { class: 'when' }, ' · ', _('since {time}', { time: timeText(a.statusTime) })) : null,
  );
}

/** An error (an API refusal, or anything thrown) as a box with its details. */
export function errorBox(err: unknown): HTMLDivElement {
  const body = err instanceof ApiError ? err.body : {};
  const message = err instanceof Error ? err.message : '';
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, body.summary || message || _('Something went wrong.')),
    body.details && h('details', {}, h('summary', {}, _('Details')), h('pre', {}, body.details)),
  );
}

/** Check results, one per protocol, in words; the server's reply under Details; `extra` adds to a result (a button). */
export function resultsList(results: WordedResult[], extra?: (r: WordedResult) => Child): HTMLUListElement {
  return h(
    'ul',
    { class: 'results', 'aria-label': _('Check results') },
    results.map((r) =>
      h(
        'li',
        { class: r.ok ? 'ok' : 'failed' },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, r.ok ? '✓' : '✗'),
        ' ',
        r.summary,
        !r.ok &&
          r.message &&
          h(
            'details',
            {},
            h('summary', {}, _('Details ({protocol})', { protocol: r.title })),
            h('pre', {}, `${r.code}: ${r.message}`),
          ),
        extra?.(r),
      ),
    ),
  );
}

/** A short message in the live region (read out by screen readers); cleared by the next page change. */
export function say(text: string): void {
  const notice = byId('notice');
  notice.textContent = text;
  notice.dataset.at = String(Date.now());
}

/** Clears a message said more than a moment ago (one said just before navigating stays). */
export function clearOldNotice(): void {
  const notice = byId('notice');
  if (Date.now() - Number(notice.dataset.at ?? 0) > 1000) notice.textContent = '';
}

/**
 * A provider's icon, decorative (its name is beside it): the file the service names, served by
 * the window at /icons/provider/ID; for an icon name of the theme (a browser has no theme) or
 * none, a generic tile with the name's first letter.
 */
export function providerIcon(id: string, icon: string | undefined, name: string): HTMLElement {
  if (typeof icon === 'string' && icon.startsWith('/')) {
    return h('img', {
      class: 'provider-icon',
      src: `/icons/provider/${encodeURIComponent(id)}`,
      alt: '',
      width: 32,
      height: 32,
    });
  }
  return h(
    'span',
    { class: 'provider-icon generic', 'aria-hidden': 'true' },
    (name || id || '?').trim().charAt(0).toUpperCase(),
  );
}

/**
 * A translated message whose placeholders are elements: parts(_('{app} asks to use {account}'),
 * { app: h('strong', {}, …), … }) → the text around them, in the translation's word order.
 */
export function parts(message: string, values: Record<string, Child>): Child[] {
  return message.split(/(\{[A-Za-z_][A-Za-z0-9_]*\})/).map((piece) => {
    const name = /^\{(.+)\}$/.exec(piece)?.[1];
    return name !== undefined && Object.hasOwn(values, name) ? values[name] : piece;
  });
}
