import type { CopyResponse } from '#lib/copy/writeCopy.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';

/** A copy response, or the error body of a 4xx. */
export type GenerateBody = CopyResponse & {
  error?: { message: string; issues?: Array<{ path: string }> };
};

/** The generate function served by the local bridge, and a way to post to it. */
export interface GenerateBridge {
  bridge: Bridge;
  post(body: unknown): Promise<{ status: number; body: GenerateBody }>;
}

/**
 * Serves `functions/generate.ts` on a free port (the model comes from the
 * environment the test file set before calling this).
 */
export async function startGenerateBridge(): Promise<GenerateBridge> {
  const bridge = await startBridge({
    port: 0,
    functions: { generate: () => import('#functions/generate.ts') },
  });
  return {
    bridge,
    post: async (body) => {
      const res = await fetch(`${bridge.url}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as GenerateBody };
    },
  };
}
