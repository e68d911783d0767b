// Compiles interfaces/*.xml (and the standard interfaces) into dist/contract.json, which the
// service reads at start-up instead of loading an XML parser. Run by `npm run build` after tsc.
import { writeFileSync } from 'node:fs';
import { compileInterfaces, contractDigest } from '../dist/src/bus/contract.js';
import { loadXmlContract, parseInterfaces, STANDARD_XML } from '../dist/src/bus/contract-xml.js';

const contract = {
  // loadContract uses this file only when the XML it finds has this digest
  digest: contractDigest('interfaces'),
  interfaces: compileInterfaces(loadXmlContract('interfaces').values()),
  standard: compileInterfaces(parseInterfaces(STANDARD_XML)),
};
writeFileSync('dist/contract.json', JSON.stringify(contract));
