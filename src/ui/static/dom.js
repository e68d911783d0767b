// Building the page: one small element helper (no framework) and the words shared by the views.

/** h('button', { onclick, class: 'x' }, 'text', child) → an element. `false`/null children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Bytes as base64 (a file's: certificates are text, a PKCS#12 bundle or a DER certificate is not). */
export function bytesToBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

let uid = 0;
/** A unique id for label/field pairs. */
export const newId = (prefix) => `${prefix}-${++uid}`;

/** A labelled input; returns [wrapper, input]. */
export function field(label, attrs = {}, help = '') {
  const id = newId('f');
  const helpId = help ? `${id}-help` : undefined;
  const input = attrs.tag === 'select'
    ? h('select', { id, name: attrs.name, 'aria-describedby': helpId }, ...(attrs.options ?? []).map((o) => h('option', { value: o, selected: o === attrs.value }, o || '(default)')))
    : h('input', { id, type: 'text', ...attrs, tag: undefined, 'aria-describedby': helpId });
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input, help && h('p', { class: 'help', id: helpId }, help));
  return [wrap, input];
}

export const STATUS_WORDS = { none: 'No status yet', online: 'Online', offline: 'Offline', error: 'Error' };

export function timeText(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

/** A status line: badge, message and since when. */
export function statusLine(a) {
  return h('p', { class: 'status' },
    h('span', { class: `badge ${a.status}` }, STATUS_WORDS[a.status] ?? a.status),
    a.statusMessage && h('span', { class: 'message' }, ' ', a.statusMessage),
    a.statusTime ? h('span', { class: 'when' }, ` · since ${timeText(a.statusTime)}`) : null);
}

/** An error answer of the API as a box with its details. */
export function errorBox(err) {
  const body = err.body ?? {};
  return h('div', { class: 'error', role: 'alert' },
    h('p', {}, body.summary || err.message || 'Something went wrong.'),
    body.details && h('details', {}, h('summary', {}, 'Details'), h('pre', {}, body.details)));
}

/** Check results, one per protocol, in words; the server's reply under Details. */
export function resultsList(results) {
  return h('ul', { class: 'results', 'aria-label': 'Check results' }, results.map((r) =>
    h('li', { class: r.ok ? 'ok' : 'failed' },
      h('span', { class: 'mark', 'aria-hidden': 'true' }, r.ok ? '✓' : '✗'), ' ', r.summary,
      !r.ok && r.message && h('details', {}, h('summary', {}, `Details (${r.title})`), h('pre', {}, `${r.code}: ${r.message}`)))));
}

/** A short message in the live region (read out by screen readers); cleared by the next page change. */
export function say(text) {
  const notice = document.getElementById('notice');
  notice.textContent = text;
  notice.dataset.at = String(Date.now());
}

/** Clears a message said more than a moment ago (one said just before navigating stays). */
export function clearOldNotice() {
  const notice = document.getElementById('notice');
  if (Date.now() - Number(notice.dataset.at ?? 0) > 1000) notice.textContent = '';
}

/**
 * A provider's icon, decorative (its name is beside it): the file the service names, served by
 * the window at /icons/provider/ID; for an icon name of the theme (a browser has no theme) or
 * none, a generic tile with the name's first letter.
 */
export function providerIcon(id, icon, name) {
  if (typeof icon === 'string' && icon.startsWith('/')) {
    return h('img', { class: 'provider-icon', src: `/icons/provider/${encodeURIComponent(id)}`, alt: '', width: 32, height: 32 });
  }
  return h('span', { class: 'provider-icon generic', 'aria-hidden': 'true' }, (name || id || '?').trim().charAt(0).toUpperCase());
}
