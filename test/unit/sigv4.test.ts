import { describe, expect, it } from 'vitest';
import { regionOfFunctionUrl, signRequest } from '#tools/cli/sigv4.ts';

// AWS's published SigV4 test suite credentials and clock.
const scope = {
  credentials: {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  },
  region: 'us-east-1',
  service: 'service',
  date: new Date('2015-08-30T12:36:00Z'),
};

describe('SigV4 signing', () => {
  it('matches the AWS test suite vector "get-vanilla"', async () => {
    const headers = await signRequest(
      { method: 'GET', url: new URL('https://example.amazonaws.com/') },
      scope,
    );

    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('matches "get-vanilla-query-order-key-case" (query sorted before signing)', async () => {
    const headers = await signRequest(
      {
        method: 'GET',
        url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'),
      },
      scope,
    );

    expect(headers.authorization).toMatch(
      /Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/,
    );
  });

  it('signs the body and a session token, so a changed body changes the signature', async () => {
    const request = (body: string) => ({
      method: 'POST',
      url: new URL('https://abc123.lambda-url.eu-west-1.on.aws/generate'),
      headers: { 'content-type': 'application/json' },
      body,
    });
    const temporary = {
      ...scope,
      credentials: { ...scope.credentials, sessionToken: 'token-1' },
      service: 'lambda',
      region: 'eu-west-1',
    };

    const a = await signRequest(request('{"n":1}'), temporary);
    const b = await signRequest(request('{"n":2}'), temporary);

    expect(a['x-amz-security-token']).toBe('token-1');
    expect(a.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/eu-west-1\/lambda\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(a.authorization).not.toBe(b.authorization);
  });

  it('reads the region from a function URL host', () => {
    expect(regionOfFunctionUrl(new URL('https://abc.lambda-url.ap-southeast-2.on.aws/'))).toBe(
      'ap-southeast-2',
    );
    expect(regionOfFunctionUrl(new URL('http://127.0.0.1:3000/'))).toBeUndefined();
  });
});
