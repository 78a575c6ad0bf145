// A rig's figures at a glance: device, slots, jobs, success, earnings, latency, uptime, audits.
import type { RigView } from '@cocoon/shared';
import { percent, shortDate, tonText } from '../../format';

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-hint">{label}</dt>
      <dd className="truncate text-[15px] tabular" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/** 850 → "0.85 s", 2100 → "2.1 s". */
function seconds(ms: number): string {
  return `${Math.round(ms / 10) / 100} s`;
}

function latencyText({ p50, p95 }: RigView['latencyMs']): string {
  return p50 === null ? '—' : `${seconds(p50)} / ${seconds(p95 ?? p50)}`;
}

export function RigStats({ rig }: { rig: RigView }) {
  return (
    <dl className="grid grid-cols-3 gap-y-2 text-[13px]">
      <Stat label="Device" value={rig.device ? rig.device.toUpperCase() : '—'} testId="rig-device" />
      <Stat label="Slots" value={`${rig.running}/${rig.slots}`} />
      <Stat label="Jobs served" value={String(rig.jobsDone)} testId="rig-jobs" />
      <Stat label="Success" value={percent(rig.successRate)} />
      <Stat label="Earned" value={tonText(rig.earningsNano)} testId="rig-earnings" />
      <Stat label="Last seen" value={rig.online ? 'now' : shortDate(rig.lastSeenAt)} />
      <Stat label="Latency p50 / p95" value={latencyText(rig.latencyMs)} testId="rig-latency" />
      <Stat label="Uptime" value={percent(rig.uptime)} testId="rig-uptime" />
      <Stat
        label="Audits"
        value={`${rig.auditsPassed} passed${rig.auditsFailed ? ` · ${rig.auditsFailed} failed` : ''}`}
        testId="rig-audits-count"
      />
    </dl>
  );
}

/**
 * Earnings from Stars-paid jobs are held (Telegram holds Stars revenue before it can be converted): they
 * become withdrawable, and payable on chain, from the release date.
 */
export function StarsHeld({ rig }: { rig: RigView }) {
  const held = BigInt(rig.heldStarsNano ?? '0');
  if (held === 0n) return null;
  return (
    <p className="mt-2 text-[13px] text-hint" data-testid="rig-stars-held">
      {tonText(held)} of its earnings came from jobs paid with Telegram Stars and are held until{' '}
      <span data-testid="rig-stars-release">{shortDate(rig.starsReleaseAt)}</span>; then they are
      withdrawable.
    </p>
  );
}
