#!/usr/bin/env node
// Regenerates providers/ispdb/ispdb.json, the provider database discovery uses offline, from a
// checkout of Thunderbird's ISPDB (https://github.com/thunderbird/autoconfig, directory ispdb/,
// MPL-2.0; see NOTICE). Only facts are kept — which domains, which servers, ports, transport
// security and user-name form — one provider per line; no file is copied as it is.
//
//   git clone https://github.com/thunderbird/autoconfig /tmp/autoconfig
//   node scripts/gen-ispdb.mjs /tmp/autoconfig [providers/ispdb/ispdb.json]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

const [checkout, out = 'providers/ispdb/ispdb.json'] = process.argv.slice(2);
if (!checkout) {
  console.error('usage: node scripts/gen-ispdb.mjs AUTOCONFIG-CHECKOUT [OUT]');
  process.exit(2);
}
const dir = join(checkout, 'ispdb');
let commit = '';
try {
  commit = execFileSync('git', ['-C', checkout, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  /* not a git checkout: no commit recorded */
}

const SOCKET = { ssl: 'tls', tls: 'tls', starttls: 'starttls', plain: 'none' };
const HOST = /^[A-Za-z0-9.%-]{1,253}$/;
const DOMAIN = /^[a-z0-9.-]{1,253}$/;
const list = (v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const text = (v) =>
  typeof v === 'string' || typeof v === 'number'
    ? String(v).trim()
    : v && typeof v === 'object' && '#text' in v
      ? text(v['#text'])
      : '';
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['emailProvider', 'domain', 'incomingServer', 'outgoingServer', 'authentication'].includes(name),
});

/** A user-name template in the few forms the files use; anything else is left out. */
function userForm(t) {
  const u = t.replace(/\s+/g, '');
  if (u === '' || u === '%EMAILADDRESS%' || u === '%EMAILADDRESS') return '%EMAILADDRESS%';
  return /^[A-Za-z0-9%._@+-]{1,128}$/.test(u) ? u : undefined;
}

const providers = [];
const seen = new Map();
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.xml') || !f.includes('.'))
  .sort()) {
  const xml = readFileSync(join(dir, file), 'utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    console.warn(`${file}: declares a DTD, skipped`);
    continue;
  }
  const p = list(parser.parse(xml).clientConfig?.emailProvider)[0];
  if (!p) {
    console.warn(`${file}: no emailProvider, skipped`);
    continue;
  }
  const domains = [
    ...new Set(
      list(p.domain)
        .map((d) => text(d).toLowerCase())
        .filter((d) => DOMAIN.test(d)),
    ),
  ];
  const entry = { id: String(p['@_id'] ?? file.replace(/\.xml$/, '')).toLowerCase(), domains };
  let oauth2Only = false;
  const take = (e, outgoing) => {
    const type = String(e['@_type'] ?? '').toLowerCase();
    const protocol = outgoing
      ? type === 'smtp'
        ? 'smtp'
        : undefined
      : type === 'imap' || type === 'pop3'
        ? type
        : undefined;
    const host = text(e.hostname).toLowerCase();
    const port = Number(text(e.port));
    const security = SOCKET[text(e.socketType).toLowerCase()];
    const username = userForm(text(e.username));
    if (!protocol || !HOST.test(host) || !Number.isInteger(port) || port < 1 || port > 65535 || !security || !username)
      return;
    const auths = list(e.authentication).map((a) => text(a).toLowerCase());
    const current = entry[protocol];
    if (!current || (current[2] === 'none' && security !== 'none')) {
      entry[protocol] = [host, port, security, username];
      if (!outgoing) oauth2Only = auths.length > 0 && auths.every((a) => a === 'oauth2');
    }
  };
  for (const e of list(p.incomingServer)) take(e, false);
  for (const e of list(p.outgoingServer)) take(e, true);
  if (oauth2Only) entry.auth = 'oauth2';
  if (!entry.imap && !entry.pop3 && !entry.smtp) {
    console.warn(`${file}: no usable server, skipped`);
    continue;
  }
  // one provider per domain: the first file (in sorted order) that claims it keeps it
  entry.domains = domains.filter((d) => !seen.has(d));
  for (const d of entry.domains) seen.set(d, entry.id);
  if (entry.domains.length) providers.push(entry);
}

const lines = providers.map((p) => '  ' + JSON.stringify(p));
writeFileSync(
  out,
  `{"about": "Facts derived from Thunderbird's ISPDB (github.com/thunderbird/autoconfig, ispdb/, MPL-2.0): domain, servers, ports, security, user-name form. Regenerate with scripts/gen-ispdb.mjs; see NOTICE.",\n "commit": ${JSON.stringify(commit)},\n "providers": [\n${lines.join(',\n')}\n]}\n`,
);
console.log(
  `${out}: ${providers.length} providers, ${seen.size} domains${commit ? ` (autoconfig ${commit.slice(0, 12)})` : ''}`,
);
