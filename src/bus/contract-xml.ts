/**
 * Parsing the contract's XML (introspection format) into the model of contract.ts: used by
 * the build (scripts/compile-contract.mjs), the tests, and the service only when interfaces/
 * is newer than the compiled contract.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { Annotation, ArgSpec, InterfaceSpec, MethodSpec, PropertySpec, SignalSpec } from './contract.js';

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
        name: m.name,
        in: inArgs,
        out: outArgs,
        inSignature: signature(inArgs),
        outSignature: signature(outArgs),
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

/** Loads every org.pantherx.Accounts.*.xml of a directory, keyed by interface name. */
export function loadXmlContract(dir: string): Map<string, InterfaceSpec> {
  const contract = new Map<string, InterfaceSpec>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .sort()) {
    for (const spec of parseInterfaces(readFileSync(join(dir, file), 'utf8'))) contract.set(spec.name, spec);
  }
  return contract;
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
