import { describeIssues } from '@cocoon/shared';
import type { z } from 'zod';
import { badRequest } from '../errors';

/** Validates a request part with zod; a failure is a 400 naming each field and its problem. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw badRequest(describeIssues(r.error), 'invalid_request');
  return r.data;
}
