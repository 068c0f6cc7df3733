import { readFile } from 'node:fs/promises';
import { type Credentials, regionOfFunctionUrl, signRequest } from './sigv4.ts';

/** What `npm run invoke -- <function>` calls by default on each function URL. */
export const INVOKE_TARGETS = {
  health: { method: 'GET', path: '/health', output: 'HealthUrl' },
  generate: { method: 'POST', path: '/generate', output: 'GenerateUrl' },
  events: { method: 'POST', path: '/events', output: 'EventsUrl' },
  recommend: { method: 'POST', path: '/recommend', output: 'RecommendUrl' },
  insights: { method: 'GET', path: '/reports/latest', output: 'InsightsUrl' },
} as const;

/** A function name `invoke` knows. */
export type InvokeTarget = keyof typeof INVOKE_TARGETS;

/** Raised for anything the caller can fix (bad flag, missing outputs, bad JSON). */
export class InvokeUsageError extends Error {}

/**
 * The base URL of a function: `--url` wins; otherwise the stack outputs file
 * that `npx cdk deploy --outputs-file cdk-outputs.json` writes
 * (`{ "<stack>": { "<Name>Url": "https://…" } }`).
 */
export async function resolveBaseUrl(options: {
  target: InvokeTarget;
  url?: string;
  outputsFile: string;
  stack: string;
}): Promise<URL> {
  if (options.url) {
    try {
      return new URL(options.url);
    } catch {
      throw new InvokeUsageError(`--url "${options.url}" is not a URL.`);
    }
  }
  let outputs: Record<string, Record<string, string>>;
  try {
    outputs = JSON.parse(await readFile(options.outputsFile, 'utf8'));
  } catch (error) {
    throw new InvokeUsageError(
      `Cannot read stack outputs from ${options.outputsFile} (${(error as Error).message}). ` +
        'Deploy with `npx cdk deploy --outputs-file cdk-outputs.json`, or pass --url (e.g. --url http://127.0.0.1:3000 for npm start).',
    );
  }
  const key = INVOKE_TARGETS[options.target].output;
  const url = outputs[options.stack]?.[key];
  if (!url) {
    throw new InvokeUsageError(
      `${options.outputsFile} has no ${options.stack}.${key}; stacks there: ${Object.keys(outputs).join(', ') || 'none'} (use --stack).`,
    );
  }
  return new URL(url);
}

/** The request body from the command line: inline JSON, or `@file` holding JSON. */
export async function readBody(arg: string | undefined): Promise<string | undefined> {
  if (arg === undefined) return undefined;
  const text = arg.startsWith('@') ? await readFile(arg.slice(1), 'utf8') : arg;
  try {
    JSON.parse(text);
  } catch (error) {
    throw new InvokeUsageError(
      `The body ${arg.startsWith('@') ? `in ${arg.slice(1)} ` : ''}is not JSON: ${(error as Error).message}`,
    );
  }
  return text;
}

/** One call of {@link invoke}. */
export interface InvokeRequest {
  base: URL;
  method: string;
  /** Path and query, e.g. `/reports/2026-11-22?format=csv`. */
  path: string;
  body?: string;
  /** Credentials to sign with; unsigned when absent (the local stack accepts that). */
  credentials?: Credentials;
  /** Signing region; default: the function URL's own, then `AWS_REGION`, then us-east-1. */
  region?: string;
}

/**
 * Sends one SigV4-signed request to a function URL and streams the response
 * body to `sink` as it arrives (generate's `stream: true` NDJSON shows token
 * by token). Returns the status and the headers sent.
 *
 * @example
 * ```ts
 * const { status } = await invoke({ base, method: 'GET', path: '/health', credentials }, (c) => process.stdout.write(c));
 * ```
 */
export async function invoke(
  request: InvokeRequest,
  sink: (chunk: Uint8Array) => void,
): Promise<{ status: number; contentType: string; sentHeaders: Record<string, string> }> {
  const url = new URL(request.path.replace(/^\//, ''), ensureSlash(request.base));
  const headers: Record<string, string> = request.body
    ? { 'content-type': 'application/json', accept: 'application/json' }
    : { accept: 'application/json' };
  const sentHeaders = request.credentials
    ? await signRequest(
        {
          method: request.method,
          url,
          headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
        },
        {
          credentials: request.credentials,
          region:
            request.region ?? regionOfFunctionUrl(url) ?? process.env.AWS_REGION ?? 'us-east-1',
          service: 'lambda',
        },
      )
    : headers;
  const { host: _host, ...fetchHeaders } = sentHeaders;
  const response = await fetch(url, {
    method: request.method,
    headers: fetchHeaders,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  if (response.body) {
    for await (const chunk of response.body) sink(chunk);
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    sentHeaders,
  };
}

const ensureSlash = (url: URL) => new URL(url.href.endsWith('/') ? url.href : `${url.href}/`);
