/** Output of px-accounts: the stable JSON shapes (docs/cli.md) and the human tables. */
import { accountJson, settingKeyOfField, type AccessEntry, type Account, type AccountJson, type Discovered, type DiscoverySource, type ProtocolInfo, type Provider, type VerifyResults, type WalletTransaction } from '../client/index.js';

export { accountJson, type AccountJson };



export function statusJson(a: Account) {
  return { id: a.id, status: a.status, message: a.statusMessage, time: Number(a.statusTime), attentionNeeded: a.attentionNeeded };
}

export function providerJson(p: Provider) {
  return { id: p.id, name: p.name, domain: p.domain, protocols: [...p.protocols], supported: [...p.supported], servers: p.servers, notice: p.notice, auth: p.auth, oauth2_configured: p.oauth2Configured };
}

export function verifyJson(id: string, results: VerifyResults) {
  const values = Object.values(results);
  return { id, ok: values.length > 0 && values.every((r) => r?.ok), results };
}

/** One line of JSON (the --json form of every command). */
export const jsonLine = (value: unknown) => JSON.stringify(value);

/** Left-aligned columns with a header; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** ISO time of a µs timestamp; '' for 0. */
export function timeText(micros: bigint | number): string {
  const n = Number(micros);
  return n > 0 ? new Date(Math.floor(n / 1000)).toISOString() : '';
}

export function statusText(a: Account): string {
  let s = a.status;
  if (a.statusMessage) s += ` (${a.statusMessage})`;
  if (a.attentionNeeded) s += ' [attention needed]';
  return s;
}

export function accountsTable(accounts: Account[]): string {
  return table(['ID', 'NAME', 'PROVIDER', 'PROTOCOLS', 'STATUS'],
    accounts.map((a) => [a.id, a.name, a.provider, a.protocols.join(','), a.status + (a.attentionNeeded ? ' !' : '')]));
}

function senderText(i: { fullName: string; emailAddress: string }): string {
  if (!i.emailAddress) return i.fullName || '(none)';
  return i.fullName ? `${i.fullName} <${i.emailAddress}>` : i.emailAddress;
}

export function accountText(a: Account): string {
  const since = timeText(a.statusTime);
  const rows: Array<[string, string]> = [
    ['ID', a.id],
    ['Name', a.name],
    ['Provider', a.providerName === a.provider ? a.provider : `${a.providerName} (${a.provider})`],
    ['Username', a.username],
    ['Protocols', a.protocols.join(', ')],
    ['Status', statusText(a) + (since ? ` since ${since}` : '')],
    ['Secrets', a.credentials.join(', ') || '(none)'],
    ...(a.auth === 'oauth2' ? [['Sign-in', `OAuth2 (tokens: px-accounts token ${a.id})`] as [string, string]] : []),
    ...(a.wallet ? [['Balance', `${a.wallet.balance} ${a.wallet.currency}${a.wallet.pendingBalance !== a.wallet.balance ? ` (pending: ${a.wallet.pendingBalance})` : ''}`] as [string, string]] : []),
    ...Object.entries(a.wallet?.assetBalances ?? {}).sort().map(([asset, amount]) => ['Asset', `${amount} of ${asset}`] as [string, string]),
    // the sender identity of a mail account (docs/identity.md)
    ...(a.identity ? [['Sender', senderText(a.identity)] as [string, string]] : []),
    ...(a.identity?.aliases.length ? [['Aliases', a.identity.aliases.join(', ')] as [string, string]] : []),
  ];
  const lines = rows.map(([k, v]) => `${(k + ':').padEnd(11)}${v}`);
  for (const p of a.protocols) {
    const s = a.settings[p];
    if (!s) continue;
    lines.push('', `[${p}]`);
    // Named by key, as in the account file and for --set (gap_limit, not the client's gapLimit).
    const shown = [...new Set(['host', 'port', 'security', 'username', 'path', 'url', ...Object.keys(s)])]
      .filter((k) => s[k] !== undefined && s[k] !== '').map((k) => [settingKeyOfField(k), s[k]!] as const);
    const width = Math.max(10, ...shown.map(([k]) => k.length + 2));
    for (const [k, v] of shown) lines.push(`  ${(k + ':').padEnd(width)}${v}`);
  }
  return lines.join('\n');
}

export function providersTable(providers: Provider[]): string {
  const signIn = (p: Provider) => (p.auth === 'password' ? 'password' : p.auth === 'nextcloud' ? 'nextcloud (Login Flow v2, --server)' : `${p.auth === 'both' ? 'oauth2/password' : 'oauth2'}${p.oauth2Configured ? '' : ' (no client id)'}`);
  const rows = table(['ID', 'NAME', 'PROTOCOLS', 'DOMAIN', 'SIGN-IN'], providers.map((p) => [p.id, p.name, p.protocols.join(',') || '-', p.domain, signIn(p)]));
  const notices = providers.filter((p) => p.notice).map((p) => `${p.id}: ${p.notice}`);
  return notices.length ? `${rows}\n\n${notices.join('\n')}` : rows;
}

export function accessTable(entries: AccessEntry[]): string {
  return table(['ACCOUNT', 'APP', 'DECISION', 'LAST USED'], entries.map((e) => [e.account, e.app, e.decision, e.lastUsed ? timeText(e.lastUsed) : 'never']));
}

export function protocolsTable(protocols: ProtocolInfo[]): string {
  return table(['ID', 'NAME', 'SETTINGS', 'SOURCE'], protocols.map((p) => [p.id, p.name, p.settings.map((x) => x.key).join(','), p.builtin ? 'built-in' : 'plugin']));
}

export function transactionsTable(list: WalletTransaction[], currency: string): string {
  return table(['TIME', 'DIRECTION', 'AMOUNT', 'COUNTERPARTY', 'CONFIRMATIONS', 'TXID'], list.map((t) => [
    new Date(t.time * 1000).toISOString().replace('T', ' ').slice(0, 19), t.direction, `${t.amount} ${t.asset || currency}`, t.counterparty, String(t.confirmations), t.txid,
  ]));
}

const SOURCE_WORDS: Record<DiscoverySource, string> = {
  catalogue: 'the provider catalogue',
  database: 'the provider database shipped with px-accounts',
  autoconfig: "the domain's autoconfig file",
  srv: "the domain's DNS (SRV records)",
  ispdb: "Thunderbird's online provider database",
  mx: "the provider of the domain's mail server (MX)",
  guess: 'probing the usual server names',
};

/** What discovery found, for people: where from, whether to trust it, and each server. */
export function discoveredText(address: string, d: Discovered): string {
  const lines = [`Settings for ${address}, from ${SOURCE_WORDS[d.source] ?? d.source} (${d.domain})${d.provider ? `, provider ${d.provider}` : ''}: ${d.trusted
    ? 'trusted'
    : `NOT TRUSTED — they come from ${d.domain}, not from the address's own domain over a secure connection`}`];
  if (d.auth === 'oauth2') lines.push('  Signs in with OAuth2 (in the browser), not with a password.');
  const rows = d.protocols.map((p) => {
    const s = d.settings[p] ?? {};
    const where = s.url ? String(s.url) : `${s.host ?? ''}:${s.port ?? ''}`;
    return [p, where, String(s.security ?? (String(s.url ?? '').startsWith('https:') ? 'tls' : '')), String(s.username ?? '')];
  });
  return [...lines, table(['PROTOCOL', 'SERVER', 'SECURITY', 'USER'], rows)].join('\n');
}

export function verifyTable(results: VerifyResults): string {
  return table(['PROTOCOL', 'RESULT', 'CODE', 'MESSAGE'],
    Object.entries(results).map(([p, r]) => [p, r?.ok ? 'ok' : 'FAILED', r?.code ?? '', r?.message ?? '']));
}
