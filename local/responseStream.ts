import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

/** The 8 zero bytes that end the HTTP-integration prelude of a Lambda response stream. */
const PRELUDE_END = Buffer.alloc(8);

/**
 * What the Lambda Node.js runtime hands a `RESPONSE_STREAM` handler, for the
 * local bridge: `HttpResponseStream.from` (Powertools' or the runtime's)
 * writes a JSON prelude `{statusCode, headers}` and 8 zero bytes before the
 * body, through `_onBeforeFirstWrite`, as the runtime's stream protocol says.
 * This stream reads the prelude into `writeHead` and passes the body through
 * to the HTTP response as it is written, so the client sees tokens arrive.
 */
export class LocalResponseStream extends Writable {
  /** Set by `HttpResponseStream.from`: writes the prelude before the first body chunk. */
  _onBeforeFirstWrite?: (write: (chunk: unknown) => void) => void;
  private prelude: Buffer[] | undefined = [];

  constructor(private readonly res: ServerResponse) {
    super();
  }

  /** The runtime records the content type; the prelude carries the real headers. */
  setContentType(_contentType: string): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    if (this._onBeforeFirstWrite) {
      const hook = this._onBeforeFirstWrite;
      this._onBeforeFirstWrite = undefined;
      hook((part) => this.prelude?.push(Buffer.from(part as Uint8Array)));
      this.startResponse();
    }
    if (!this.res.headersSent) this.res.writeHead(200);
    this.res.write(chunk, () => done());
  }

  override _final(done: (error?: Error) => void): void {
    if (this._onBeforeFirstWrite) {
      this._onBeforeFirstWrite((part) => this.prelude?.push(Buffer.from(part as Uint8Array)));
      this._onBeforeFirstWrite = undefined;
      this.startResponse();
    }
    this.res.end(() => done());
  }

  private startResponse(): void {
    const bytes = Buffer.concat(this.prelude ?? []);
    this.prelude = undefined;
    const end = bytes.indexOf(PRELUDE_END);
    const { statusCode = 200, headers = {} } = JSON.parse(
      bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8') || '{}',
    ) as { statusCode?: number; headers?: Record<string, string> };
    this.res.writeHead(statusCode, headers);
  }
}
