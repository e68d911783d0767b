// Export and import (#/transfer, docs/export.md): every account in one file encrypted with a
// passphrase, saved as a download; and the accounts of such a file added here, existing ones
// skipped. The passphrase goes to the window's server only, which seals it for the service.
import type { ExportAnswer, ImportResult } from '../wire.js';
import { bytesToBase64, errorBox, field, h, parts, replace } from './dom.js';
import { _, formatNumber, ngettext } from './i18n.js';
import { post } from './api.js';
import { state, type View } from './state.js';

/** Saves bytes as a download named `name` (the page cannot write files itself). */
function download(base64: string, name: string): void {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function importOutcome(r: ImportResult): HTMLElement {
  const name = (id: string) => state.accounts.get(id)?.name ?? id;
  return h(
    'div',
    { class: 'outcome', role: 'status' },
    h(
      'p',
      {},
      r.imported.length
        ? ngettext('Imported {n} account.', 'Imported {n} accounts.', r.imported.length, {
            n: formatNumber(r.imported.length),
          })
        : _('No account was imported.'),
    ),
    r.imported.length > 0 &&
      h(
        'ul',
        { 'aria-label': _('Imported') },
        r.imported.map((id) => h('li', {}, h('a', { href: `#/account/${id}` }, name(id)))),
      ),
    r.skipped.length > 0 &&
      h(
        'ul',
        { 'aria-label': _('Skipped') },
        r.skipped.map((s) =>
          h(
            'li',
            {},
            ...(s.reason === 'Duplicate'
              ? parts(_('{account} is here already and was left as it is.'), { account: h('strong', {}, s.id) })
              : parts(_('{account} was not imported: {reason}'), {
                  account: h('strong', {}, s.id),
                  reason: s.message,
                })),
          ),
        ),
      ),
  );
}

export function transferView(main: HTMLElement): View {
  // Export: the passphrase twice, then the file as a download.
  const [passWrap, pass] = field(
    _('Passphrase'),
    { type: 'password', autocomplete: 'new-password' },
    _('Anyone with the file and the passphrase can read what it holds: choose a long one.'),
  );
  const [againWrap, again] = field(_('Passphrase again'), { type: 'password', autocomplete: 'new-password' });
  const secrets = h('input', { type: 'checkbox', id: 'export-secrets' });
  const exportOut = h('div', {});
  const exportForm = h(
    'form',
    {
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        if (pass.value === '') return replace(exportOut, errorBox(new Error(_('Enter a passphrase.'))));
        if (pass.value !== again.value)
          return replace(exportOut, errorBox(new Error(_('The two passphrases differ.'))));
        replace(exportOut);
        try {
          const r = await post<ExportAnswer>('/api/export', { passphrase: pass.value, secrets: secrets.checked });
          download(r.file, r.name);
          pass.value = again.value = '';
          const values = { n: formatNumber(r.accounts), file: r.name };
          const done = secrets.checked
            ? ngettext(
                'Exported {n} account with its passwords to {file}.',
                'Exported {n} accounts with their passwords to {file}.',
                r.accounts,
                values,
              )
            : ngettext('Exported {n} account to {file}.', 'Exported {n} accounts to {file}.', r.accounts, values);
          replace(exportOut, h('p', { class: 'outcome', role: 'status' }, done));
        } catch (err) {
          replace(exportOut, errorBox(err));
        }
      },
    },
    passWrap,
    againWrap,
    h('div', { class: 'check' }, secrets, h('label', { for: 'export-secrets' }, _('Include passwords and sign-ins'))),
    h('button', { type: 'submit', class: 'primary' }, _('Export')),
    exportOut,
  );

  // Import: a file and its passphrase.
  const [fileWrap, file] = field(_('File to import'), { type: 'file', accept: '.age' });
  const [importPassWrap, importPass] = field(_('Its passphrase'), { type: 'password', autocomplete: 'off' });
  const importOut = h('div', {});
  const importForm = h(
    'form',
    {
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const picked = file.files?.[0];
        if (!picked) return replace(importOut, errorBox(new Error(_('Choose a file.'))));
        replace(importOut);
        try {
          const bytes = new Uint8Array(await picked.arrayBuffer());
          const r = await post<ImportResult>('/api/import', {
            file: bytesToBase64(bytes),
            passphrase: importPass.value,
          });
          importPass.value = '';
          replace(importOut, importOutcome(r));
        } catch (err) {
          replace(importOut, errorBox(err));
        }
      },
    },
    fileWrap,
    importPassWrap,
    h('button', { type: 'submit', class: 'primary' }, _('Import')),
    importOut,
  );

  main.append(
    h('h2', {}, _('Export and import')),
    h(
      'p',
      { class: 'help' },
      _(
        'Take your accounts to another computer: export them to one file encrypted with a passphrase, then import that file there.',
      ),
    ),
    h('h3', {}, _('Export')),
    exportForm,
    h('h3', {}, _('Import')),
    h('p', { class: 'help' }, _('Accounts that are here already are left as they are.')),
    importForm,
  );
  return {};
}
