/**
 * Settings validation shared by every protocol: one checker per SettingKind, and merging of
 * layers. Protocols describe their settings (plugin.ts); none validates its own values.
 */
import { X509Certificate } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { checkAbsolutePath, checkHost, checkPort, checkText, checkUrl } from '../util/validate.js';
import type { Label, RawSettings, SettingSpec, Settings } from './plugin.js';

import { SECURITIES, type Security } from '../contract/names.js';

export { SECURITIES, type Security };
export const isSecurity = (s: string): s is Security => (SECURITIES as readonly string[]).includes(s);

const HOST_KEY = /^SHA256:[A-Za-z0-9+/]{43}$/;

const MAX_CERTS = 256 * 1024;

/** Certificates as base64 DER separated by spaces; each must parse. */
function checkCerts(value: string, label: string): string {
  if (value.length > MAX_CERTS) throw invalidArgument(`${label} is too long (at most ${MAX_CERTS} characters)`);
  const list = value.split(/\s+/).filter(Boolean);
  for (const [i, b64] of list.entries()) {
    try {
      if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new Error('not base64');
      new X509Certificate(Buffer.from(b64, 'base64'));
    } catch {
      throw invalidArgument(`${label}: certificate ${i + 1} is not a base64 DER certificate`);
    }
  }
  return list.join(' ');
}

/** Validates one value of a setting; `label` names where it came from. */
export function checkSetting(spec: SettingSpec, value: unknown, label: string): string | number {
  if (spec.kind === 'port') return checkPort(value, label);
  if (spec.kind === 'count') {
    const n = typeof value === 'string' && /^\d{1,6}$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100_000)
      throw invalidArgument(`${label} must be a whole number from 0 to 100000`);
    return n;
  }
  if (typeof value === 'number' || typeof value === 'boolean') value = String(value);
  if (typeof value !== 'string') throw invalidArgument(`${label} must be a string`);
  switch (spec.kind) {
    case 'host':
      return checkHost(value, label);
    case 'security':
      if (!isSecurity(value))
        throw invalidArgument(`${label} must be tls, starttls or none, got '${value.slice(0, 40)}'`);
      return value;
    case 'enum':
      if (!spec.values?.includes(value))
        throw invalidArgument(`${label} must be one of ${spec.values?.join(', ')}, got '${value.slice(0, 40)}'`);
      return value;
    case 'username':
      return checkText(value, label, 320, true);
    case 'path':
      return checkText(value, label, 1024, true);
    case 'text':
      return checkText(value, label, 1024, true);
    case 'list':
      return checkText(value, label, 16 * 1024, true);
    case 'certs':
      return value === '' ? '' : checkCerts(value, label);
    case 'url':
      return value === '' ? '' : checkUrl(value, label).href;
    case 'file':
      return value === '' ? '' : checkAbsolutePath(value, label);
    case 'hostkey':
      if (value !== '' && !HOST_KEY.test(value))
        throw invalidArgument(`${label} must be a host key as OpenSSH prints it (SHA256:…) or empty`);
      return value;
  }
}

/** The raw value of each known key in the highest layer that sets it. */
export function mergeLayers(specs: readonly SettingSpec[], layers: readonly RawSettings[]): RawSettings {
  const merged: RawSettings = {};
  for (const layer of layers) {
    for (const spec of specs) if (layer[spec.key] !== undefined) merged[spec.key] = layer[spec.key];
  }
  return merged;
}

/** Checks every merged value; unset strings become '' and an unset port 0. */
export function checkAll(specs: readonly SettingSpec[], merged: RawSettings, label: Label): Settings {
  const out: Settings = {};
  for (const spec of specs) {
    const value = merged[spec.key];
    out[spec.key] =
      value === undefined
        ? spec.kind === 'port' || spec.kind === 'count'
          ? 0
          : ''
        : checkSetting(spec, value, label(spec.key));
  }
  return out;
}

/** Settings kept in a file: every non-empty value. */
export function nonEmpty(settings: Settings): RawSettings {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== '' && v !== 0));
}
