// The user's withdrawals and their states, with the payouts CSV.
import { PAYOUTS_CSV_PATH } from '@cocoon/shared';
import { useWithdrawals } from '../../api/hooks';
import { CsvDownload } from '../../components/CsvDownload';
import { QueryList } from '../../components/states';
import { Badge, Section } from '../../components/ui';
import { shortDate, tonText } from '../../format';

const WITHDRAWAL_TONE: Record<string, 'ok' | 'off' | 'warn' | 'info'> = {
  pending: 'info',
  sent: 'info',
  confirmed: 'ok',
  failed: 'warn',
};

export function WithdrawalsSection() {
  const withdrawals = useWithdrawals(10_000);
  return (
    <Section
      title="Withdrawals"
      testId="withdrawals"
      aside={
        <CsvDownload path={PAYOUTS_CSV_PATH} filename="cocoon-payouts.csv" label="CSV" testId="payouts-csv" />
      }
    >
      <QueryList query={withdrawals} rows={2} items={(d) => d.withdrawals} empty="No withdrawals yet.">
        {(list) => (
          <ul>
            {list.map((w) => (
              <li
                key={w.id}
                className="flex items-center justify-between gap-2 border-b border-separator py-2 last:border-0"
              >
                <span className="text-[15px] tabular">{tonText(w.amountNano)}</span>
                <span className="text-[13px] text-hint">{shortDate(w.createdAt)}</span>
                <Badge tone={WITHDRAWAL_TONE[w.status] ?? 'off'}>{w.status}</Badge>
              </li>
            ))}
          </ul>
        )}
      </QueryList>
    </Section>
  );
}
