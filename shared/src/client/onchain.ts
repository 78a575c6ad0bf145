// The on-chain account routes (the job vouchers are signed by run-job.ts).
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { ClientHttp } from './http';

export function onchainMethods({ call }: ClientHttp) {
  return {
    onchainConfig: () => call(CONTRACT.onchainConfig),
    onchainAccount: () => call(CONTRACT.onchainAccount),
    registerOnchain: () => call(CONTRACT.registerOnchain),
    onchainPayout: (amountNano: bigint) =>
      call(CONTRACT.onchainPayout, { body: { amountNano: amountNano.toString() } }),
  };
}
