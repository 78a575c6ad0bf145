// What a model runs, derived from shared's plaintext job body (schemas/envelope.ts), so a model input has the
// body's limits and no others. A chat job reaches a model as a generate input: its messages rendered into one
// prompt by the model's chat template (job-runner.ts), so models run two kinds of input.
import { generateJob, type JobKind, summarizeJob } from '@cocoon/shared';
import { z } from 'zod';

/** The kinds of input a model runs (a chat job runs as a generate input). */
export type ModelKind = Extract<JobKind, 'summarize' | 'generate'>;

export const summarizeInputSchema = summarizeJob;
/**
 * A generate body, except that its prompt may be a chat job's rendered messages (up to 500 of 200,000
 * characters each), longer than a generate body's prompt: the quote's inputTokens bounds it instead
 * (job-runner.ts checkPromptSize), and the model's context after that.
 */
export const generateInputSchema = generateJob.extend({ prompt: z.string() });

export const modelInputSchema = z.discriminatedUnion('kind', [summarizeInputSchema, generateInputSchema]);
export type ModelInput = z.infer<typeof modelInputSchema>;
