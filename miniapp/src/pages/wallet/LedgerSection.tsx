// The user's ledger entries, newest first; trial credit marked.
import type { LedgerEntryView } from '@cocoon/shared';
import { useLedger } from '../../api/hooks';
import { QueryList } from '../../components/states';
import { Badge, Section } from '../../components/ui';
import { shortDate, tonText } from '../../format';

function LedgerRow({ entry: e }: { entry: LedgerEntryView }) {
  const negative = e.amountNano.startsWith('-');
  return (
    <li className="flex items-center justify-between gap-2 border-b border-separator py-2 last:border-0">
      <div className="min-w-0">
        <div className="flex items-center gap-1.5 truncate text-[15px]">
          {e.kind.replace(/_/g, ' ')}
          {e.trial && (
            <span data-testid="ledger-trial" title="Trial credit: pays for jobs only, can't be withdrawn">
              <Badge tone="off">trial</Badge>
            </span>
          )}
        </div>
        <div className="truncate text-[12px] text-hint">
          {shortDate(e.createdAt)}
          {e.memo ? ` · ${e.memo}` : ''}
        </div>
      </div>
      <span className={`shrink-0 text-[15px] tabular ${negative ? '' : 'text-ok'}`}>
        {negative ? '' : '+'}
        {tonText(e.amountNano)}
      </span>
    </li>
  );
}

export function LedgerSection() {
  const ledger = useLedger();
  return (
    <Section title="History" testId="ledger-section">
      <QueryList query={ledger} rows={3} items={(d) => d.entries} empty="No transactions yet.">
        {(entries) => (
          <ul data-testid="ledger">
            {entries.map((e) => (
              <LedgerRow key={`${e.txId}-${e.kind}-${e.trial ? 't' : 'u'}`} entry={e} />
            ))}
          </ul>
        )}
      </QueryList>
    </Section>
  );
}
