import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials as the default provider chain returns them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request to sign: absolute URL, method, headers, optional body. */
export interface UnsignedRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
}

/** Where and as whom to sign. */
export interface SigningScope {
  credentials: Credentials;
  region: string;
  /** `lambda` for function URLs. */
  service: string;
  /** Signing time (default now); fixed in known-answer tests. */
  date?: Date;
}

/**
 * Signs a request with AWS Signature Version 4 (`@smithy/signature-v4`) and
 * returns the headers to send: the given ones plus `host`, `x-amz-date`,
 * `authorization` and, with temporary credentials, `x-amz-security-token`.
 * The payload hash is part of the signature; no `x-amz-content-sha256`
 * header is added (function URLs do not need it).
 *
 * @example
 * ```ts
 * const headers = await signRequest(
 *   { method: 'POST', url: new URL(`${url}generate`), headers: { 'content-type': 'application/json' }, body },
 *   { credentials, region: 'eu-west-1', service: 'lambda' },
 * );
 * ```
 */
export async function signRequest(
  request: UnsignedRequest,
  scope: SigningScope,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: scope.credentials,
    region: scope.region,
    service: scope.service,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [seen, value].flat();
  }
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query,
      headers: { ...request.headers, host: request.url.host },
      ...(request.body !== undefined ? { body: request.body } : {}),
    },
    scope.date ? { signingDate: scope.date } : {},
  );
  return signed.headers as Record<string, string>;
}

/**
 * The region of a Lambda function URL (`https://<id>.lambda-url.<region>.on.aws/`),
 * or undefined for any other host.
 */
export function regionOfFunctionUrl(url: URL): string | undefined {
  return /^[^.]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1];
}
