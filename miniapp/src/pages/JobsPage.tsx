// Job history: model, state, cost and the rig that served it.
import type { JobView } from '@cocoon/shared';
import { useMyJobs } from '../api/hooks';
import { PageHeader } from '../components/PageHeader';
import { QueryView } from '../components/states';
import { Badge, Section } from '../components/ui';
import { shortDate, tonText } from '../format';

const STATE_TONE: Record<JobView['state'], 'ok' | 'off' | 'warn' | 'info'> = {
  done: 'ok',
  failed: 'warn',
  expired: 'off',
  quoted: 'off',
  queued: 'info',
  running: 'info',
};

export function JobsPage() {
  const jobs = useMyJobs();
  return (
    <>
      <PageHeader title="Jobs" parent="/" />
      <Section title="History" testId="jobs">
        <QueryView
          query={jobs}
          rows={4}
          isEmpty={(d) => d.jobs.length === 0}
          empty="No jobs yet. Run one in the Playground."
        >
          {(d) => (
            <ul>
              {d.jobs.map((j) => (
                <li key={j.id} data-testid="job-row" className="border-b border-separator py-2 last:border-0">
                  <div className="flex items-center justify-between gap-2">
                    <span className="truncate text-[15px] font-medium">
                      {j.kind} · {j.model}
                    </span>
                    <Badge tone={STATE_TONE[j.state]}>{j.state}</Badge>
                  </div>
                  <div className="flex flex-wrap justify-between gap-x-3 text-[13px] text-hint tabular">
                    <span>{shortDate(j.createdAt)}</span>
                    <span>rig: {j.rigName ?? (j.rigId ? j.rigId.slice(0, 8) : '—')}</span>
                    <span>
                      {j.promptTokens !== null && j.completionTokens !== null
                        ? `${j.promptTokens}+${j.completionTokens} tok`
                        : ''}
                    </span>
                    <span className="text-text" data-testid="job-cost">
                      {j.costNano !== null ? tonText(j.costNano) : `hold ${tonText(j.holdNano)}`}
                    </span>
                  </div>
                  {j.failReason && <div className="text-[13px] text-destructive">{j.failReason}</div>}
                </li>
              ))}
            </ul>
          )}
        </QueryView>
      </Section>
    </>
  );
}
