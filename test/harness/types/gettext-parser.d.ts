// gettext-parser ships no type declarations; the catalogue tests read po files with it.
declare module 'gettext-parser' {
  interface PoMessage {
    msgctxt?: string;
    msgid: string;
    msgid_plural?: string;
    msgstr: string[];
    comments?: { translator?: string; reference?: string; extracted?: string; flag?: string; previous?: string };
  }
  interface PoData {
    charset: string;
    headers: Record<string, string>;
    translations: Record<string, Record<string, PoMessage>>;
  }
  const gettextParser: {
    po: { parse(input: string | Buffer): PoData; compile(data: PoData, options?: object): Buffer };
  };
  export default gettextParser;
}
