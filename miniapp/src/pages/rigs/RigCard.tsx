// One rig as its owner sees it: status and trust tier, figures, evidence, audits, bond, asks and controls.
import type { RigView } from '@cocoon/shared';
import { Badge, Section } from '../../components/ui';
import { AuditHistory } from './Audits';
import { Bond } from './Bond';
import { Evidence, TierBadge } from './Evidence';
import { History } from './History';
import { Quarantine } from './Quarantine';
import { RigControls } from './RigControls';
import { RigStats, StarsHeld } from './RigStats';

function RigStatus({ rig }: { rig: RigView }) {
  if (rig.revoked) return <Badge tone="warn">revoked</Badge>;
  if (rig.quarantine) return <Badge tone="warn">quarantined</Badge>;
  if (rig.paused) return <Badge tone="off">paused</Badge>;
  return rig.online ? <Badge tone="ok">online</Badge> : <Badge tone="off">offline</Badge>;
}

export function RigCard({ rig, onToken }: { rig: RigView; onToken: (name: string, token: string) => void }) {
  return (
    <Section
      title={rig.name}
      testId={`rig-${rig.id}`}
      aside={
        <span className="flex gap-1">
          <span data-testid="rig-tier">
            <TierBadge tier={rig.trust.tier} />
          </span>
          <span data-testid="rig-status">
            <RigStatus rig={rig} />
          </span>
        </span>
      }
    >
      <RigStats rig={rig} />
      <StarsHeld rig={rig} />
      <Evidence rig={rig} />
      <Quarantine rig={rig} />
      <History rig={rig} />
      <AuditHistory rig={rig} />
      {!rig.revoked && <Bond rig={rig} />}
      {rig.fingerprint && (
        <p className="mt-2 truncate font-mono text-[12px] text-hint">key {rig.fingerprint}</p>
      )}
      {!rig.revoked && <RigControls rig={rig} onToken={onToken} />}
    </Section>
  );
}
