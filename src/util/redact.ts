/** A message with secrets cut out (also URL-encoded, as a server echoing its URL has them): a server's words go into status messages and logs. */
export function redact(message: string, secrets: Iterable<string>): string {
  let out = message;
  for (const v of secrets) {
    if (v.length < 4) continue; // too short to tell from ordinary words
    for (const form of new Set([v, encodeURIComponent(v)])) out = out.split(form).join('[secret]');
  }
  return out;
}
