/**
 * The CLI in the person's language (docs/translating.md): German and Persian from LANG, with
 * LC_ALL over it; yargs's usage errors and help in the same language as ours; plural forms from
 * the catalogue's header; times through Intl; --json never translated; English under C unchanged.
 * (Only C locales are installed here: the CLI reads the variables, it does not need the locale.)
 */
import { strict as assert } from 'node:assert';
import { CODE, errorLine, json, LineReader, useCliService, type CliResult } from './helpers.js';
import { testSecret, uniqueUser } from '../harness/fixture.js';
import { cli } from './helpers.js';

describe('the CLI in German and Persian', function () {
  this.timeout(30000);
  const f = useCliService();
  const de = () => ({ ...f.session.env, LANG: 'de_DE.UTF-8' });
  const fa = () => ({ ...f.session.env, LANG: 'fa_IR.UTF-8' });
  const run = (env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<CliResult> => cli(env, args, input);
  const addSftp = async (env: NodeJS.ProcessEnv) => {
    const r = await run(
      env,
      [
        'add',
        '-protocol',
        'sftp',
        '-account',
        uniqueUser('i18n'),
        '-server',
        '127.0.0.1',
        '--password-stdin',
        '--json',
      ],
      testSecret(),
    );
    assert.equal(r.code, CODE.OK, r.stderr);
    return json<{ id: string }>(r).id;
  };

  it("German: messages, the help and yargs's own words, plural forms from the header", async () => {
    const none = await run(de(), ['list']);
    assert.equal(none.stdout, 'Keine Konten. Fügen Sie eines hinzu mit: px-accounts add --help\n');

    const help = await run(de(), ['--help']);
    assert.match(help.stdout, /^Aufruf: px-accounts <Befehl> \[Optionen\]/);
    assert.match(help.stdout, /\nBefehle:\n/);
    assert.match(help.stdout, /\nOptionen:\n/);
    assert.match(help.stdout, /-h, --help +Hilfe anzeigen +\[Boolesch\]/);
    assert.match(help.stdout, /ein Konto hinzufügen/);

    // yargs's messages, singular and plural, with our hint after them
    const one = await run(de(), ['list', '--bogus']);
    assert.equal(one.code, CODE.INVALID);
    assert.equal(errorLine(one), "px-accounts: Unbekanntes Argument: bogus (siehe 'px-accounts list --help')");
    const two = await run(de(), ['list', '--bogus', '--other']);
    assert.equal(errorLine(two), "px-accounts: Unbekannte Argumente: bogus, other (siehe 'px-accounts list --help')");
    const missing = await run(de(), ['show']);
    assert.equal(missing.code, CODE.INVALID);
    assert.match(
      errorLine(missing),
      /^px-accounts: Nicht genügend Argumente ohne Option: 0 angegeben, mindestens 1 nötig/,
    );
    // and ours
    const port = await run(de(), ['add', '-protocol', 'sftp', '-account', 'x', '-port', '70000']);
    assert.equal(
      errorLine(port),
      "px-accounts: --port muss eine Zahl von 1 bis 65535 sein, angegeben war '70000' (siehe 'px-accounts add --help')",
    );

    // our own plural (watch's notice): 1 Konto, 2 Konten
    const first = await addSftp(de());
    const watchOne = LineReader.start(de(), ['watch']);
    assert.equal(
      await watchOne.waitLine((l) => l.startsWith('px-accounts: '), 10000, 0, 'stderr'),
      'px-accounts: 1 Konto wird beobachtet; Strg-C beendet',
    );
    assert.equal(await watchOne.stop(), 0);
    const second = await addSftp(de());
    const watchTwo = LineReader.start(de(), ['watch']);
    assert.equal(
      await watchTwo.waitLine((l) => l.startsWith('px-accounts: '), 10000, 0, 'stderr'),
      'px-accounts: 2 Konten werden beobachtet; Strg-C beendet',
    );
    assert.equal(await watchTwo.stop(), 0);

    // a time through Intl (de-DE: 05.12.2026, 13:04:05), the labels translated and aligned
    assert.equal((await run(de(), ['status', first, 'online', 'synced'])).code, CODE.OK);
    const shown = await run(de(), ['show', first]);
    assert.match(shown.stdout, /^Status: +online \(synced\) seit \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2}$/m);
    assert.match(shown.stdout, /^Benutzername: +i18n/m);
    assert.match(shown.stdout, /^Geheimnisse: +password$/m);
    const removed = await run(de(), ['remove', second]);
    assert.equal(removed.stdout, `${second} entfernt\n`);

    // --json is the same in every language
    const status = json<Record<string, unknown>>(await run(de(), ['status', first, '--json']));
    assert.deepEqual(Object.keys(status), ['id', 'status', 'message', 'time', 'attentionNeeded']);
    assert.equal(status.status, 'online');
    await run(de(), ['remove', first]);
  });

  it("Persian: messages, yargs's words (which yargs itself does not ship), Persian digits and calendar", async () => {
    const none = await run(fa(), ['list']);
    assert.equal(none.stdout, 'حسابی نیست. با این فرمان یکی بیفزایید: px-accounts add --help\n');
    const one = await run(fa(), ['list', '--bogus']);
    assert.equal(errorLine(one), "px-accounts: آرگومان ناشناخته: bogus (نگاه کنید به 'px-accounts list --help')");
    // Plural-Forms: nplurals=2; plural=(n > 1)
    const two = await run(fa(), ['list', '--bogus', '--other']);
    assert.equal(
      errorLine(two),
      "px-accounts: آرگومان‌های ناشناخته: bogus, other (نگاه کنید به 'px-accounts list --help')",
    );
    const help = await run(fa(), ['--help']);
    assert.match(help.stdout, /\nفرمان‌ها:\n/);
    assert.match(help.stdout, /نمایش راهنما/);

    const id = await addSftp(fa());
    assert.equal((await run(fa(), ['status', id, 'offline'])).code, CODE.OK);
    const status = await run(fa(), ['status', id]);
    // "offline از ۱۴ آذر ۱۴۰۵، ۱۲:۳۹:۳۳": fa-IR's Solar Hijri calendar, month name and Persian digits
    assert.match(
      status.stdout,
      new RegExp(`^${id}: offline از [۰-۹]{1,2} \\S+ [۰-۹]{4}، [۰-۹]{1,2}:[۰-۹]{2}:[۰-۹]{2}\\n$`),
    );
    const removed = await run(fa(), ['remove', id]);
    assert.equal(removed.stdout, `${id} حذف شد\n`);
  });

  it('LC_ALL over LANG; C and POSIX are English; a language without a catalogue is English, yargs too', async () => {
    const env = f.session.env;
    assert.equal(
      (await run({ ...env, LANG: 'de_DE.UTF-8', LC_ALL: 'fa_IR.UTF-8' }, ['list'])).stdout,
      'حسابی نیست. با این فرمان یکی بیفزایید: px-accounts add --help\n',
    );
    assert.equal(
      (await run({ ...env, LANG: 'fa_IR.UTF-8', LC_MESSAGES: 'de_DE.UTF-8' }, ['list'])).stdout,
      'Keine Konten. Fügen Sie eines hinzu mit: px-accounts add --help\n',
    );
    for (const lang of [{ LANG: 'C' }, { LANG: 'de_DE.UTF-8', LC_ALL: 'POSIX' }, { LANG: 'fr_FR.UTF-8' }]) {
      const r = await run({ ...env, ...lang }, ['list', '--bogus']);
      assert.equal(
        errorLine(r),
        "px-accounts: Unknown argument: bogus (see 'px-accounts list --help')",
        JSON.stringify(lang),
      );
    }
  });
});
