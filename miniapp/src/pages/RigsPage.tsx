// Rigs: register a rig (its token is shown once, with the worker command), watch each rig, set asks,
// pause/resume, rotate or revoke its token.
import { RIG_JOBS_CSV_PATH, type RigView } from '@cocoon/shared';
import { lazy, Suspense, useState } from 'react';
import { errorMessage } from '../api/errors';
import {
  useAddBond,
  useAttestRig,
  useRegisterRig,
  useReleaseRig,
  useRevokeRig,
  useRigAudits,
  useRigHistory,
  useRigs,
  useRotateRigToken,
  useSetAsk,
  useSetRigPaused,
  useWithdrawBond,
} from '../api/hooks';
import { CopyBlock } from '../components/CopyBlock';
import { CsvDownload } from '../components/CsvDownload';
import { NameForm } from '../components/NameForm';
import { PageHeader } from '../components/PageHeader';
import { QueryView } from '../components/states';
import { Badge, Button, Section, Skeleton, TextInput } from '../components/ui';
import { PROXY_URL } from '../env';
import { parseTonInput, percent, shortDate, speedText, tonText } from '../format';
import RigPayout from '../onchain-accounts/RigPayout';
import { haptic } from '../telegram/ui';

const BarChart = lazy(() => import('../components/charts').then((m) => ({ default: m.BarChart })));
const LineChart = lazy(() => import('../components/charts').then((m) => ({ default: m.LineChart })));

/** The token goes in the environment, not on the command line, where `ps` would show it to everyone. */
export function workerCommand(proxyUrl: string, token: string): string {
  return `COCOON_RIG_TOKEN=${token} npm run worker -- --proxy ${proxyUrl}`;
}

/** The one-time token panel: after "Done" the token is gone from this device for good. */
function TokenReveal({ rigName, token, onDone }: { rigName: string; token: string; onDone: () => void }) {
  return (
    <Section
      title={`Token for ${rigName}`}
      testId="token-reveal"
      footer="This token is shown only once. Keep it secret: it lets a worker sell as this rig."
    >
      <CopyBlock label="Rig token" value={token} testId="rig-token" />
      <CopyBlock
        label="Start the worker on the rig"
        value={workerCommand(PROXY_URL, token)}
        testId="worker-command"
      />
      <Button variant="secondary" className="mt-3 w-full" data-testid="token-done" onClick={onDone}>
        I've saved it
      </Button>
    </Section>
  );
}

function RegisterRig({ onRegistered }: { onRegistered: (name: string, token: string) => void }) {
  return (
    <NameForm
      title="Register a rig"
      footer="Any machine with Node 20 works; a GPU (CUDA) makes it faster."
      label="Rig name"
      placeholder="e.g. basement-4090"
      inputTestId="rig-name"
      actionTestId="register-rig"
      actionText="Register rig"
      mutation={useRegisterRig()}
      onCreated={(r) => onRegistered(r.rig.name, r.token)}
    />
  );
}

function AskEditor({ rig, model }: { rig: RigView; model: RigView['models'][number] }) {
  const setAsk = useSetAsk();
  const current = tonText(model.priceNanoPer1k, '');
  const [value, setValue] = useState(current);
  const nano = parseTonInput(value);
  const changed = nano !== null && nano.toString() !== model.priceNanoPer1k;
  return (
    <form
      className="flex items-end gap-2 py-1.5"
      data-testid={`ask-${model.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (nano === null || !changed) return;
        setAsk.mutate(
          { id: rig.id, model: model.id, priceNanoPer1k: nano },
          { onSuccess: () => haptic('success'), onError: () => haptic('error') },
        );
      }}
    >
      <TextInput
        className="min-w-0 flex-1"
        label={`${model.id}${model.demoGrade ? ' (demo grade)' : ''} · TON per 1k tokens`}
        inputMode="decimal"
        value={value}
        aria-invalid={nano === null}
        data-testid="ask-input"
        onChange={(e) => setValue(e.target.value)}
        hint={
          setAsk.isError ? (
            <span className="text-destructive">{errorMessage(setAsk.error)}</span>
          ) : model.refused ? (
            <span className="text-destructive" data-testid="model-refused">
              Refused: {model.refused}
            </span>
          ) : (
            <span className="tabular" data-testid="model-speed">
              {model.digest ? `digest ${model.digest} · ` : ''}
              {model.speed ? speedText(model.speed) : ''}
            </span>
          )
        }
      />
      <Button
        type="submit"
        variant="secondary"
        disabled={!changed}
        busy={setAsk.isPending}
        data-testid="ask-save"
      >
        Set
      </Button>
    </form>
  );
}

/**
 * Standing in the market: probation (every job audited), then a bond that caps the rig's unaudited work and
 * pays its victims back if an audit proves it wrong. The operator's own rigs need neither.
 */
function Bond({ rig }: { rig: RigView }) {
  const add = useAddBond();
  const withdraw = useWithdrawBond();
  const [value, setValue] = useState('');
  const nano = parseTonInput(value);
  if (rig.operator)
    return (
      <p className="mt-2 text-[13px] text-hint" data-testid="rig-operator">
        The operator's own rig: no probation, no bond.
      </p>
    );
  const short = BigInt(rig.bondRequiredNano) - BigInt(rig.bondNano);
  const capped = rig.probationJobsLeft === 0 && BigInt(rig.exposureNano) >= BigInt(rig.bondNano);
  const error = add.error ?? withdraw.error;
  return (
    <div className="mt-3 text-[13px]" data-testid="rig-bond">
      <h3 className="font-medium text-hint">Standing</h3>
      <p className="pt-1" data-testid="rig-standing">
        {rig.probationJobsLeft > 0
          ? `Probation: its next ${rig.probationJobsLeft} jobs are all audited by other rigs; no bond needed yet.`
          : rig.bondWithdrawableAt
            ? 'Off the market while its bond is asked back: no new jobs, and no audits, on a bond that is leaving.'
            : capped
              ? 'Paused by its bond: its unaudited work has reached the bond. It gets jobs again after its next passed audit or a bigger bond.'
              : 'In the market: a share of its jobs is audited by other rigs.'}
      </p>
      <p className="pt-1 tabular">
        Bond {tonText(rig.bondNano)} of {tonText(rig.bondRequiredNano)} · unaudited work{' '}
        {tonText(rig.exposureNano)}
        {short > 0n && rig.probationJobsLeft === 0 && ' · the shortfall is kept from its earnings'}
      </p>
      {rig.bondWithdrawableAt && (
        <p className="pt-1 text-hint">
          Bond back from {shortDate(rig.bondWithdrawableAt)} (if no audit is open).
        </p>
      )}
      <form
        className="flex items-end gap-2 pt-1.5"
        onSubmit={(e) => {
          e.preventDefault();
          if (!nano) return;
          add.mutate({ id: rig.id, amountNano: nano }, { onSuccess: () => setValue('') });
        }}
      >
        <TextInput
          className="min-w-0 flex-1"
          label="Add to the bond from your balance · TON"
          inputMode="decimal"
          value={value}
          data-testid="bond-input"
          onChange={(e) => setValue(e.target.value)}
        />
        <Button
          type="submit"
          variant="secondary"
          disabled={!nano}
          busy={add.isPending}
          data-testid="bond-add"
        >
          Add
        </Button>
        {BigInt(rig.bondNano) > 0n && (
          <Button
            variant="secondary"
            busy={withdraw.isPending}
            data-testid="bond-withdraw"
            onClick={() => withdraw.mutate(rig.id)}
          >
            {rig.bondWithdrawableAt ? 'Withdraw' : 'Ask it back'}
          </Button>
        )}
      </form>
      {error && (
        <p role="alert" className="pt-1 text-destructive">
          {errorMessage(error)}
        </p>
      )}
    </div>
  );
}

/** The audits that concern a rig, as its owner reads them: verdicts, agreement and reasons. */
function AuditList({ audits }: { audits: ReturnType<typeof useRigAudits> }) {
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

/**
 * What an owner decides by: earnings by day over 30 days, how many offered jobs it ran, and how many of the
 * last day's jobs other asks would have won.
 */
function History({ rig }: { rig: RigView }) {
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
  const h = history.data;
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
      {h.askEstimate.length > 0 && (
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
      )}
    </div>
  );
}

/** Any rig's audit history, on request. */
function AuditHistory({ rig }: { rig: RigView }) {
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

/**
 * A rig an audit found wrong (or an auditor outvoted) is off the market until its owner has seen why: the
 * evidence (each verdict, its agreement and reason) and a button to put it back.
 */
function Quarantine({ rig }: { rig: RigView }) {
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

export function shortHex(hex: string): string {
  return hex.length <= 20 ? hex : `${hex.slice(0, 8)}…${hex.slice(-8)}`;
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

/**
 * The rig's trust tier and the TDX evidence behind it: what the proxy last checked (TCB status, the measured
 * image, its registers), or why a rig that claims TDX is still in the open tier. A rig without a TEE is told
 * what that means for the prompts it serves and how to join the confidential tier.
 */
function Evidence({ rig }: { rig: RigView }) {
  const t = rig.trust;
  const m = t.measurements;
  const attest = useAttestRig();
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
    </div>
  );
}

function RigCard({ rig, onToken }: { rig: RigView; onToken: (name: string, token: string) => void }) {
  const paused = useSetRigPaused();
  const rotate = useRotateRigToken();
  const revoke = useRevokeRig();
  const busyError = paused.error ?? rotate.error ?? revoke.error;
  const status = rig.revoked ? (
    <Badge tone="warn">revoked</Badge>
  ) : rig.quarantine ? (
    <Badge tone="warn">quarantined</Badge>
  ) : rig.paused ? (
    <Badge tone="off">paused</Badge>
  ) : rig.online ? (
    <Badge tone="ok">online</Badge>
  ) : (
    <Badge tone="off">offline</Badge>
  );
  return (
    <Section
      title={rig.name}
      testId={`rig-${rig.id}`}
      aside={
        <span className="flex gap-1">
          <span data-testid="rig-tier">
            <TierBadge tier={rig.trust.tier} />
          </span>
          <span data-testid="rig-status">{status}</span>
        </span>
      }
    >
      <dl className="grid grid-cols-3 gap-y-2 text-[13px]">
        <Stat label="Device" value={rig.device ? rig.device.toUpperCase() : '—'} testId="rig-device" />
        <Stat label="Slots" value={`${rig.running}/${rig.slots}`} />
        <Stat label="Jobs served" value={String(rig.jobsDone)} testId="rig-jobs" />
        <Stat label="Success" value={percent(rig.successRate)} />
        <Stat label="Earned" value={tonText(rig.earningsNano)} testId="rig-earnings" />
        <Stat label="Last seen" value={rig.online ? 'now' : shortDate(rig.lastSeenAt)} />
        <Stat
          label="Latency p50 / p95"
          value={
            rig.latencyMs.p50 === null
              ? '—'
              : `${seconds(rig.latencyMs.p50)} / ${seconds(rig.latencyMs.p95 ?? rig.latencyMs.p50)}`
          }
          testId="rig-latency"
        />
        <Stat label="Uptime" value={percent(rig.uptime)} testId="rig-uptime" />
        <Stat
          label="Audits"
          value={`${rig.auditsPassed} passed${rig.auditsFailed ? ` · ${rig.auditsFailed} failed` : ''}`}
          testId="rig-audits-count"
        />
      </dl>
      <Evidence rig={rig} />
      <Quarantine rig={rig} />
      <History rig={rig} />
      <AuditHistory rig={rig} />
      {!rig.revoked && <Bond rig={rig} />}
      {rig.fingerprint && (
        <p className="mt-2 truncate font-mono text-[12px] text-hint">key {rig.fingerprint}</p>
      )}
      {!rig.revoked && (
        <>
          <h3 className="mt-3 text-[13px] font-medium text-hint">Asks</h3>
          {rig.models.length === 0 ? (
            <p className="text-[14px] text-hint">The rig reports its models when its worker connects.</p>
          ) : (
            rig.models.map((m) => <AskEditor key={m.id} rig={rig} model={m} />)
          )}
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
            <Button
              variant="secondary"
              data-testid="rig-rotate"
              busy={rotate.isPending}
              onClick={() => {
                if (!confirm(`Rotate the token of ${rig.name}? Its worker must restart with the new one.`))
                  return;
                rotate.mutate(rig.id, {
                  onSuccess: (r) => {
                    haptic('success');
                    onToken(rig.name, r.token);
                  },
                  onError: () => haptic('error'),
                });
              }}
            >
              Rotate token
            </Button>
            <Button
              variant="danger"
              data-testid="rig-revoke"
              busy={revoke.isPending}
              onClick={() => {
                if (!confirm(`Revoke ${rig.name}? Its token stops working at once.`)) return;
                revoke.mutate(rig.id, { onSuccess: () => haptic('success'), onError: () => haptic('error') });
              }}
            >
              Revoke
            </Button>
          </div>
        </>
      )}
      {busyError && (
        <p role="alert" className="pt-2 text-[14px] text-destructive">
          {errorMessage(busyError)}
        </p>
      )}
    </Section>
  );
}

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

function Earnings({ rigs }: { rigs: RigView[] }) {
  const bars = rigs.map((r) => ({
    label: r.name,
    value: Number(BigInt(r.earningsNano)),
    text: tonText(r.earningsNano),
  }));
  return (
    <Section title="Earnings by rig">
      <Suspense fallback={<Skeleton className="h-10 w-full" />}>
        <BarChart bars={bars} label="Earnings by rig" testId="earnings-chart" />
      </Suspense>
    </Section>
  );
}

export function RigsPage() {
  const rigs = useRigs();
  const [reveal, setReveal] = useState<{ name: string; token: string } | null>(null);
  const onToken = (name: string, token: string) => setReveal({ name, token });
  return (
    <>
      <PageHeader title="My rigs" />
      {reveal ? (
        <TokenReveal rigName={reveal.name} token={reveal.token} onDone={() => setReveal(null)} />
      ) : (
        <RegisterRig onRegistered={onToken} />
      )}
      <QueryView
        query={rigs}
        rows={4}
        isEmpty={(d) => d.rigs.length === 0}
        empty="No rigs yet. Register one above, then start its worker."
      >
        {(d) => (
          <>
            {d.rigs.some((r) => r.earningsNano !== '0') && <Earnings rigs={d.rigs} />}
            <RigPayout />
            <div data-testid="rig-list">
              {d.rigs.map((r) => (
                <RigCard key={r.id} rig={r} onToken={onToken} />
              ))}
            </div>
          </>
        )}
      </QueryView>
    </>
  );
}

/** 850 → "0.85 s", 2100 → "2.1 s". */
function seconds(ms: number): string {
  return `${Math.round(ms / 10) / 100} s`;
}
