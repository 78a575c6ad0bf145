// The client's side of on-chain accounts: after a job paid from the user's account contract is done, the
// user's spend key signs the next cumulative voucher, for exactly what was signed before plus what the job
// cost. The client checks what the proxy asks it to sign: the job is this one, its due is no more than the
// job's cost, and the cumulative amount follows the last voucher this client signed (kept in `store`), so a
// proxy can't slip in more than the job cost. The contract then lets the vault claim no more than signed.
// The voucher code is imported on first use (the Mini App loads it only for an on-chain account).
import { toBase64 } from '../bytes';
import type { OnchainAccountView, OnchainConfig } from '../contract';

export interface LastVoucher {
  amountNano: bigint;
  seq: bigint;
}

/** Where a client keeps the last voucher it signed (the Mini App: localStorage; the gateway: a file). */
export interface VoucherStore {
  get(): LastVoucher | null | Promise<LastVoucher | null>;
  set(v: LastVoucher): void | Promise<void>;
}

export function memoryVoucherStore(): VoucherStore {
  let last: LastVoucher | null = null;
  return {
    get: () => last,
    set: (v) => {
      last = v;
    },
  };
}

export interface SpendKeyOptions {
  /** The spend key's 32-byte Ed25519 seed (what the owner authorized on chain; never leaves the client). */
  seed: Uint8Array;
  store?: VoucherStore;
}

export class VoucherRefused extends Error {
  override name = 'VoucherRefused';
}

/**
 * Signs the voucher the proxy asks for after `jobId`, or explains why not. Returns the request body for
 * POST /v1/jobs/:id/voucher, or null when the job owes none (paid by trial credit, or not on chain).
 */
export async function signJobVoucher(a: {
  key: SpendKeyOptions;
  config: OnchainConfig;
  account: OnchainAccountView;
  jobId: string;
  jobCostNano: bigint;
}): Promise<{ amountNano: string; seq: string; signature: string } | null> {
  const due = a.account.voucherDue;
  if (!due || due.jobId !== a.jobId) return null;
  if (!a.config.vault || !a.account.account)
    throw new VoucherRefused('the network has no vault for vouchers');
  const dueNano = BigInt(due.amountNano);
  if (dueNano > a.jobCostNano)
    throw new VoucherRefused(`the proxy asks ${dueNano} nanoTON for a job that cost ${a.jobCostNano}`);
  const prev = { amountNano: BigInt(a.account.voucheredNano), seq: BigInt(a.account.voucherSeq) };
  const mine = await a.key.store?.get();
  if (mine && (mine.amountNano !== prev.amountNano || mine.seq !== prev.seq))
    throw new VoucherRefused(
      `the proxy says ${prev.amountNano} nanoTON were signed for so far (seq ${prev.seq}); this client signed ${mine.amountNano} (seq ${mine.seq})`,
    );
  const next = { amountNano: prev.amountNano + dueNano, seq: prev.seq + 1n };
  const [{ signSpendVoucher }, { Address }, { keyPairFromSeed }] = await Promise.all([
    import('@cocoon/contracts/client'),
    import('@ton/core'),
    import('@ton/crypto'),
  ]);
  const keys = keyPairFromSeed(Buffer.from(a.key.seed));
  const signature = signSpendVoucher(
    {
      vault: Address.parse(a.config.vault),
      account: Address.parse(a.account.account.address),
      amount: next.amountNano,
      seq: next.seq,
    },
    keys.secretKey,
  );
  await a.key.store?.set(next);
  return { amountNano: next.amountNano.toString(), seq: next.seq.toString(), signature: toBase64(signature) };
}

/** The public half of a spend key seed, as the account contract stores it (hex). */
export async function spendPublicKeyHex(seed: Uint8Array): Promise<string> {
  const { keyPairFromSeed } = await import('@ton/crypto');
  return Buffer.from(keyPairFromSeed(Buffer.from(seed)).publicKey).toString('hex');
}
