import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import type { Api, UrlHandler } from './api.ts';

/** The part of the Lambda Node.js runtime's `awslambda` global Muse uses. */
interface AwsLambdaGlobal {
  streamifyResponse(
    handler: (
      event: LambdaFunctionURLEvent,
      responseStream: NodeJS.WritableStream,
      context: Context,
    ) => Promise<void>,
  ): unknown;
  HttpResponseStream: {
    from(
      stream: NodeJS.WritableStream,
      metadata: { statusCode: number; headers: Record<string, string> },
    ): NodeJS.WritableStream;
  };
}

/**
 * The Lambda handler of a function whose URL is in `RESPONSE_STREAM` invoke
 * mode: the API's streaming handler wrapped with the runtime's
 * `awslambda.streamifyResponse`, status and headers sent through
 * `HttpResponseStream.from`. Outside Lambda (no `awslambda.streamifyResponse`:
 * tests, scripts) it is the buffered handler; the local bridge calls
 * `api.streamHandler` itself.
 */
export function streamingLambdaHandler(api: Api): UrlHandler {
  // Some libraries create an empty `awslambda` object outside Lambda: check for the function.
  const runtime = (globalThis as { awslambda?: Partial<AwsLambdaGlobal> }).awslambda;
  if (typeof runtime?.streamifyResponse !== 'function' || !runtime.HttpResponseStream) {
    return api.handler;
  }
  const { streamifyResponse, HttpResponseStream } = runtime as AwsLambdaGlobal;
  return streamifyResponse(async (event, responseStream, context) => {
    let out: NodeJS.WritableStream | undefined;
    await api.streamHandler(
      event,
      {
        start(statusCode, headers) {
          out = HttpResponseStream.from(responseStream, { statusCode, headers });
        },
        write(chunk) {
          out?.write(chunk);
        },
        end() {
          out?.end();
        },
      },
      context,
    );
  }) as UrlHandler;
}
