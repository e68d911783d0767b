/**
 * Output of px-accounts: the stable JSON shapes (docs/cli.md), never translated, and the human
 * tables and texts, in the language of LC_ALL/LC_MESSAGES/LANG (docs/translating.md). Values the
 * command line also takes (ids, status values, protocols, access decisions) are shown as typed.
 */
import { _, currentLocale, N_ } from '../i18n/index.js';
import { formatAmount, formatNumber, formatTime } from '../i18n/intl.js';
import { UNPRINTABLE } from './printable.js';
import {
  accountJson,
  settingKeyOfField,
  type AccessEntry,
  type Account,
  type AccountJson,
  type Discovered,
  type DiscoverySource,
  type ProtocolInfo,
  type Provider,
  type VerifyResults,
  type WalletTransaction,
} from '../client/index.js';

export { accountJson, type AccountJson };

export function statusJson(a: Account) {
  return {
    id: a.id,
    status: a.status,
    message: a.statusMessage,
    time: Number(a.statusTime),
    attentionNeeded: a.attentionNeeded,
  };
}

export function providerJson(p: Provider) {
  return {
    id: p.id,
    name: p.name,
    domain: p.domain,
    protocols: [...p.protocols],
    supported: [...p.supported],
    servers: p.servers,
    notice: p.notice,
    auth: p.auth,
    oauth2_configured: p.oauth2Configured,
    denied: p.denied,
  };
}

export function verifyJson(id: string, results: VerifyResults) {
  const values = Object.values(results);
  return { id, ok: values.length > 0 && values.every((r) => r?.ok), results };
}

/**
 * One line of JSON (the --json form of every command): exactly what JSON.stringify gives, with
 * every character printable replaces written as a \uXXXX escape (JSON.stringify escapes C0
 * controls but leaves DEL, C1 controls — 0x9B starts a sequence on terminals that take 8-bit
 * controls —, bidirectional overrides and invisibles as they are; they can only occur inside
 * strings), so the line parses to the same value and passes the output layer unchanged.
 */
export const jsonLine = (value: unknown): string =>
  JSON.stringify(value).replace(UNPRINTABLE, (c) =>
    // a match outside the BMP (a tag character) is two UTF-16 units: JSON escapes each
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );

/** Left-aligned columns with a header; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** ISO time of a µs timestamp; '' for 0 (for JSON). */
export function timeText(micros: bigint | number): string {
  const n = Number(micros);
  return n > 0 ? new Date(Math.floor(n / 1000)).toISOString() : '';
}

/** A µs timestamp for people: ISO under C, else the locale's date and time; '' for 0. */
export function humanTime(micros: bigint | number): string {
  const n = Number(micros);
  return n > 0 ? formatTime(Math.floor(n / 1000)) : '';
}

export function statusText(a: Account): string {
  let s = a.status;
  if (a.statusMessage) s += ` (${a.statusMessage})`;
  if (a.attentionNeeded) s += ' ' + _('[attention needed]');
  return s;
}

export function accountsTable(accounts: Account[]): string {
  return table(
    [_('ID'), _('NAME'), _('PROVIDER'), _('PROTOCOLS'), _('STATUS')],
    accounts.map((a) => [
      a.id,
      a.name + (a.locked ? ' ' + _('(locked)') : ''),
      a.provider,
      a.protocols.join(','),
      a.status + (a.attentionNeeded ? ' !' : '') + (a.policyViolation ? ' ' + _('(policy)') : ''),
    ]),
  );
}

function senderText(i: { fullName: string; emailAddress: string }): string {
  if (!i.emailAddress) return i.fullName || _('(none)');
  return i.fullName ? `${i.fullName} <${i.emailAddress}>` : i.emailAddress;
}

export function accountText(a: Account): string {
  const since = humanTime(a.statusTime);
  const rows: Array<[string, string]> = [
    [_('ID'), a.id],
    [_('Name'), a.name],
    [_('Provider'), a.providerName === a.provider ? a.provider : `${a.providerName} (${a.provider})`],
    [_('Username'), a.username],
    [_('Protocols'), a.protocols.join(', ')],
    [_('Status'), since ? _('{status} since {time}', { status: statusText(a), time: since }) : statusText(a)],
    [_('Secrets'), a.credentials.join(', ') || _('(none)')],
    // docs/policy.md: the administrator's accounts and rules
    ...(a.locked
      ? [[_('Locked'), _('provisioned by the administrator: only its secrets can be changed')] as [string, string]]
      : []),
    ...(a.policyViolation
      ? [
          [_('Policy'), _("outside the administrator's policy: {reason}", { reason: a.policyViolation })] as [
            string,
            string,
          ],
        ]
      : []),
    ...(a.auth === 'oauth2'
      ? [[_('Sign-in'), _('OAuth2 (tokens: px-accounts token {id})', { id: a.id })] as [string, string]]
      : []),
    ...(a.wallet ? [[_('Balance'), balanceText(a.wallet)] as [string, string]] : []),
    ...Object.entries(a.wallet?.assetBalances ?? {})
      .sort()
      .map(
        ([asset, amount]) =>
          [_('Asset'), _('{amount} of {asset}', { amount: formatAmount(amount), asset })] as [string, string],
      ),
    // the sender identity of a mail account (docs/identity.md)
    ...(a.identity ? [[_('Sender'), senderText(a.identity)] as [string, string]] : []),
    ...(a.identity?.aliases.length ? [[_('Aliases'), a.identity.aliases.join(', ')] as [string, string]] : []),
    // Cozy's fields: the account it is reached through, the failures not told, apps' notes
    ...(a.parent ? [[_('Parent'), a.parent] as [string, string]] : []),
    ...(a.mutedErrors.length ? [[_('Muted'), a.mutedErrors.join(', ')] as [string, string]] : []),
    ...Object.entries(a.data)
      .sort()
      .map(([k, v]) => [_('Data'), `${k} = ${v}`] as [string, string]),
  ];
  // Labels are as wide as the longest (translations are longer than English's 11 columns).
  const width = Math.max(11, ...rows.map(([k]) => k.length + 2));
  const lines = rows.map(([k, v]) => `${(k + ':').padEnd(width)}${v}`);
  for (const p of a.protocols) {
    const s = a.settings[p];
    if (!s) continue;
    lines.push('', `[${p}]`);
    // Named by key, as in the account file and for --set (gap_limit, not the client's gapLimit).
    const shown = [...new Set(['host', 'port', 'security', 'username', 'path', 'url', ...Object.keys(s)])]
      .filter((k) => s[k] !== undefined && s[k] !== '')
      .map((k) => [settingKeyOfField(k), s[k]!] as const);
    const width = Math.max(10, ...shown.map(([k]) => k.length + 2));
    for (const [k, v] of shown) lines.push(`  ${(k + ':').padEnd(width)}${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  return lines.join('\n');
}

function balanceText(w: NonNullable<Account['wallet']>): string {
  const balance = `${formatAmount(w.balance)} ${w.currency}`;
  return w.pendingBalance !== w.balance
    ? _('{balance} (pending: {pending})', { balance, pending: formatAmount(w.pendingBalance) })
    : balance;
}

export function providersTable(providers: Provider[]): string {
  const oauth2 = (method: string, p: Provider) =>
    p.oauth2Configured ? method : _('{method} (no client id)', { method });
  const signIn = (p: Provider) =>
    p.auth === 'password'
      ? _('password')
      : p.auth === 'nextcloud'
        ? _('nextcloud (Login Flow v2, --server)')
        : oauth2(p.auth === 'both' ? _('oauth2/password') : 'oauth2', p);
  const rows = table(
    [_('ID'), _('NAME'), _('PROTOCOLS'), _('DOMAIN'), _('SIGN-IN')],
    providers.map((p) => [p.id, p.name, p.protocols.join(',') || '-', p.domain, signIn(p)]),
  );
  const notices = providers.filter((p) => p.notice).map((p) => `${p.id}: ${p.notice}`);
  return notices.length ? `${rows}\n\n${notices.join('\n')}` : rows;
}

export function accessTable(entries: AccessEntry[]): string {
  return table(
    [_('ACCOUNT'), _('APP'), _('DECISION'), _('LAST USED')],
    entries.map((e) => [e.account, e.app, e.decision, e.lastUsed ? humanTime(e.lastUsed) : _('never')]),
  );
}

export function protocolsTable(protocols: ProtocolInfo[]): string {
  return table(
    [_('ID'), _('NAME'), _('SETTINGS'), _('SOURCE')],
    protocols.map((p) => [
      p.id,
      p.name,
      p.settings.map((x) => x.key).join(','),
      p.builtin ? _('built-in') : _('plugin'),
    ]),
  );
}

export function transactionsTable(list: WalletTransaction[], currency: string): string {
  const time = (seconds: number) =>
    currentLocale().isC
      ? new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19)
      : formatTime(seconds * 1000);
  return table(
    [_('TIME'), _('DIRECTION'), _('AMOUNT'), _('COUNTERPARTY'), _('CONFIRMATIONS'), _('TXID')],
    list.map((t) => [
      time(t.time),
      t.direction,
      `${formatAmount(t.amount)} ${t.asset || currency}`,
      t.counterparty,
      formatNumber(t.confirmations),
      t.txid,
    ]),
  );
}

const SOURCE_WORDS: Record<DiscoverySource, string> = {
  catalogue: N_('the provider catalogue'),
  database: N_('the provider database shipped with px-accounts'),
  autoconfig: N_("the domain's autoconfig file"),
  srv: N_("the domain's DNS (SRV records)"),
  ispdb: N_("Thunderbird's online provider database"),
  mx: N_("the provider of the domain's mail server (MX)"),
  guess: N_('probing the usual server names'),
};

/** What discovery found, for people: where from, whether to trust it, and each server. */
export function discoveredText(address: string, d: Discovered): string {
  const values = {
    address,
    source: SOURCE_WORDS[d.source] ? _(SOURCE_WORDS[d.source]) : d.source,
    domain: d.domain,
    provider: d.provider ?? '',
  };
  const found = d.provider
    ? _('Settings for {address}, from {source} ({domain}), provider {provider}', values)
    : _('Settings for {address}, from {source} ({domain})', values);
  const trust = d.trusted
    ? _('trusted')
    : _("NOT TRUSTED — they come from {domain}, not from the address's own domain over a secure connection", values);
  const lines = [`${found}: ${trust}`];
  if (d.auth === 'oauth2') lines.push('  ' + _('Signs in with OAuth2 (in the browser), not with a password.'));
  const rows = d.protocols.map((p) => {
    const s = d.settings[p] ?? {};
    const where = s.url ? String(s.url) : `${s.host ?? ''}:${s.port ?? ''}`;
    return [
      p,
      where,
      String(s.security ?? (String(s.url ?? '').startsWith('https:') ? 'tls' : '')),
      String(s.username ?? ''),
    ];
  });
  return [...lines, table([_('PROTOCOL'), _('SERVER'), _('SECURITY'), _('USER')], rows)].join('\n');
}

export function verifyTable(results: VerifyResults): string {
  return table(
    [_('PROTOCOL'), _('RESULT'), _('CODE'), _('MESSAGE')],
    Object.entries(results).map(([p, r]) => [p, r?.ok ? _('ok') : _('FAILED'), r?.code ?? '', r?.message ?? '']),
  );
}
