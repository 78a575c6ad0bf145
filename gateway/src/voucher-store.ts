// The gateway's VoucherStore (shared/src/onchain/voucher-signer.ts): the last voucher this gateway's spend key
// signed, in a JSON file of its own (0600, in a 0700 folder), replaced atomically (write a temporary file,
// fsync, rename), so a crash mid-write leaves the old voucher or the new one, never half of one. The signer
// compares it with what the proxy says was signed so far, so a proxy can't make the gateway sign past it.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { LastVoucher, VoucherStore } from '@cocoon/shared';
import { z } from 'zod';

const stored = z.object({
  amountNano: z.string().regex(/^\d+$/),
  seq: z.string().regex(/^\d+$/),
});

export class VoucherStoreError extends Error {
  override name = 'VoucherStoreError';
}

export function fileVoucherStore(file: string): VoucherStore {
  return {
    get(): LastVoucher | null {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const v = stored.safeParse(json);
      // Never start over silently: an unreadable store would let the proxy name any starting point.
      if (!v.success)
        throw new VoucherStoreError(
          `the voucher store ${file} is not readable JSON {"amountNano","seq"}: fix it or move it away ` +
            '(only if you are sure the proxy has what you signed)',
        );
      return { amountNano: BigInt(v.data.amountNano), seq: BigInt(v.data.seq) };
    },
    set(v: LastVoucher): void {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify({ amountNano: v.amountNano.toString(), seq: v.seq.toString() })}\n`);
        fsyncSync(fd);
      } catch (err) {
        closeSync(fd);
        rmSync(tmp, { force: true });
        throw err;
      }
      closeSync(fd);
      renameSync(tmp, file);
    },
  };
}
