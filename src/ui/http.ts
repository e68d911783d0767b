/** Small HTTP helpers of the window's server: JSON in (size-capped) and out, and errors with a status. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './security.js';

/** An account id as the service makes them (the last element of its object path). */
export const ACCOUNT_ID = /^[A-Za-z0-9_]{1,200}$/;

/** Largest JSON body accepted: an OpenVPN profile with its certificates fits easily. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A refusal with an HTTP status and words for the page. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind = 'InvalidArgument',
  ) {
    super(message);
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(body)),
    ...extra,
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

/** Reads a JSON object body of at most MAX_BODY_BYTES; anything else is a 4xx HttpError. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // Only JSON: an HTML form (which a foreign page can post without CORS) cannot send it.
  if (type !== 'application/json') throw new HttpError(415, 'send JSON (Content-Type: application/json)');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `the request is larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the request is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'the request is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'the request must be a JSON object');
  return value as Record<string, unknown>;
}

// Typed readers of request fields: a wrong type is a 400 that names the field.
export function text(
  body: Record<string, unknown>,
  key: string,
  opts: { required?: boolean; max?: number } = {},
): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw new HttpError(400, `${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new HttpError(400, `${key} must be text`);
  if (v.length > (opts.max ?? 4096)) throw new HttpError(400, `${key} is too long`);
  return v;
}

export function textList(body: Record<string, unknown>, key: string): string[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length <= 256))
    throw new HttpError(400, `${key} must be a list of text`);
  return v as string[];
}

export function textMap(body: Record<string, unknown>, key: string): Record<string, string> {
  const v = body[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, `${key} must be an object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw new HttpError(400, `${key}.${k} must be text`);
    if (x !== '') out[k] = x;
  }
  return out;
}
