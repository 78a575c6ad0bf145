// What an owner decides by: earnings by day over 30 days, how many offered jobs it ran, and how many of the
// last day's jobs other asks would have won.
import type { RigHistoryView, RigView } from '@cocoon/shared';
import { Suspense, useState } from 'react';
import { errorMessage } from '../../api/errors';
import { useRigHistory } from '../../api/hooks';
import { LineChart } from '../../components/lazy-charts';
import { Button, Skeleton } from '../../components/ui';
import { percent, tonText } from '../../format';

function AskEstimate({ h }: { h: RigHistoryView }) {
  if (h.askEstimate.length === 0) return null;
  return (
    <table className="mt-1 w-full tabular" data-testid="rig-ask-estimate">
      <thead>
        <tr className="text-left text-[12px] text-hint">
          <th className="font-normal">At an ask of (TON / 1k)</th>
          <th className="text-right font-normal">it would have won, of {h.jobsLastDay}</th>
        </tr>
      </thead>
      <tbody>
        {h.askEstimate.map((e) => (
          <tr key={e.askNanoPer1k} className="border-t border-separator">
            <td className="py-0.5">{tonText(e.askNanoPer1k, '')}</td>
            <td className="py-0.5 text-right">{e.jobsWon}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function HistoryView({ rig, h }: { rig: RigView; h: RigHistoryView }) {
  const total = h.days.reduce((n, d) => n + BigInt(d.earningsNano), 0n);
  const jobs = h.days.reduce((n, d) => n + d.jobs, 0);
  const tokens = h.days.reduce((n, d) => n + d.tokens, 0);
  return (
    <div className="mt-3 text-[13px]" data-testid="rig-history">
      <h3 className="font-medium text-hint">Last 30 days</h3>
      <p className="pt-1 tabular">
        {jobs} jobs · {tokens} tokens · {tonText(total.toString())} earned
      </p>
      <div className="h-[120px]">
        <Suspense fallback={<Skeleton className="h-[120px] w-full" />}>
          <LineChart
            points={h.days.map((d) => ({ t: Date.parse(d.day), v: Number(BigInt(d.earningsNano)) }))}
            label={`${rig.name} earnings by day`}
            testId="rig-earnings-by-day"
          />
        </Suspense>
      </div>
      <p className="pt-1" data-testid="rig-fill">
        Last 24 h: ran {h.fill.ran} of the {h.fill.offered} jobs it was offered
        {h.fill.offered ? ` (${percent(h.fill.ran / h.fill.offered)})` : ''}.
      </p>
      <AskEstimate h={h} />
    </div>
  );
}

export function History({ rig }: { rig: RigView }) {
  const [open, setOpen] = useState(false);
  const history = useRigHistory(rig.id, open);
  if (!open)
    return (
      <Button
        variant="secondary"
        className="mt-2"
        data-testid="rig-history-open"
        onClick={() => setOpen(true)}
      >
        Last 30 days
      </Button>
    );
  if (history.isPending) return <p className="pt-2 text-hint">Loading its history…</p>;
  if (history.error) return <p className="pt-2 text-destructive">{errorMessage(history.error)}</p>;
  return <HistoryView rig={rig} h={history.data} />;
}
