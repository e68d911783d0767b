/**
 * The contract as the tests read it — the hand-written interfaces/*.xml and the protocols'
 * interfaces/generated/*.xml — and a comparable shape of an interface.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InterfaceSpec } from '../../src/bus/contract.js';
import { parseInterfaces } from '../../src/bus/contract-xml.js';
import type { TestClient } from './client.js';
import { ROOT as REPO } from './session.js';

/** The contract's XML files: hand-written, then generated. */
export const contractFiles: string[] = ['interfaces', 'interfaces/generated'].flatMap((dir) =>
  readdirSync(join(REPO, dir))
    .filter((x) => x.endsWith('.xml'))
    .sort()
    .map((x) => join(REPO, dir, x)),
);

/** Every interface the XML files declare, by name. */
export const declared = new Map<string, InterfaceSpec>();
for (const file of contractFiles) {
  for (const spec of parseInterfaces(readFileSync(file, 'utf8'))) declared.set(spec.name, spec);
}

/** A comparable description: members, signatures, argument names and directions, access, docs. */
export function shape(spec: InterfaceSpec) {
  return {
    name: spec.name,
    annotations: spec.annotations,
    methods: [...spec.methods.values()]
      .map((m) => ({ name: m.name, in: m.in, out: m.out, annotations: m.annotations }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    properties: [...spec.properties.values()].map((p) => ({ ...p })).sort((a, b) => a.name.localeCompare(b.name)),
    signals: [...spec.signals.values()]
      .map((g) => ({ name: g.name, args: g.args, annotations: g.annotations }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** What an object really exports, from Introspect. */
export async function introspect(client: TestClient, path: string): Promise<Map<string, InterfaceSpec>> {
  const [xml] = await client.call(path, 'org.freedesktop.DBus.Introspectable', 'Introspect');
  return new Map(parseInterfaces(xml as string).map((i) => [i.name, i]));
}
