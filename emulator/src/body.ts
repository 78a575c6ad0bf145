// Reads a Bot API request into one flat record of parameters, whatever way the client sent it:
// query string, JSON, urlencoded or multipart (grammY uses multipart only for file uploads, with
// headers like `content-disposition:form-data;name="x"` — no spaces, unquoted filename).
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { badRequest } from './errors';

export interface UploadedFile {
  filename: string;
  data: Buffer;
}

export type RawParams = Record<string, unknown>;

export interface ParsedRequest {
  params: RawParams;
  /** Multipart file parts by field name; `attach://<name>` in a param refers to them. */
  files: Map<string, UploadedFile>;
}

const maxBodyBytes = 50 * 1024 * 1024; // Telegram's upload limit for bots.

export async function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw badRequest('request entity too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** A refusal of the emulator's own JSON routes (control API, payment sheet): `{ error }` with this status. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON request body (at most 1 MiB), checked against `schema`; a ControlError(400) names the bad field. */
export async function jsonBody<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.infer<T>> {
  const raw = (await readBody(req, 1024 * 1024)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = raw === '' ? {} : JSON.parse(raw);
  } catch {
    throw new ControlError(400, 'body must be JSON');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ControlError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return result.data;
}

export async function parseBotRequest(req: IncomingMessage, url: URL): Promise<ParsedRequest> {
  const params: RawParams = Object.fromEntries(url.searchParams);
  const files = new Map<string, UploadedFile>();
  if (req.method !== 'POST') return { params, files };
  const body = await readBody(req);
  if (body.length === 0) return { params, files };
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw badRequest("can't parse JSON object");
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw badRequest('request body must be a JSON object');
    }
    Object.assign(params, parsed);
  } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  } else if (contentType.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
    if (!boundary) throw badRequest('multipart boundary is missing');
    for (const part of parseMultipart(body, boundary[1] ?? boundary[2])) {
      if (part.filename !== undefined) files.set(part.name, { filename: part.filename, data: part.data });
      else params[part.name] = part.data.toString('utf8');
    }
  }
  return { params, files };
}

interface MultipartPart {
  name: string;
  filename?: string;
  data: Buffer;
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  // Each iteration consumes one part, so the loop is bounded by the number of delimiters.
  while (start !== -1) {
    let cursor = start + delimiter.length;
    if (body.subarray(cursor, cursor + 2).toString() === '--') break; // closing delimiter
    if (body.subarray(cursor, cursor + 2).toString() === '\r\n') cursor += 2;
    const next = body.indexOf(delimiter, cursor);
    if (next === -1) break;
    // The part's content ends with the CRLF that precedes the next delimiter.
    const end = body.subarray(next - 2, next).toString() === '\r\n' ? next - 2 : next;
    const headerEnd = body.indexOf('\r\n\r\n', cursor);
    if (headerEnd !== -1 && headerEnd < end) {
      const headers = body.subarray(cursor, headerEnd).toString('utf8');
      const disposition = headers.split('\r\n').find((line) => /^content-disposition\s*:/i.test(line)) ?? '';
      const name = /;\s*name=(?:"([^"]*)"|([^;\s]+))/i.exec(disposition);
      const filename = /;\s*filename=(?:"([^"]*)"|([^;]+))/i.exec(disposition);
      if (name) {
        parts.push({
          name: name[1] ?? name[2],
          ...(filename ? { filename: (filename[1] ?? filename[2]).trim() } : {}),
          data: body.subarray(headerEnd + 4, end),
        });
      }
    }
    start = next;
  }
  return parts;
}
