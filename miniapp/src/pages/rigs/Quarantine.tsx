// A rig an audit found wrong (or an auditor outvoted) is off the market until its owner has seen why: the
// evidence (each verdict, its agreement and reason) and a button to put it back.
import type { RigView } from '@cocoon/shared';
import { useState } from 'react';
import { useReleaseRig, useRigAudits } from '../../api/hooks';
import { Button } from '../../components/ui';
import { shortDate } from '../../format';
import { AuditList } from './Audits';

export function Quarantine({ rig }: { rig: RigView }) {
  const [open, setOpen] = useState(false);
  const audits = useRigAudits(rig.id, open);
  const release = useReleaseRig();
  if (!rig.quarantine) return null;
  const seen = open && audits.isSuccess;
  return (
    <div
      role="alert"
      className="mt-3 rounded-md border border-destructive/40 p-3 text-[14px]"
      data-testid="rig-quarantine"
    >
      <p className="font-medium text-destructive">Off the market since {shortDate(rig.quarantine.since)}</p>
      <p className="pt-1">{rig.quarantine.reason}</p>
      <p className="pt-1 text-hint">
        Its unaudited jobs since its last passed audit were refunded to their users. Check the rig runs the
        catalogued model files unmodified before you put it back.
      </p>
      {!open ? (
        <Button variant="secondary" className="mt-2" data-testid="rig-evidence" onClick={() => setOpen(true)}>
          See the evidence
        </Button>
      ) : (
        <AuditList audits={audits} />
      )}
      {seen && (
        <Button
          variant="secondary"
          className="mt-2"
          data-testid="rig-release"
          busy={release.isPending}
          onClick={() => release.mutate(rig.id)}
        >
          I've seen it: back on the market
        </Button>
      )}
    </div>
  );
}
