import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { FUNCTION_TIMEOUT_SECONDS } from '#lib/aws/resources.ts';
import { AppError, NotFoundError, PayloadTooLargeError } from '#lib/errors.ts';
import type { RouteSpec } from '#lib/http/api.ts';
import { errorResponse, type HttpResult } from '#lib/http/response.ts';
import type { FunctionModule } from './functions.ts';
import { lambdaContext } from './lambdaContext.ts';
import { LocalResponseStream } from './responseStream.ts';

/** A function-URL request body may be at most 6 MB (the Lambda limit). */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;
/** Past this many bytes of an oversize body we stop draining and close the connection. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|x-www-form-urlencoded|x-ndjson|.*\+json|.*\+xml))/i;

/** A route served by the bridge, with the function that owns it. */
interface BridgeRoute extends RouteSpec {
  functionName: string;
  load: () => Promise<FunctionModule>;
}

/** Options for {@link startBridge}. */
export interface BridgeOptions {
  /** Function name → lazy module loader (normally {@link HTTP_FUNCTIONS}). */
  functions: Record<string, () => Promise<FunctionModule>>;
  port?: number;
  host?: string;
}

/** A running bridge. */
export interface Bridge {
  url: string;
  server: Server;
  routes: Array<RouteSpec & { functionName: string }>;
  close(): Promise<void>;
}

/**
 * Builds a Lambda function-URL event (payload format 2.0) from an HTTP request,
 * as the Lambda service does: cookies split out, headers lower-cased and
 * comma-joined, binary bodies base64-encoded.
 */
export function toFunctionUrlEvent(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers' | 'socket'>,
  body: Buffer,
  requestId: string,
  now = new Date(),
): LambdaFunctionURLEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (name === 'cookie') cookies = joined.split(/;\s*/).filter(Boolean);
    else headers[name] = joined;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const isText =
    body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? 'application/json');
  const method = (req.method ?? 'GET').toUpperCase();
  const host = headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/1.1`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText }
      : { isBase64Encoded: false }),
  } as LambdaFunctionURLEvent;
}

/** Writes a Lambda function-URL result the way the Lambda service would. */
export function writeResult(res: ServerResponse, result: LambdaFunctionURLResult): void {
  // A bare string (or other non-object) result means 200 with a JSON body.
  if (
    typeof result !== 'object' ||
    result === null ||
    !('statusCode' in result || 'body' in result)
  ) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const structured = result as HttpResult;
  const headers: Record<string, string | string[]> = { ...(structured.headers ?? {}) } as Record<
    string,
    string
  >;
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  const body = structured.body
    ? Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8')
    : Buffer.alloc(0);
  res.writeHead(structured.statusCode ?? 200, headers);
  res.end(body);
}

/**
 * The raw response to a request Node could not parse: 431 when its headers
 * (a long path included) are too large, else 400; JSON with its length, and
 * no body at all for a HEAD (whose response must not have one, or the client
 * cannot parse what follows).
 */
export function clientErrorResponse(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): string {
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const body = JSON.stringify({
    error: tooLarge
      ? {
          code: 'headers_too_large',
          message: 'The request line and headers exceed 16 KB; shorten the path or query.',
        }
      : { code: 'bad_request', message: 'Malformed HTTP request.' },
  });
  const head = error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  return [
    `HTTP/1.1 ${status}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    head ? '' : body,
  ].join('\r\n');
}

/** Reads a body up to `maxBytes`; past that it drains (bounded) and reports too large. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) {
    throw new PayloadTooLargeError(maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_DRAIN_BYTES) break;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  if (size > maxBytes) throw new PayloadTooLargeError(maxBytes, size);
  return Buffer.concat(chunks, size);
}

/** Host names the bridge answers to: the loopback names a local client uses. */
const LOCAL_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Whether a `Host` header names this server on loopback. Anything else is
 * refused: a web page on another origin can make a browser resolve its own
 * name to 127.0.0.1 (DNS rebinding) and read the answers, and its requests
 * still say that name in `Host`.
 */
export function isLocalHost(host: string | undefined, port: number): boolean {
  return host !== undefined && LOCAL_HOSTS.some((name) => host === `${name}:${port}`);
}

/** 403 for a request whose `Host` is not this server on loopback. */
class ForbiddenHostError extends AppError {
  constructor(host: string | undefined) {
    super(
      403,
      'forbidden_host',
      `This local server answers only Host ${LOCAL_HOSTS.map((h) => `${h}:<port>`).join(', ')} (DNS-rebinding protection); got ${JSON.stringify(host ?? '')}.`,
    );
    this.name = 'ForbiddenHostError';
  }
}

/**
 * Which function owns a path: what the Lambda service decides by URL (each
 * function has its own), so only the bridge needs it. Routing inside the
 * function, 404 and 405 included, is the function's own Powertools router.
 */
function ownerOf(routes: readonly BridgeRoute[], path: string): BridgeRoute | undefined {
  const segments = path.replace(/\/+$/, '').split('/');
  return routes.find((route) => {
    const template = route.path.split('/');
    return (
      template.length === segments.length &&
      template.every((part, i) => /^\{\w+\}$/.test(part) || part === segments[i])
    );
  });
}

async function collectRoutes(functions: BridgeOptions['functions']): Promise<BridgeRoute[]> {
  const routes: BridgeRoute[] = [];
  for (const [functionName, load] of Object.entries(functions)) {
    const mod = await load();
    for (const route of mod.api.routes) routes.push({ ...route, functionName, load });
  }
  return routes;
}

/**
 * Starts the HTTP bridge: every request becomes a function-URL event handed to
 * the same handler module Lambda runs. Unknown path → 404, wrong method → 405,
 * body over 6 MB → 413, all as JSON; a throwing handler becomes a JSON 500 and
 * never takes the process down.
 *
 * @example
 * ```ts
 * const bridge = await startBridge({ functions: HTTP_FUNCTIONS, port: 3000 });
 * ```
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const routes = await collectRoutes(options.functions);
  const modules = new Map<string, FunctionModule>();

  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    try {
      if (!isLocalHost(req.headers.host, (server.address() as AddressInfo).port)) {
        req.resume();
        throw new ForbiddenHostError(req.headers.host);
      }
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const owner = ownerOf(routes, path);
      if (!owner) {
        req.resume();
        // Admin routes (/_local/…) are for the CLIs, not advertised to whoever probes.
        const listed = routes.filter((r) => !r.path.startsWith('/_local/'));
        throw new NotFoundError(
          `No function serves ${req.method} ${path}. Available: ${listed.map((r) => `${r.method} ${r.path}`).join(', ')}.`,
        );
      }
      const body = await readBody(req, MAX_BODY_BYTES);
      let mod = modules.get(owner.functionName);
      if (!mod) {
        mod = await owner.load();
        modules.set(owner.functionName, mod);
      }
      const event = toFunctionUrlEvent(req, body, requestId);
      // The deployed function's timeout, so a deadline-aware handler stops as it would in AWS.
      const timeoutS =
        FUNCTION_TIMEOUT_SECONDS[owner.functionName as keyof typeof FUNCTION_TIMEOUT_SECONDS] ?? 30;
      const context = lambdaContext(owner.functionName, requestId, timeoutS * 1000);
      if (mod.invokeMode === 'RESPONSE_STREAM') {
        // As a RESPONSE_STREAM function URL: chunks reach the client as they are written.
        await mod.api.router.resolveStream(event, context, {
          responseStream: new LocalResponseStream(res),
        });
      } else writeResult(res, await mod.api.handler(event, context));
    } catch (error) {
      const response = errorResponse(error, requestId);
      if (!res.headersSent) {
        if (error instanceof AppError && error.statusCode === 413) {
          response.headers = { ...response.headers, connection: 'close' };
        }
        writeResult(res, response);
      } else {
        res.destroy(error as Error);
      }
    }
  });
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    if (!socket.writable) return;
    socket.end(clientErrorResponse(error));
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    routes: routes.map(({ load: _load, ...spec }) => spec),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
