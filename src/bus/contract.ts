/**
 * The D-Bus contract as data: interfaces/*.xml, compiled to JSON at build time
 * (scripts/compile-contract.mjs, through contract-xml.ts) and read at start-up, so the XML
 * parser is not loaded to take the name. The object server dispatches, checks signatures and
 * answers Introspect from this model, so what the service exports cannot drift from the XML.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Annotation {
  name: string;
  value: string;
}
export interface ArgSpec {
  name: string;
  type: string;
}
export interface MethodSpec {
  name: string;
  in: ArgSpec[];
  out: ArgSpec[];
  inSignature: string;
  outSignature: string;
  annotations: Annotation[];
}
export type Access = 'read' | 'write' | 'readwrite';
export interface PropertySpec {
  name: string;
  type: string;
  access: Access;
  annotations: Annotation[];
}
export interface SignalSpec {
  name: string;
  args: ArgSpec[];
  signature: string;
  annotations: Annotation[];
}
export interface InterfaceSpec {
  name: string;
  methods: Map<string, MethodSpec>;
  properties: Map<string, PropertySpec>;
  signals: Map<string, SignalSpec>;
  annotations: Annotation[];
}

/**
 * An interface of read-only properties, each documented: what every protocol's interface is,
 * built from its settings (protocol-interface.ts).
 */
export function settingsInterface(
  name: string,
  doc: string,
  properties: ReadonlyArray<{ property: string; signature: string; doc: string }>,
): InterfaceSpec {
  const docString = (value: string): Annotation[] => [{ name: 'org.gtk.GDBus.DocString', value }];
  return {
    name,
    annotations: docString(doc),
    methods: new Map(),
    signals: new Map(),
    properties: new Map(
      properties.map((s) => [
        s.property,
        {
          name: s.property,
          type: s.signature,
          access: 'read' as const,
          annotations: docString(s.doc),
        },
      ]),
    ),
  };
}

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function renderAnnotations(list: Annotation[], indent: string): string {
  return list.map((a) => `${indent}<annotation name="${escape(a.name)}" value="${escape(a.value)}"/>\n`).join('');
}

function renderArgs(args: ArgSpec[], indent: string, direction?: string): string {
  return args
    .map((a) => {
      const name = a.name ? ` name="${escape(a.name)}"` : '';
      const dir = direction ? ` direction="${direction}"` : '';
      return `${indent}<arg${name} type="${escape(a.type)}"${dir}/>\n`;
    })
    .join('');
}

/** Renders one interface as introspection XML (an <interface> element). */
export function renderInterface(spec: InterfaceSpec): string {
  let out = `  <interface name="${spec.name}">\n` + renderAnnotations(spec.annotations, '    ');
  for (const m of spec.methods.values()) {
    out += `    <method name="${m.name}">\n` + renderAnnotations(m.annotations, '      ');
    out += renderArgs(m.in, '      ', 'in') + renderArgs(m.out, '      ', 'out') + '    </method>\n';
  }
  for (const p of spec.properties.values()) {
    if (p.annotations.length === 0) {
      out += `    <property name="${p.name}" type="${escape(p.type)}" access="${p.access}"/>\n`;
    } else {
      out += `    <property name="${p.name}" type="${escape(p.type)}" access="${p.access}">\n`;
      out += renderAnnotations(p.annotations, '      ') + '    </property>\n';
    }
  }
  for (const s of spec.signals.values()) {
    out += `    <signal name="${s.name}">\n` + renderAnnotations(s.annotations, '      ');
    out += renderArgs(s.args, '      ') + '    </signal>\n';
  }
  return out + '  </interface>\n';
}

/** The compiled form: Maps as arrays of their values. */
interface CompiledInterface extends Omit<InterfaceSpec, 'methods' | 'properties' | 'signals'> {
  methods: MethodSpec[];
  properties: PropertySpec[];
  signals: SignalSpec[];
}
export interface CompiledContract {
  /** contractDigest() of the XML it was compiled from */
  digest: string;
  interfaces: CompiledInterface[];
  standard: CompiledInterface[];
}

export const compileInterfaces = (specs: Iterable<InterfaceSpec>): CompiledInterface[] =>
  [...specs].map((i) => ({
    ...i,
    methods: [...i.methods.values()],
    properties: [...i.properties.values()],
    signals: [...i.signals.values()],
  }));

const fromCompiled = (i: CompiledInterface): InterfaceSpec => ({
  ...i,
  methods: new Map(i.methods.map((m) => [m.name, m])),
  properties: new Map(i.properties.map((p) => [p.name, p])),
  signals: new Map(i.signals.map((x) => [x.name, x])),
});

/**
 * SHA-256 over the names and bytes of the XML files of `dir`: what the compiled contract was
 * made from. File times would do for a person editing interfaces/ without rebuilding, but an
 * installation that copies the files in another order makes the XML newer than the JSON, and
 * every start-up would parse the XML (~30 ms of CPU) for nothing.
 */
export function contractDigest(dir: string): string {
  const hash = createHash('sha256');
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .sort()) {
    hash
      .update(`${f}\0`)
      .update(readFileSync(join(dir, f)))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * The contract of `dir`: from `compiled` when it was compiled from exactly these XML files
 * (contractDigest), else parsed from the XML (a person editing interfaces/ without rebuilding).
 */
export async function loadContract(
  dir: string,
  compiled: string,
): Promise<{ interfaces: Map<string, InterfaceSpec>; standard: Map<string, InterfaceSpec> }> {
  try {
    const c = JSON.parse(readFileSync(compiled, 'utf8')) as CompiledContract;
    if (c.digest === contractDigest(dir)) {
      return {
        interfaces: new Map(c.interfaces.map((i) => [i.name, fromCompiled(i)])),
        standard: new Map(c.standard.map((i) => [i.name, fromCompiled(i)])),
      };
    }
  } catch {
    /* not built: parse the XML */
  }
  const xml = await import('./contract-xml.js');
  return {
    interfaces: xml.loadXmlContract(dir),
    standard: new Map(xml.parseInterfaces(xml.STANDARD_XML).map((s) => [s.name, s])),
  };
}
