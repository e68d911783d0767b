/** The GOA view's contract: interfaces/goa/*.xml (our copy of what libgoa's clients read, docs/goa.md). */
import { join } from 'node:path';
import type { InterfaceSpec } from '../bus/contract.js';

export const GOA_INTERFACES_SUBDIR = 'goa';

/** Parsed at start-up, only when the view is on (the org.pantherx contract is compiled; this one is small). */
export async function loadGoaContract(interfacesDir: string): Promise<Map<string, InterfaceSpec>> {
  const { loadXmlContract } = await import('../bus/contract-xml.js');
  return loadXmlContract(join(interfacesDir, GOA_INTERFACES_SUBDIR));
}
