// Leaving the on-chain account without the proxy: `close`, the close delay, then `withdraw` of what is unclaimed.
import type { OnchainAccountView, OnchainConfig } from '@cocoon/shared';
import { Badge, Button } from '../components/ui';
import { shortDate } from '../format';
import { delayText } from './delay';

/** The exit, for any wallet (and `npm run exit`): what to send, and when. */
export function ExitInstructions({ address, closeDelayS }: { address: string; closeDelayS: number }) {
  return (
    <div className="pt-2 text-[13px] text-hint" data-testid="onchain-exit-instructions">
      <p>
        Without this app or the proxy, from any wallet: send 0.05 TON to{' '}
        <span className="break-all font-mono" title={address}>
          {address}
        </span>{' '}
        with the comment <code>close</code>; wait {delayText(closeDelayS)}; then send 0.05 TON with the
        comment <code>withdraw</code>. Only the wallet that owns the account can do it; everything not signed
        for comes back to that wallet. Or run <code>npm run exit</code> from the Cocoon repository with your
        wallet's mnemonic and a TON endpoint.
      </p>
    </div>
  );
}

/** When the exit's `withdraw` is accepted: `close` + the close delay. */
export function withdrawAt(account: { closeRequestedAt: string | null }, closeDelayS: number): Date | null {
  if (!account.closeRequestedAt) return null;
  return new Date(Date.parse(account.closeRequestedAt) + closeDelayS * 1000);
}

function ExitState({ exitAt, closeDelayS }: { exitAt: Date | null; closeDelayS: number }) {
  const ready = exitAt !== null && exitAt.getTime() <= Date.now();
  if (!exitAt)
    return (
      <p className="text-[13px] text-hint">
        Closing stops the account after {delayText(closeDelayS)}; then withdraw takes what is unclaimed back
        to your wallet.
      </p>
    );
  return (
    <p className="text-[13px] text-hint" data-testid="onchain-withdraw-at" data-at={exitAt.toISOString()}>
      {ready
        ? 'The close delay is over: withdraw what is unclaimed to your wallet.'
        : `Withdraw possible at ${shortDate(exitAt.toISOString())}. Until then the operator may still claim the last voucher you signed, and nothing more.`}
    </p>
  );
}

export function ExitPanel({
  account,
  config,
  busy,
  exit,
}: {
  account: NonNullable<OnchainAccountView['account']>;
  config: OnchainConfig;
  busy: boolean;
  exit: (which: 'close' | 'withdraw') => Promise<void>;
}) {
  const exitAt = withdrawAt(account, config.closeDelayS);
  const exitReady = exitAt !== null && exitAt.getTime() <= Date.now();
  return (
    <div className="mt-3 border-t border-separator pt-2" data-testid="onchain-exit">
      <div className="flex items-center justify-between gap-2">
        <span className="text-[15px]">Exit</span>
        {exitAt ? (
          <Badge tone={exitReady ? 'ok' : 'warn'}>{exitReady ? 'withdraw open' : 'closing'}</Badge>
        ) : null}
      </div>
      <ExitState exitAt={exitAt} closeDelayS={config.closeDelayS} />
      <div className="flex gap-2 pt-1">
        <Button
          variant="danger"
          data-testid="onchain-close"
          busy={busy}
          disabled={exitAt !== null}
          onClick={() => void exit('close')}
        >
          Close account
        </Button>
        <Button
          variant="secondary"
          data-testid="onchain-withdraw"
          busy={busy}
          disabled={!exitReady}
          onClick={() => void exit('withdraw')}
        >
          Withdraw
        </Button>
      </div>
      <ExitInstructions address={account.address} closeDelayS={config.closeDelayS} />
    </div>
  );
}
