// Home: balance (what is withdrawable, what is trial credit and what is Stars credit, apart), and the ways in.
import { useMe } from '../api/hooks';
import { PageHeader } from '../components/PageHeader';
import { ErrorState } from '../components/states';
import { Section, Skeleton } from '../components/ui';
import { tonText } from '../format';
import { BalanceKind } from '../onchain-accounts/BalanceKind';
import { navigate } from '../router/hash-router';
import { availableForJobsNano, StarsCredit } from '../stars/StarsCredit';

const ACTIONS = [
  {
    path: '/play',
    label: 'Try a model',
    note: 'Summarize or generate, end-to-end encrypted',
    testId: 'action-play',
  },
  {
    path: '/wallet',
    label: 'Add credit',
    note: 'Buy with Telegram Stars, or deposit TON',
    testId: 'action-deposit',
  },
  { path: '/rigs', label: 'Sell GPU time', note: 'Register a rig and set your price', testId: 'action-rigs' },
  { path: '/market', label: 'Market prices', note: 'Asks, fills and price history', testId: 'action-market' },
  {
    path: '/jobs',
    label: 'Job history',
    note: 'What you ran, on which rig, for how much',
    testId: 'action-jobs',
  },
  { path: '/settings', label: 'API keys', note: 'Use Cocoon from your own apps', testId: 'action-api-keys' },
];

export function HomePage() {
  const me = useMe();
  const trial = me.data ? BigInt(me.data.trialNano) : 0n;
  return (
    <>
      <PageHeader title={me.data ? `Hi, ${me.data.name}` : 'Cocoon'} />
      <Section title="Balance" testId="balance-card">
        {me.isError ? (
          <ErrorState error={me.error} onRetry={() => void me.refetch()} testId="balance-error" />
        ) : (
          <div className="flex flex-col gap-1">
            <div className="min-h-9 text-[30px] font-bold leading-9 tabular" data-testid="balance">
              {me.data ? tonText(availableForJobsNano(me.data)) : <Skeleton className="h-8 w-40" />}
            </div>
            <div className="min-h-10 text-[13px] text-hint tabular">
              {me.data && (
                <>
                  <div data-testid="withdrawable">Withdrawable: {tonText(me.data.withdrawableNano)}</div>
                  {trial > 0n && (
                    <div data-testid="trial-credit">Trial credit: {tonText(trial)} · jobs only</div>
                  )}
                  <StarsCredit me={me.data} />
                  <div data-testid="held">Held for running jobs: {tonText(me.data.heldNano)}</div>
                </>
              )}
            </div>
            {me.data && <BalanceKind me={me.data} />}
          </div>
        )}
      </Section>
      <Section title="Quick actions">
        <ul className="-my-1">
          {ACTIONS.map((a) => (
            <li key={a.path} className="border-b border-separator last:border-0">
              <button
                type="button"
                data-testid={a.testId}
                onClick={() => navigate(a.path)}
                className="flex w-full items-center justify-between gap-2 py-2.5 text-left"
              >
                <span className="min-w-0">
                  <span className="block text-[16px]">{a.label}</span>
                  <span className="block truncate text-[13px] text-hint">{a.note}</span>
                </span>
                <span aria-hidden="true" className="text-hint">
                  ›
                </span>
              </button>
            </li>
          ))}
        </ul>
      </Section>
      <p className="px-4 text-center text-[12px] text-hint">
        Prompts are sealed on this device; the proxy only routes ciphertext.
      </p>
    </>
  );
}
