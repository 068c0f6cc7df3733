import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The process-wide structured JSON logger (Powertools for AWS Lambda).
 * Level comes from `POWERTOOLS_LOG_LEVEL` (default `INFO`); tests set it to `SILENT`.
 */
export const logger = new Logger({ serviceName: 'muse' });
