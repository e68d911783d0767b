// Form parts the add and edit pages share: the server settings of a protocol, built from the
// service's ListProtocols (so plugins get a form too), protocol toggles, and the check-then-save
// answer with its "Save anyway".
import type { ProtocolInfo } from '../../client/types.js';
import type { Catalogue } from '../wire.js';
import { bytesToBase64, field, h, replace, resultsList, errorBox } from './dom.js';
import { ApiError, get, post } from './api.js';
import { state } from './state.js';
import { _, formatNumber, N_, ngettext } from './i18n.js';

export async function catalogue(): Promise<Catalogue> {
  state.catalogue ??= get<Catalogue>('/api/catalogue').catch((err) => {
    state.catalogue = null;
    throw err;
  });
  return state.catalogue;
}

/** Words for the settings' keys (a plugin's other keys are shown as they are, "_" as spaces). */
const LABELS: Record<string, string> = {
  host: N_('server'),
  port: N_('port'),
  security: N_('security'),
  username: N_('user name'),
  ca: N_('extra CA file (PEM)'),
  url: N_('URL'),
  hostkey: N_('host key'),
  path: N_('folder or path'),
  network: N_('network'),
  confirmations: N_('confirmations'),
  gap_limit: N_('gap limit'),
  script_type: N_('script type'),
  tokens: N_('tokens'),
  remotes: N_('remotes'),
  options: N_('options'),
  notify: N_('notify'),
  type: N_('type'),
  auth: N_('auth'),
};
/** Certificate settings (OpenVPN's): an import brings them at add; edit replaces them with a file. */
const CERT_LABELS: Record<string, string> = {
  ca: N_('CA certificates'),
  cert: N_('client certificate'),
  extra_certs: N_('intermediate certificates'),
};

/** A certificate file's bytes as the setting's text: each PEM block's base64, or the file itself (DER). */
function certsText(bytes: Uint8Array): string {
  const pems = [
    ...new TextDecoder().decode(bytes).matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g),
  ];
  return pems.length ? pems.map((m) => (m[1] ?? '').replace(/\s+/g, '')).join(' ') : bytesToBase64(bytes);
}

/** A file field that replaces a certificate setting; its `value` is '' (unchanged) until a file is read. */
function certsField(label: string, current: string): [HTMLDivElement, Slot] {
  const count = current ? current.split(/\s+/).filter(Boolean).length : 0;
  const [wrap, input] = field(
    _('{setting} (replace with a file)', { setting: label }),
    { type: 'file', accept: '.crt,.pem,.cer,.der' },
    count
      ? ngettext(
          'A PEM file (one or more certificates) or a DER file. Now: {n} certificate.',
          'A PEM file (one or more certificates) or a DER file. Now: {n} certificates.',
          count,
          { n: formatNumber(count) },
        )
      : _('A PEM file (one or more certificates) or a DER file. Now: none.'),
  );
  // Reading a file takes a moment: `pending` is the latest pick's read (a save waits for it),
  // and only the latest pick sets the value.
  const slot: Slot = { value: '', pending: Promise.resolve() };
  let picks = 0;
  input.addEventListener('change', () => {
    const pick = ++picks;
    const file = input.files?.[0];
    slot.pending = (file ? file.arrayBuffer().then((b) => certsText(new Uint8Array(b))) : Promise.resolve('')).then(
      (text) => {
        if (pick === picks) slot.value = text;
      },
    );
  });
  return [wrap, slot];
}

/** What a fieldset reads a setting from: an input, a select, or a certificate file's text once read. */
interface Slot {
  value: string;
  pending?: Promise<void>;
}

/** A protocol's server fieldset: its element, the values as text, and when picked files are read. */
export interface ServerFieldset {
  el: HTMLFieldSetElement;
  read(): Record<string, string>;
  ready(): Promise<unknown>;
}

/**
 * A fieldset with one field per setting of `info`; values from an account's settings (edit) or
 * empty (add: the provider's or the service's defaults apply). read() → { key: text }.
 */
export function settingsFieldset(
  info: ProtocolInfo,
  current: Record<string, unknown> = {},
  { edit = false } = {},
): ServerFieldset {
  const inputs: [string, Slot][] = [];
  const fields: HTMLDivElement[] = [];
  for (const s of info.settings) {
    if ((s.kind === 'certs' || s.kind === 'hostkey') && !edit) continue;
    const value = current[s.field]; // the account's name for the setting (gap_limit is gapLimit), as the client says
    const words = s.kind === 'certs' ? CERT_LABELS[s.key] : LABELS[s.key];
    // translators: a setting of a protocol's server: "IMAP server", "SMTP port", "IMAP security"
    const label = _('{protocol} {setting}', {
      protocol: info.name,
      setting: words ? _(words) : s.key.replace(/_/g, ' '),
    });
    const text =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : Array.isArray(value)
          ? (value as unknown[]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',')
          : '';
    let pair: [HTMLDivElement, Slot];
    if (s.kind === 'certs') {
      pair = certsField(label, text);
    } else if (s.kind === 'security' || s.kind === 'enum') {
      const values = s.kind === 'security' ? ['tls', 'starttls', 'none'] : s.values;
      // "(default)" stays a choice until a value is set: a protocol enabled in Edit gets its defaults, not the first option.
      pair = field(
        label,
        { tag: 'select', options: edit && text !== '' ? values : ['', ...values], value: text },
        s.doc,
      );
    } else {
      const numeric = s.kind === 'port' || s.kind === 'count';
      pair = field(
        label,
        { value: text, inputmode: numeric ? 'numeric' : undefined, autocomplete: 'off', spellcheck: 'false' },
        s.kind === 'list' ? _('{help} Separate entries with commas.', { help: s.doc }) : s.doc,
      );
    }
    inputs.push([s.key, pair[1]]);
    fields.push(pair[0]);
  }
  const el = h(
    'fieldset',
    { class: 'servers' },
    h('legend', {}, _('{protocol} server', { protocol: info.name })),
    fields,
  );
  return {
    el,
    read: () => Object.fromEntries(inputs.map(([k, input]) => [k, input.value.trim()])),
    /** Resolves when files picked in the fieldset have been read. */
    ready: () => Promise.all(inputs.map(([, input]) => input.pending ?? Promise.resolve())),
  };
}

/** Checkboxes for protocols; onChange(enabled) after each toggle. read() → enabled ids. */
export function protocolToggles(
  protocols: string[],
  enabled: string[],
  names: Record<string, string>,
  onChange: (enabled: string[]) => void = () => undefined,
): { el: HTMLFieldSetElement; read(): string[] } {
  const boxes = protocols.map((p): [string, HTMLInputElement, HTMLDivElement] => {
    const id = `proto-${p}`;
    const box = h('input', {
      type: 'checkbox',
      id,
      value: p,
      checked: enabled.includes(p),
      onchange: () => onChange(read()),
    });
    return [p, box, h('div', { class: 'check' }, box, h('label', { for: id }, names[p] ?? p.toUpperCase()))];
  });
  const read = (): string[] => boxes.filter(([, box]) => box.checked).map(([p]) => p);
  return {
    el: h(
      'fieldset',
      { class: 'toggles' },
      h('legend', {}, _('Use this account for')),
      boxes.map((b) => b[2]),
    ),
    read,
  };
}

/**
 * Sends a form to `path`; shows the check results on refusal with "Save anyway" where the
 * server allows it. onSaved(answer) after saving.
 */
export async function checkAndSave<T>(
  path: string,
  body: Record<string, unknown>,
  out: HTMLElement,
  button: HTMLButtonElement,
  onSaved: (answer: T) => void,
  { what = _('Checking with the servers…') } = {},
): Promise<void> {
  button.disabled = true;
  replace(out, h('p', { class: 'progress', role: 'status' }, what));
  try {
    const answer = await post<T>(path, body);
    replace(out);
    onSaved(answer);
  } catch (err) {
    const b = err instanceof ApiError ? err.body : {};
    if (err instanceof ApiError && err.status === 422 && b.kind === 'CheckFailed') {
      const rejected = (b.results ?? []).some((r) => r.outcome === 'rejected');
      replace(
        out,
        h(
          'div',
          { class: 'error', role: 'alert' },
          h('p', {}, _('The check failed, so nothing was saved.')),
          b.error && h('p', {}, b.error),
          resultsList(b.results ?? []),
          rejected && !b.canSaveAnyway && h('p', {}, _('Check the user name and password and try again.')),
          b.canSaveAnyway &&
            h(
              'p',
              {},
              body.account !== undefined && !rejected
                ? _(
                    'The server could not be reached. It may be down or not reachable from here right now: you can save the account anyway and it will be checked again later.',
                  )
                : _('You can keep your changes anyway.'),
            ),
          b.canSaveAnyway &&
            h(
              'button',
              {
                type: 'button',
                onclick: () =>
                  checkAndSave(path, { ...body, force: true }, out, button, onSaved, { what: _('Saving…') }),
              },
              _('Save anyway'),
            ),
        ),
      );
    } else {
      replace(out, errorBox(err));
    }
  } finally {
    button.disabled = false;
  }
}
