// Job history: model, state, cost and the rig that served it. A job waiting in the queue for a rig can be
// cancelled here: its hold goes back at once.
import type { JobView } from '@cocoon/shared';
import { useCancelJob, useMyJobs } from '../api/hooks';
import { PageHeader } from '../components/PageHeader';
import { QueryList } from '../components/states';
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

/** What a state is called here: a queued job is waiting for a rig. */
const STATE_LABEL: Partial<Record<JobView['state'], string>> = { queued: 'waiting for a rig' };

export function JobsPage() {
  const jobs = useMyJobs();
  const cancel = useCancelJob();
  return (
    <>
      <PageHeader title="Jobs" parent="/" />
      <Section title="History" testId="jobs">
        <QueryList
          query={jobs}
          rows={4}
          items={(d) => d.jobs}
          empty="No jobs yet. Run one in the Playground."
        >
          {(list) => (
            <ul>
              {list.map((j) => (
                <li key={j.id} data-testid="job-row" className="border-b border-separator py-2 last:border-0">
                  <div className="flex items-center justify-between gap-2">
                    <span className="truncate text-[15px] font-medium">
                      {j.kind} · {j.model}
                    </span>
                    <span className="flex items-center gap-2">
                      {j.state === 'queued' && (
                        <button
                          type="button"
                          data-testid="job-cancel"
                          className="text-[13px] text-link"
                          disabled={cancel.isPending}
                          onClick={() => cancel.mutate(j.id)}
                        >
                          Cancel
                        </button>
                      )}
                      <Badge tone={STATE_TONE[j.state]}>{STATE_LABEL[j.state] ?? j.state}</Badge>
                    </span>
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
        </QueryList>
      </Section>
    </>
  );
}
