/**
 * The fault and abuse suite, in a fixed order: hostile files, hostile input over D-Bus, crash
 * safety under SIGKILL, concurrency, Secret Service faults, bus faults, and last the leak
 * check over everything the run recorded. Figures are printed at the end.
 *
 * Replay a run's random choices with PX_FAULTS_SEED=<seed> (printed by each suite);
 * PX_FAULTS_FUZZ_CALLS changes the number of fuzzed calls (default 4000).
 */
import { strict as assert } from 'node:assert';
import { FIGURES, leakFindings } from './lib/common.js';
import { busSuite } from './suites/bus.js';
import { concurrencySuite } from './suites/concurrency.js';
import { crashSuite } from './suites/crash.js';
import { filesSuite } from './suites/files.js';
import { fuzzSuite } from './suites/fuzz.js';
import { keyringSuite } from './suites/keyring.js';

describe('faults', function () {
  const started = Date.now();

  filesSuite();
  fuzzSuite();
  crashSuite();
  concurrencySuite();
  keyringSuite();
  busSuite();

  describe('no leaks', () => {
    it('no test secret appears in any account file, service log, captured signal, dbus-monitor output or non-secret reply', () => {
      // Proof the check looked at something: secrets were used and places scanned.
      assert.ok(FIGURES.secretsUsed > 100, `only ${FIGURES.secretsUsed} secrets used`);
      assert.ok(FIGURES.placesScanned > 10, `only ${FIGURES.placesScanned} places scanned`);
      assert.ok(
        FIGURES.signalsMonitored > 100,
        `dbus-monitor printed only ${FIGURES.signalsMonitored} signals of the service`,
      );
      assert.deepEqual(leakFindings, []);
    });
  });

  after(function () {
    console.log(
      [
        '',
        '      faults figures:',
        `        kills survived:  ${FIGURES.killsSurvived}`,
        `        calls fuzzed:    ${FIGURES.callsFuzzed}`,
        `        files tried:     ${FIGURES.filesTried}`,
        `        leaks found:     ${FIGURES.leaksFound} (${FIGURES.secretsUsed} secrets tracked; ${FIGURES.placesScanned} places, ${(FIGURES.bytesScanned / 1e6).toFixed(1)} MB and ${FIGURES.signalsMonitored} monitored signals scanned)`,
        `        run time:        ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
  });
});
