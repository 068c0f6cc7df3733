import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '#lib/config.ts';

const valid = {
  MUSE_APP_TABLE: 'app',
  MUSE_EVENTS_TABLE: 'events',
  MUSE_MODEL_BUCKET: 'models',
  MUSE_REPORTS_BUCKET: 'reports',
};

describe('parseConfig', () => {
  it('parses an AWS environment without endpoints', () => {
    const cfg = parseConfig({ ...valid, AWS_REGION: 'eu-west-1' });

    expect(cfg).toMatchObject({ appTable: 'app', region: 'eu-west-1', logLevel: 'info' });
    expect(cfg.local).toBeUndefined();
  });

  it('enters local mode when both emulator endpoints are set', () => {
    const cfg = parseConfig({
      ...valid,
      MUSE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
      MUSE_S3_ENDPOINT: 'http://127.0.0.1:2',
    });

    expect(cfg.local).toEqual({
      dynamoEndpoint: 'http://127.0.0.1:1',
      s3Endpoint: 'http://127.0.0.1:2',
    });
  });

  it('runs the model on the vCPUs Lambda memory buys (1 per 1,769 MB, at least 1, at most the CPUs seen), every CPU elsewhere', () => {
    const threads = (memory?: string) =>
      parseConfig(memory ? { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory } : {}).model.threads;
    const cpus = availableParallelism();

    expect(threads('1769')).toBe(1);
    expect(threads('128')).toBe(1);
    expect(threads('3008')).toBe(Math.min(2, cpus));
    expect(threads('10240')).toBe(Math.min(6, cpus));
    expect(threads()).toBe(cpus);
    expect(() => threads('1e200.5')).toThrow(/AWS_LAMBDA_FUNCTION_MEMORY_SIZE/);
    // Local mode prices calls at the generate function's default size.
    expect(parseConfig({}).pricing.memoryMb).toBe(1769);
  });

  it('needs only the sections a function reads', () => {
    const cfg = parseConfig({ MUSE_APP_TABLE: 'app' });

    expect(cfg.appTable).toBe('app');
  });

  it('names a missing variable when its section is first read', () => {
    const cfg = parseConfig({ MUSE_APP_TABLE: 'app' });

    expect(() => cfg.eventsTable).toThrow(ConfigError);
    expect(() => cfg.eventsTable).toThrow(/MUSE_EVENTS_TABLE is required/);
    expect(() => cfg.reportsBucket).toThrow(/MUSE_REPORTS_BUCKET is required/);
  });

  it('names every bad variable of a section in one error', () => {
    const cfg = parseConfig({
      MUSE_LAMBDA_GB_SECOND_USD: 'x',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '0',
      MUSE_EXEMPLAR_CACHE_SECONDS: '-1',
    });

    expect(() => cfg.pricing).toThrow(
      /MUSE_LAMBDA_GB_SECOND_USD[\s\S]*AWS_LAMBDA_FUNCTION_MEMORY_SIZE/,
    );
    expect(() => cfg.copy).toThrow(/MUSE_EXEMPLAR_CACHE_SECONDS/);
  });

  it('rejects a malformed endpoint with the variable name', () => {
    expect(() =>
      parseConfig({ ...valid, MUSE_S3_ENDPOINT: 'not a url', MUSE_DYNAMODB_ENDPOINT: 'http://x' }),
    ).toThrow(/MUSE_S3_ENDPOINT must be an http\(s\) URL/);
  });

  it('refuses half a local configuration', () => {
    expect(() => parseConfig({ ...valid, MUSE_S3_ENDPOINT: 'http://127.0.0.1:2' })).toThrow(
      /set both MUSE_DYNAMODB_ENDPOINT and MUSE_S3_ENDPOINT/,
    );
  });
});
