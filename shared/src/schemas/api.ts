// HTTP request bodies (zod, validated by the proxy) and response shapes (types, amounts as digit strings).
import { z } from 'zod';
import { jobKind, modelId, priceNanoPer1k } from './common';
import { type sealedBox, sealedEnvelope } from './envelope';

export const quoteRequest = z.object({
  model: modelId,
  kind: jobKind,
  /** An upper bound on prompt tokens; the rig refuses a prompt longer than this. */
  inputTokens: z.number().int().nonnegative().max(1_000_000),
  maxTokens: z.number().int().positive().max(100_000),
  /** The most the client pays per 1,000 tokens to the rig (before the fee). */
  maxPriceNanoPer1k: priceNanoPer1k.optional(),
});
export type QuoteRequest = z.input<typeof quoteRequest>;

export const submitJobRequest = z.object({
  quoteId: z.string().uuid(),
  envelope: sealedEnvelope,
  idempotencyKey: z.string().min(8).max(128),
});
export type SubmitJobRequest = z.input<typeof submitJobRequest>;

export const registerRigRequest = z.object({ name: z.string().trim().min(1).max(64) });
export const updateRigRequest = z.object({ paused: z.boolean() });
export const setAskRequest = z.object({ priceNanoPer1k });
export const createApiKeyRequest = z.object({ name: z.string().trim().min(1).max(64) });

export const withdrawalRequest = z.object({
  amountNano: z.string().regex(/^\d{1,30}$/, 'must be a whole number of nanoTON as a string'),
  idempotencyKey: z.string().min(8).max(128),
});
export const tonProofRequest = z.object({
  address: z.string().min(48).max(80),
  network: z.string().regex(/^-?\d+$/),
  public_key: z.string().optional(),
  proof: z.object({
    timestamp: z.number().int(),
    domain: z.object({ lengthBytes: z.number().int(), value: z.string().max(256) }),
    payload: z.string().max(256),
    signature: z.string().max(200),
    state_init: z.string().max(10_000).optional(),
  }),
});

// ---- responses ----

export interface Candidate {
  rigId: string;
  priceNanoPer1k: string;
  x25519PublicKey: string;
  ed25519PublicKey: string;
  device: 'cuda' | 'cpu';
}

export interface QuoteResponse {
  quoteId: string;
  model: string;
  kind: z.infer<typeof jobKind>;
  holdNano: string;
  feeBps: number;
  expiresAt: string;
  candidates: Candidate[];
}

export type JobState = 'quoted' | 'queued' | 'running' | 'done' | 'failed' | 'expired';

export interface JobView {
  id: string;
  model: string;
  kind: z.infer<typeof jobKind>;
  state: JobState;
  rigId: string | null;
  rigName: string | null;
  attempts: number;
  holdNano: string;
  costNano: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  failReason: string | null;
  createdAt: string;
  finishedAt: string | null;
  result: z.infer<typeof sealedBox> | null;
}

/** Server-sent events on GET /v1/jobs/:id/events. */
export type JobEvent =
  | { type: 'state'; state: JobState; rigId: string | null; attempt: number }
  | { type: 'chunk'; rigId: string; attempt: number; seq: number; sealed: z.infer<typeof sealedBox> }
  | {
      type: 'done';
      rigId: string;
      result: z.infer<typeof sealedBox>;
      costNano: string;
      promptTokens: number;
      completionTokens: number;
    }
  | { type: 'failed'; reason: string };

export interface MeView {
  telegramId: string;
  name: string;
  /** What the user can spend on jobs: withdrawableNano + trialNano. */
  balanceNano: string;
  /** The user's own money (deposits, earnings paid from others' own money): can be withdrawn. */
  withdrawableNano: string;
  /** Trial credit, and earnings paid from others' trial credit: spendable on jobs, never withdrawable. */
  trialNano: string;
  heldNano: string;
  depositMemo: string;
  /** Where withdrawals go. */
  wallet: string | null;
  /** A wallet change waiting out its cooling-off period, and when it takes effect (ISO). */
  pendingWallet: string | null;
  pendingWalletAt: string | null;
}

export interface LedgerEntryView {
  txId: string;
  kind: string;
  /** An entry of the trial-credit account (spendable on jobs only). */
  trial: boolean;
  amountNano: string;
  memo: string | null;
  createdAt: string;
}

export interface RigView {
  id: string;
  name: string;
  online: boolean;
  paused: boolean;
  revoked: boolean;
  device: 'cuda' | 'cpu' | null;
  slots: number;
  running: number;
  models: Array<{ id: string; priceNanoPer1k: string; demoGrade: boolean }>;
  jobsDone: number;
  jobsFailed: number;
  successRate: number | null;
  avgJobMs: number | null;
  earningsNano: string;
  fingerprint: string | null;
  lastSeenAt: string | null;
}

export interface MarketView {
  feeBps: number;
  models: Array<{
    model: string;
    demoGrade: boolean;
    asks: Array<{ priceNanoPer1k: string; rigs: number; freeSlots: number }>;
    recentFills: Array<{ priceNanoPer1k: string; tokens: number; at: string }>;
    median24hNanoPer1k: string | null;
  }>;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}
