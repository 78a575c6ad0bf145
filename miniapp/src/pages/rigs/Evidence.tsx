// The rig's trust tier and the TDX evidence behind it: what the proxy last checked (TCB status, the measured
// image, its registers), or why a rig that claims TDX is still in the open tier. A rig without a TEE is told
// what that means for the prompts it serves and how to join the confidential tier.
import type { RigView } from '@cocoon/shared';
import { useState } from 'react';
import { useAttestRig } from '../../api/hooks';
import { Badge, Button } from '../../components/ui';
import { shortDate } from '../../format';

export function shortHex(hex: string): string {
  return hex.length <= 20 ? hex : `${hex.slice(0, 8)}…${hex.slice(-8)}`;
}

/** "1a2b3c4d…9e8f7a6b": a measurement short enough for a card; the whole value on hover and on tap. */
function Hex({ value, testId }: { value: string; testId?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <button
      type="button"
      title={value}
      aria-expanded={open}
      data-testid={testId}
      className="min-w-0 break-all text-left font-mono text-[12px] text-text"
      onClick={() => setOpen((o) => !o)}
    >
      {open ? value : shortHex(value)}
    </button>
  );
}

export function TierBadge({ tier }: { tier: RigView['trust']['tier'] }) {
  return tier === 'tdx' ? <Badge tone="ok">Confidential · TDX</Badge> : <Badge tone="off">Open</Badge>;
}

const MEASUREMENTS = [
  ['mrTd', 'MRTD'],
  ['rtmr0', 'RTMR0'],
  ['rtmr1', 'RTMR1'],
  ['rtmr2', 'RTMR2'],
  ['rtmr3', 'RTMR3'],
] as const;

function Measurements({ trust: t }: { trust: RigView['trust'] }) {
  const m = t.measurements;
  return (
    <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5">
      <dt className="text-hint">TCB status</dt>
      <dd data-testid="rig-tcb-status">{t.tcbStatus ?? '—'}</dd>
      <dt className="text-hint">Image</dt>
      <dd data-testid="rig-image">{t.image ?? 'not one the policy names'}</dd>
      {m &&
        MEASUREMENTS.map(([key, label]) => (
          <div key={key} className="contents">
            <dt className="text-hint">{label}</dt>
            <dd className="min-w-0">
              <Hex value={m[key]} testId={`rig-${key}`} />
            </dd>
          </div>
        ))}
      <dt className="text-hint">Last checked</dt>
      <dd data-testid="rig-checked-at">{t.checkedAt ? shortDate(t.checkedAt) : 'never'}</dd>
    </dl>
  );
}

/** Asks an online rig for a fresh quote. */
function AttestAgain({ rig }: { rig: RigView }) {
  const attest = useAttestRig();
  return (
    <>
      {rig.online && (
        <Button
          variant="secondary"
          className="mt-2"
          data-testid="rig-attest"
          busy={attest.isPending}
          onClick={() => attest.mutate(rig.id)}
        >
          Check its evidence again
        </Button>
      )}
      {attest.error && (
        <p className="pt-1 text-destructive" data-testid="rig-attest-error">
          {attest.error.message}
        </p>
      )}
      {attest.isSuccess && (
        <p className="pt-1 text-hint" data-testid="rig-attest-sent">
          Asked the rig for a fresh quote: the result shows here in a few seconds.
        </p>
      )}
    </>
  );
}

export function Evidence({ rig }: { rig: RigView }) {
  const t = rig.trust;
  if (t.tee === 'none')
    return (
      <p className="mt-3 text-[13px] text-hint" data-testid="rig-trust-note">
        Open tier: this rig's owner can read the prompts it serves. To join the confidential tier, run the
        worker inside an Intel TDX guest with <code className="font-mono">--tee tdx</code>; see README.
      </p>
    );
  return (
    <div className="mt-3 text-[13px]" data-testid="rig-evidence-tdx">
      <h3 className="font-medium text-hint">TDX evidence</h3>
      {t.tier === 'open' && (
        <div
          className="mt-1 rounded-md border border-destructive/40 bg-destructive/10 p-2 text-destructive"
          data-testid="rig-trust-reason"
        >
          <p className="font-medium">Claims TDX, but is in the open tier{t.code ? ` (${t.code})` : ''}</p>
          <p className="pt-0.5">{t.reason ?? 'Its evidence has not been checked yet.'}</p>
        </div>
      )}
      <Measurements trust={t} />
      <AttestAgain rig={rig} />
    </div>
  );
}
