// Export and import (#/transfer, docs/export.md): every account in one file encrypted with a
// passphrase, saved as a download; and the accounts of such a file added here, existing ones
// skipped. The passphrase goes to the window's server only, which seals it for the service.
import type { ExportAnswer, ImportResult } from '../wire.js';
import { bytesToBase64, errorBox, field, h, replace } from './dom.js';
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
  return h('div', { class: 'outcome', role: 'status' },
    h('p', {}, r.imported.length ? `Imported ${r.imported.length} account${r.imported.length === 1 ? '' : 's'}.` : 'No account was imported.'),
    r.imported.length > 0 && h('ul', { 'aria-label': 'Imported' }, r.imported.map((id) => h('li', {}, h('a', { href: `#/account/${id}` }, name(id))))),
    r.skipped.length > 0 && h('ul', { 'aria-label': 'Skipped' }, r.skipped.map((s) =>
      h('li', {}, h('strong', {}, s.id), s.reason === 'Duplicate' ? ' is here already and was left as it is.' : ` was not imported: ${s.message}`))));
}

export function transferView(main: HTMLElement): View {
  // Export: the passphrase twice, then the file as a download.
  const [passWrap, pass] = field('Passphrase', { type: 'password', autocomplete: 'new-password' }, 'Anyone with the file and the passphrase can read what it holds: choose a long one.');
  const [againWrap, again] = field('Passphrase again', { type: 'password', autocomplete: 'new-password' });
  const secrets = h('input', { type: 'checkbox', id: 'export-secrets' });
  const exportOut = h('div', {});
  const exportForm = h('form', {
    onsubmit: async (ev: Event) => {
      ev.preventDefault();
      if (pass.value === '') return replace(exportOut, errorBox(new Error('Enter a passphrase.')));
      if (pass.value !== again.value) return replace(exportOut, errorBox(new Error('The two passphrases differ.')));
      replace(exportOut);
      try {
        const r = await post<ExportAnswer>('/api/export', { passphrase: pass.value, secrets: secrets.checked });
        download(r.file, r.name);
        pass.value = again.value = '';
        const what = `${r.accounts} account${r.accounts === 1 ? '' : 's'}${secrets.checked ? ' with their passwords' : ''}`;
        replace(exportOut, h('p', { class: 'outcome', role: 'status' }, `Exported ${what} to ${r.name}.`));
      } catch (err) {
        replace(exportOut, errorBox(err));
      }
    },
  }, passWrap, againWrap,
  h('div', { class: 'check' }, secrets, h('label', { for: 'export-secrets' }, 'Include passwords and sign-ins')),
  h('button', { type: 'submit', class: 'primary' }, 'Export'), exportOut);

  // Import: a file and its passphrase.
  const [fileWrap, file] = field('File to import', { type: 'file', accept: '.age' });
  const [importPassWrap, importPass] = field('Its passphrase', { type: 'password', autocomplete: 'off' });
  const importOut = h('div', {});
  const importForm = h('form', {
    onsubmit: async (ev: Event) => {
      ev.preventDefault();
      const picked = file.files?.[0];
      if (!picked) return replace(importOut, errorBox(new Error('Choose a file.')));
      replace(importOut);
      try {
        const bytes = new Uint8Array(await picked.arrayBuffer());
        const r = await post<ImportResult>('/api/import', { file: bytesToBase64(bytes), passphrase: importPass.value });
        importPass.value = '';
        replace(importOut, importOutcome(r));
      } catch (err) {
        replace(importOut, errorBox(err));
      }
    },
  }, fileWrap, importPassWrap, h('button', { type: 'submit', class: 'primary' }, 'Import'), importOut);

  main.append(h('h2', {}, 'Export and import'),
    h('p', { class: 'help' }, 'Take your accounts to another computer: export them to one file encrypted with a passphrase, then import that file there.'),
    h('h3', {}, 'Export'), exportForm,
    h('h3', {}, 'Import'),
    h('p', { class: 'help' }, 'Accounts that are here already are left as they are.'),
    importForm);
  return {};
}
