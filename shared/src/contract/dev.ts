// Dev routes: signed initData for the mocked Telegram environment (local mode), and the sandbox chain's
// wallets and faucet (the sandbox chain only; production refuses that chain).
import { z } from 'zod';
import { nanoString } from '../schemas/common';
import { route } from './route';

/** A TON address, raw (`0:<hex>`) or user-friendly (base64url); the proxy parses it fully. */
export const tonAddress = z
  .string()
  .regex(/^(-?\d{1,3}:[0-9a-fA-F]{64}|[A-Za-z0-9_+/-]{48})$/, 'must be a TON address');

/** An amount in nanoTON: the digit-string rule, or a JSON integer (dev routes only), as a bigint. */
const looseNano = z.union([nanoString, z.number().int().nonnegative()]).transform((v) => BigInt(v));

export const sandboxWalletParams = z.object({ id: z.string().min(1).max(100) });

export const sandboxWalletView = z.strictObject({
  id: z.string(),
  address: z.string(),
  publicKey: z.string(),
  stateInit: z.string(),
  balanceNano: nanoString,
});

export const devRoutes = {
  initData: route({
    method: 'POST',
    path: '/dev/init-data',
    request: {
      body: z.object({
        telegramId: z.number().int().positive(),
        firstName: z.string().min(1).max(64).default('Local'),
      }),
    },
    response: z.strictObject({ initData: z.string() }),
  }),
  /** 201 with a fresh funded wallet; 200 with the one named by `id` when the chain still knows it. */
  createSandboxWallet: route({
    method: 'POST',
    path: '/dev/sandbox-wallet',
    request: { body: z.object({ id: z.string().min(1).max(100).optional() }) },
    response: sandboxWalletView,
    status: [200, 201],
  }),
  sandboxTonProof: route({
    method: 'POST',
    path: '/dev/sandbox-wallet/:id/ton-proof',
    request: {
      params: sandboxWalletParams,
      body: z.object({ domain: z.string().min(1).max(253), payload: z.string().min(1).max(512) }),
    },
    response: z.strictObject({
      timestamp: z.number().int(),
      domain: z.strictObject({ lengthBytes: z.number().int(), value: z.string() }),
      payload: z.string(),
      signature: z.string(),
      state_init: z.string().optional(),
    }),
  }),
  sandboxSend: route({
    method: 'POST',
    path: '/dev/sandbox-wallet/:id/send',
    request: {
      params: sandboxWalletParams,
      body: z.object({
        messages: z
          .array(
            z.object({
              address: tonAddress,
              amount: looseNano,
              payload: z.string().max(8192).optional(),
              stateInit: z.string().max(16384).optional(),
            }),
          )
          .min(1)
          .max(4),
      }),
    },
    response: z.strictObject({ boc: z.string() }),
  }),
  faucet: route({
    method: 'POST',
    path: '/dev/faucet',
    request: { body: z.object({ address: tonAddress, amountNano: looseNano }) },
    response: z.strictObject({ ok: z.literal(true), balanceNano: nanoString }),
  }),
} as const;
