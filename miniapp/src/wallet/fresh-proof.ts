// A fresh ton_proof from the bound wallet, which the proxy wants with a large withdrawal. TON Connect asks a
// wallet for ton_proof only when it connects, so: fetch a payload (issued to this user, single-use), make it
// the connect request, disconnect the wallet and connect it again; its proof comes back with the connect
// event and goes out as the same body binding sends (proofRequestFor).
//
// The binding hook (useTonProofBinding) also listens for connections. It must not post this proof as a
// re-bind: that would spend the single-use payload before the withdrawal can. So the payloads asked for here
// are reserved (isReservedProofPayload), and while a proof is being asked for the binding hook doesn't replace
// the connect request (proofRequestActive); when the asking ends it refreshes its own (onProofRequestEnd).
import type { TonProofRequest } from '@cocoon/shared';
import { type ProvenWallet, proofPayloadOf, proofRequestFor } from './proof-request';

const reserved = new Set<string>();
const endListeners = new Set<() => void>();
let active = 0;

/** True for a payload asked for a withdrawal proof: the binding hook leaves such connections alone. */
export function isReservedProofPayload(payload: string | null): boolean {
  return payload !== null && reserved.has(payload);
}

/** True while a withdrawal proof is being asked for (the connect request is that one's). */
export function proofRequestActive(): boolean {
  return active > 0;
}

/** Called whenever asking for a withdrawal proof ends (with a proof or not). */
export function onProofRequestEnd(listener: () => void): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

/** The part of TonConnectUI this uses (so tests can pass a fake). */
export interface ProofUI {
  readonly connected: boolean;
  readonly wallet: { device: { appName: string } } | null;
  setConnectRequestParameters(p: { state: 'ready'; value: { tonProof: string } }): void;
  disconnect(): Promise<void>;
  openModal(): Promise<void>;
  onStatusChange(cb: (wallet: unknown) => void, onError?: (err: unknown) => void): () => void;
  onModalStateChange(cb: (state: { status: string; closeReason: string | null }) => void): () => void;
}

export class ProofCancelledError extends Error {
  constructor() {
    super('The wallet was not reconnected, so the withdrawal was not sent.');
    this.name = 'ProofCancelledError';
  }
}

export interface FreshProofOptions {
  /**
   * Connects the local sandbox wallet directly with this connect request (local mode only: TON Connect UI's
   * phone-width modal can't list it). Used when the previous wallet was the sandbox wallet, or none was
   * connected. Undefined: always the modal.
   */
  connectSandbox?: (payload: string) => void;
  /** The sandbox wallet's TON Connect app name, to recognise it as the previous wallet. */
  sandboxAppName?: string;
  timeoutMs?: number;
}

/** Reconnects the wallet with `payload` as the ton_proof payload; answers the proof request body. */
export async function requestFreshProof(
  ui: ProofUI,
  payload: string,
  opts: FreshProofOptions = {},
): Promise<TonProofRequest> {
  const previousApp = ui.wallet?.device.appName ?? null;
  const viaSandbox =
    opts.connectSandbox !== undefined && (previousApp === null || previousApp === opts.sandboxAppName);
  reserved.add(payload);
  active++;
  try {
    return await new Promise<TonProofRequest>((resolve, reject) => {
      const offs: Array<() => void> = [];
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const off of offs) off();
        fn();
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error('The wallet did not answer in time; try again.'))),
        opts.timeoutMs ?? 5 * 60_000,
      );
      let reconnecting = false;
      offs.push(
        ui.onStatusChange(
          (w) => {
            if (!w || !reconnecting) return;
            const wallet = w as ProvenWallet;
            const body = proofPayloadOf(wallet) === payload ? proofRequestFor(wallet) : null;
            if (body) finish(() => resolve(body));
            else
              finish(() =>
                reject(
                  new Error('The wallet connected without a proof of ownership; reconnect it to confirm.'),
                ),
              );
          },
          (err) => finish(() => reject(err)),
        ),
        ui.onModalStateChange((s) => {
          if (s.status === 'closed' && s.closeReason === 'action-cancelled')
            finish(() => reject(new ProofCancelledError()));
        }),
      );
      (async () => {
        ui.setConnectRequestParameters({ state: 'ready', value: { tonProof: payload } });
        if (ui.connected) await ui.disconnect();
        reconnecting = true;
        if (viaSandbox) opts.connectSandbox?.(payload);
        else await ui.openModal();
      })().catch((err) => finish(() => reject(err)));
    });
  } finally {
    active--;
    for (const l of endListeners) l();
  }
}
