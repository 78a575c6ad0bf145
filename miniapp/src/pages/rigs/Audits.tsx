// The audits that concern a rig, as its owner reads them: verdicts, agreement and reasons.
import type { RigView } from '@cocoon/shared';
import { useState } from 'react';
import { errorMessage } from '../../api/errors';
import { useRigAudits } from '../../api/hooks';
import { Button } from '../../components/ui';

export function AuditList({ audits }: { audits: ReturnType<typeof useRigAudits> }) {
  if (audits.isPending) return <p className="pt-2 text-hint">Loading the audits…</p>;
  if (audits.error) return <p className="pt-2 text-destructive">{errorMessage(audits.error)}</p>;
  if (audits.data.audits.length === 0)
    return <p className="pt-2 text-hint">No audits yet: they come with jobs, drawn at random.</p>;
  return (
    <ul className="mt-2 space-y-1" data-testid="rig-audits">
      {audits.data.audits.map((a) => (
        <li key={`${a.jobId}-${a.round}-${a.role}`} className="text-[13px]">
          <span className="font-mono">{a.jobId.slice(0, 8)}</span>{' '}
          {a.role === 'auditor' ? 'as auditor, ' : ''}
          round {a.round}: <strong>{a.state}</strong>
          {a.agreement !== null && ` · ${Math.round(a.agreement * 1000) / 10} % agreed`}
          {a.reason && ` · ${a.reason}`}
        </li>
      ))}
    </ul>
  );
}

/** Any rig's audit history, on request. */
export function AuditHistory({ rig }: { rig: RigView }) {
  const [open, setOpen] = useState(false);
  const audits = useRigAudits(rig.id, open);
  if (rig.quarantine) return null; // the quarantine panel shows them
  return open ? (
    <AuditList audits={audits} />
  ) : (
    <Button
      variant="secondary"
      className="mt-2"
      data-testid="rig-audit-history"
      onClick={() => setOpen(true)}
    >
      Audit history
    </Button>
  );
}
