import type { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors.ts';

/**
 * Turns zod issues into {@link FieldIssue}s with dotted paths. An unknown key
 * becomes an issue at the key's own path (`filters.colour: unknown field`),
 * not at its parent object, so the client sees which field to remove; a
 * snake_case key is answered with its camelCase name (`max_new_tokens` →
 * `maxNewTokens`), the API's convention.
 */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...path, key].join('.'),
        message: /_/.test(key)
          ? `unknown field (fields are camelCase: ${key.replace(/_+([a-z0-9])/g, (_m, c: string) => c.toUpperCase())})`
          : 'unknown field',
      }));
    }
    return [{ path: path.join('.'), message: issue.message }];
  });
}

/**
 * Validates `value` against `schema`, throwing a {@link ValidationError} that
 * lists every offending field path.
 *
 * @example
 * ```ts
 * const body = validate(GenerateRequest, json, 'request body');
 * ```
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = toFieldIssues(parsed.error);
  const summary = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
  throw new ValidationError(`Invalid ${what}: ${summary}`, { issues, cause: parsed.error });
}
