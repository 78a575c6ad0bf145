// A live rig's asks and its owner's controls: pause or resume, its jobs as CSV, rotate or revoke its token.
import { RIG_JOBS_CSV_PATH, type RigView } from '@cocoon/shared';
import { errorMessage } from '../../api/errors';
import { useRevokeRig, useRotateRigToken, useSetRigPaused } from '../../api/hooks';
import { CsvDownload } from '../../components/CsvDownload';
import { Button } from '../../components/ui';
import { haptic } from '../../telegram/ui';
import { AskEditor } from './AskEditor';

function Asks({ rig }: { rig: RigView }) {
  return (
    <>
      <h3 className="mt-3 text-[13px] font-medium text-hint">Asks</h3>
      {rig.models.length === 0 ? (
        <p className="text-[14px] text-hint">The rig reports its models when its worker connects.</p>
      ) : (
        rig.models.map((m) => <AskEditor key={m.id} rig={rig} model={m} />)
      )}
    </>
  );
}

export function RigControls({
  rig,
  onToken,
}: {
  rig: RigView;
  onToken: (name: string, token: string) => void;
}) {
  const paused = useSetRigPaused();
  const rotate = useRotateRigToken();
  const revoke = useRevokeRig();
  const busyError = paused.error ?? rotate.error ?? revoke.error;
  const rotateToken = () => {
    if (!confirm(`Rotate the token of ${rig.name}? Its worker must restart with the new one.`)) return;
    rotate.mutate(rig.id, {
      onSuccess: (r) => {
        haptic('success');
        onToken(rig.name, r.token);
      },
      onError: () => haptic('error'),
    });
  };
  const revokeRig = () => {
    if (!confirm(`Revoke ${rig.name}? Its token stops working at once.`)) return;
    revoke.mutate(rig.id, { onSuccess: () => haptic('success'), onError: () => haptic('error') });
  };
  return (
    <>
      <Asks rig={rig} />
      <div className="mt-3 flex flex-wrap gap-2">
        <Button
          variant="secondary"
          data-testid="rig-pause"
          busy={paused.isPending}
          onClick={() => paused.mutate({ id: rig.id, paused: !rig.paused })}
        >
          {rig.paused ? 'Resume' : 'Pause'}
        </Button>
        <CsvDownload
          path={RIG_JOBS_CSV_PATH.replace(':id', rig.id)}
          filename={`${rig.name}-jobs.csv`}
          label="Jobs as CSV"
          testId="rig-jobs-csv"
        />
        <Button variant="secondary" data-testid="rig-rotate" busy={rotate.isPending} onClick={rotateToken}>
          Rotate token
        </Button>
        <Button variant="danger" data-testid="rig-revoke" busy={revoke.isPending} onClick={revokeRig}>
          Revoke
        </Button>
      </div>
      {busyError && (
        <p role="alert" className="pt-2 text-[14px] text-destructive">
          {errorMessage(busyError)}
        </p>
      )}
    </>
  );
}
