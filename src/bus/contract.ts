/**
 * The D-Bus contract as data: interfaces/*.xml parsed once at start-up. The object server
 * dispatches, checks signatures and answers Introspect from this model, so what the service
 * exports cannot drift from the XML files.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

export interface Annotation { name: string; value: string }
export interface ArgSpec { name: string; type: string }
export interface MethodSpec { name: string; in: ArgSpec[]; out: ArgSpec[]; inSignature: string; outSignature: string; annotations: Annotation[] }
export type Access = 'read' | 'write' | 'readwrite';
export interface PropertySpec { name: string; type: string; access: Access; annotations: Annotation[] }
export interface SignalSpec { name: string; args: ArgSpec[]; signature: string; annotations: Annotation[] }
export interface InterfaceSpec {
  name: string;
  methods: Map<string, MethodSpec>;
  properties: Map<string, PropertySpec>;
  signals: Map<string, SignalSpec>;
  annotations: Annotation[];
}

const ARRAYS = new Set(['interface', 'method', 'property', 'signal', 'arg', 'annotation', 'node']);

/* eslint-disable @typescript-eslint/no-explicit-any */
const annotations = (el: any): Annotation[] =>
  (el.annotation ?? []).map((a: any) => ({ name: String(a.name), value: String(a.value ?? '') }));

const argsOf = (el: any, direction?: 'in' | 'out'): ArgSpec[] =>
  (el.arg ?? [])
    .filter((a: any) => direction === undefined || (a.direction ?? 'in') === direction)
    .map((a: any) => ({ name: String(a.name ?? ''), type: String(a.type) }));

const signature = (args: ArgSpec[]) => args.map((a) => a.type).join('');

/** Parses introspection XML into interface specs, in document order. */
export function parseInterfaces(xml: string): InterfaceSpec[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: true,
    parseAttributeValue: false,
    isArray: (name) => ARRAYS.has(name),
  });
  const doc = parser.parse(xml);
  const node = Array.isArray(doc.node) ? doc.node[0] : doc.node;
  return (node?.interface ?? []).map((i: any): InterfaceSpec => {
    const methods = new Map<string, MethodSpec>();
    for (const m of i.method ?? []) {
      const inArgs = argsOf(m, 'in');
      const outArgs = argsOf(m, 'out');
      methods.set(m.name, {
        name: m.name, in: inArgs, out: outArgs,
        inSignature: signature(inArgs), outSignature: signature(outArgs),
        annotations: annotations(m),
      });
    }
    const properties = new Map<string, PropertySpec>();
    for (const p of i.property ?? []) {
      properties.set(p.name, { name: p.name, type: p.type, access: p.access, annotations: annotations(p) });
    }
    const signals = new Map<string, SignalSpec>();
    for (const s of i.signal ?? []) {
      const args = argsOf(s);
      signals.set(s.name, { name: s.name, args, signature: signature(args), annotations: annotations(s) });
    }
    return { name: i.name, methods, properties, signals, annotations: annotations(i) };
  });
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * The interface of a protocol that ships no XML (a third-party descriptor): one read-only
 * property per setting, documented from the setting.
 */
export function settingsInterface(name: string, doc: string, properties: ReadonlyArray<{ property: string; signature: string; doc: string }>): InterfaceSpec {
  const docString = (value: string): Annotation[] => [{ name: 'org.gtk.GDBus.DocString', value }];
  return {
    name, annotations: docString(doc), methods: new Map(), signals: new Map(),
    properties: new Map(properties.map((s) => [s.property, {
      name: s.property, type: s.signature, access: 'read' as const, annotations: docString(s.doc),
    }])),
  };
}

/** Loads every org.pantherx.Accounts.*.xml of a directory, keyed by interface name. */
export function loadContract(dir: string): Map<string, InterfaceSpec> {
  const contract = new Map<string, InterfaceSpec>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.xml')).sort()) {
    for (const spec of parseInterfaces(readFileSync(join(dir, file), 'utf8'))) contract.set(spec.name, spec);
  }
  return contract;
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

/** The standard interfaces every object answers, in the same model. */
export const STANDARD_XML = `<node>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId"><arg name="machine_uuid" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg name="xml_data" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <method name="GetAll">
      <arg name="interface_name" type="s" direction="in"/><arg name="properties" type="a{sv}" direction="out"/>
    </method>
    <method name="Set">
      <arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg name="interface_name" type="s"/><arg name="changed_properties" type="a{sv}"/>
      <arg name="invalidated_properties" type="as"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.ObjectManager">
    <method name="GetManagedObjects">
      <arg name="objects" type="a{oa{sa{sv}}}" direction="out"/>
    </method>
    <signal name="InterfacesAdded">
      <arg name="object_path" type="o"/><arg name="interfaces_and_properties" type="a{sa{sv}}"/>
    </signal>
    <signal name="InterfacesRemoved">
      <arg name="object_path" type="o"/><arg name="interfaces" type="as"/>
    </signal>
  </interface>
</node>`;
