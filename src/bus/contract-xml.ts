/**
 * Parsing the contract's XML (introspection format) into the model of contract.ts: used by
 * the build (scripts/compile-contract.mjs), the tests, and the service only when interfaces/
 * is newer than the compiled contract.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { Access, Annotation, ArgSpec, InterfaceSpec, MethodSpec, PropertySpec, SignalSpec } from './contract.js';

const ARRAYS = new Set(['interface', 'method', 'property', 'signal', 'arg', 'annotation', 'node']);

// What fast-xml-parser gives for introspection XML with the options below: attributes as
// string fields (parseAttributeValue off), the elements named in ARRAYS always as arrays.
type Attributes = Partial<Record<string, string>>;
interface XmlElement {
  readonly attrs: Attributes;
  children(name: string): XmlElement[];
}

function element(raw: unknown): XmlElement {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const attrs: Attributes = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') attrs[k] = v;
  return {
    attrs,
    children: (name) => {
      const v = o[name];
      return Array.isArray(v) ? v.map(element) : [];
    },
  };
}

function required(el: XmlElement, attr: string, what: string): string {
  const v = el.attrs[attr];
  if (v === undefined) throw new Error(`${what} without ${attr}`);
  return v;
}

const ACCESS: readonly Access[] = ['read', 'write', 'readwrite'];
const accessOf = (el: XmlElement, what: string): Access => {
  const v = required(el, 'access', what);
  const access = ACCESS.find((a) => a === v);
  if (!access) throw new Error(`${what}: access '${v}' is not read, write or readwrite`);
  return access;
};

const annotations = (el: XmlElement): Annotation[] =>
  el.children('annotation').map((a) => ({ name: required(a, 'name', 'annotation'), value: a.attrs.value ?? '' }));

const argsOf = (el: XmlElement, what: string, direction?: 'in' | 'out'): ArgSpec[] =>
  el
    .children('arg')
    .filter((a) => direction === undefined || (a.attrs.direction ?? 'in') === direction)
    .map((a) => ({ name: a.attrs.name ?? '', type: required(a, 'type', `an argument of ${what}`) }));

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
  const doc = element(parser.parse(xml));
  const node = doc.children('node')[0];
  return (node?.children('interface') ?? []).map((i): InterfaceSpec => {
    const name = required(i, 'name', 'interface');
    const methods = new Map<string, MethodSpec>();
    for (const m of i.children('method')) {
      const method = required(m, 'name', `a method of ${name}`);
      const inArgs = argsOf(m, method, 'in');
      const outArgs = argsOf(m, method, 'out');
      methods.set(method, {
        name: method,
        in: inArgs,
        out: outArgs,
        inSignature: signature(inArgs),
        outSignature: signature(outArgs),
        annotations: annotations(m),
      });
    }
    const properties = new Map<string, PropertySpec>();
    for (const p of i.children('property')) {
      const prop = required(p, 'name', `a property of ${name}`);
      properties.set(prop, {
        name: prop,
        type: required(p, 'type', `${name}.${prop}`),
        access: accessOf(p, `${name}.${prop}`),
        annotations: annotations(p),
      });
    }
    const signals = new Map<string, SignalSpec>();
    for (const sig of i.children('signal')) {
      const signal = required(sig, 'name', `a signal of ${name}`);
      const args = argsOf(sig, signal);
      signals.set(signal, { name: signal, args, signature: signature(args), annotations: annotations(sig) });
    }
    return { name, methods, properties, signals, annotations: annotations(i) };
  });
}

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
