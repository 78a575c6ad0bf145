// The public price board: per model, the ask ladder per trust tier (open, confidential TDX) with capacity, each
// rig's measured speed, recent fills and a price-history chart.
import type { MarketView } from '@cocoon/shared';
import { Suspense } from 'react';
import { useMarket } from '../api/hooks';
import { LineChart } from '../components/lazy-charts';
import { PageHeader } from '../components/PageHeader';
import { QueryList } from '../components/states';
import { Badge, Section, Skeleton } from '../components/ui';
import { firstTokenText, shortDate, tokensPerSText, tonText } from '../format';

type ModelBoard = MarketView['models'][number];

/** Fills as chart points (TON per 1k on the y axis is only for drawing; labels use exact nanoTON). */
export function fillPoints(fills: ModelBoard['recentFills']) {
  return fills
    .map((f) => ({ t: Date.parse(f.at), v: Number(f.priceNanoPer1k) }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v));
}

type Ask = ModelBoard['asks'][number];
const TIERS = ['open', 'tdx'] as const;
const TIER_NAMES = { open: 'Open tier', tdx: 'Confidential tier · TDX' } as const;

/** One tier's ask ladder: open rigs (their owners can read prompts), or rigs whose TDX evidence verified. */
function AskLadder({ tier, asks }: { tier: Ask['tier']; asks: Ask[] }) {
  return (
    <div data-testid={`asks-${tier}`}>
      <h3 className="mt-3 text-[13px] font-medium text-hint">Asks · {TIER_NAMES[tier]}</h3>
      {asks.length === 0 ? (
        <p className="py-1 text-[14px] text-hint" data-testid={`no-asks-${tier}`}>
          {tier === 'tdx'
            ? 'No confidential (TDX) rig is offering this model right now.'
            : 'No open-tier rig is offering this model right now.'}
        </p>
      ) : (
        <table className="w-full text-[14px] tabular" data-testid="ask-ladder">
          <thead>
            <tr className="text-left text-[12px] text-hint">
              <th className="font-normal">TON / 1k tokens</th>
              <th className="text-right font-normal">Rigs</th>
              <th className="text-right font-normal">Free slots</th>
              <th className="text-right font-normal">Standing</th>
            </tr>
          </thead>
          <tbody>
            {asks.map((a) => (
              <tr key={a.priceNanoPer1k} className="border-t border-separator">
                <td className="py-1">{tonText(a.priceNanoPer1k, '')}</td>
                <td className="py-1 text-right">{a.rigs}</td>
                <td className="py-1 text-right">{a.freeSlots}</td>
                <td className="py-1 text-right text-[12px] text-hint" data-testid="ask-standing">
                  {standingText(a.standing)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

type BoardRig = NonNullable<ModelBoard['rigs']>[number];

/** Each rig's ask and measured speed (from its recent jobs paid by others), cheapest first. */
function RigSpeeds({ rigs }: { rigs: BoardRig[] }) {
  if (rigs.length === 0) return null;
  return (
    <>
      <h3 className="mt-3 text-[13px] font-medium text-hint">Rigs · measured speed</h3>
      <table className="w-full text-[14px] tabular" data-testid="rig-speeds">
        <thead>
          <tr className="text-left text-[12px] text-hint">
            <th className="font-normal">TON / 1k tokens</th>
            <th className="text-right font-normal">First token</th>
            <th className="text-right font-normal">Speed</th>
            <th className="text-right font-normal">Jobs</th>
          </tr>
        </thead>
        <tbody>
          {rigs.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the board names no rig
            <tr key={i} className="border-t border-separator" data-testid="rig-speed">
              <td className="py-1">
                {tonText(r.priceNanoPer1k, '')}
                <span className="ml-1 text-[12px] text-hint">
                  {r.tier === 'tdx' ? 'TDX' : ''} {r.device ?? ''}
                </span>
              </td>
              <td className="py-1 text-right">{firstTokenText(r.speed.firstTokenMs)}</td>
              <td className="py-1 text-right">{tokensPerSText(r.speed.tokensPerS)}</td>
              <td className="py-1 text-right text-hint">{r.speed.jobs || 'new'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function ModelCard({ board }: { board: ModelBoard }) {
  const points = fillPoints(board.recentFills);
  return (
    <Section
      title={board.model}
      testId={`market-model-${board.model}`}
      aside={board.demoGrade ? <Badge tone="off">demo grade</Badge> : undefined}
    >
      {board.digest ? (
        <div className="flex justify-between text-[13px] text-hint">
          <span>Digest</span>
          <span className="text-text tabular" data-testid="digest">
            {board.digest}
          </span>
        </div>
      ) : null}
      <div className="flex justify-between text-[13px] text-hint">
        <span>24h median</span>
        <span className="text-text tabular" data-testid="median">
          {board.median24hNanoPer1k ? tonText(board.median24hNanoPer1k, 'TON / 1k tok') : '—'}
        </span>
      </div>
      {board.asks.length === 0 ? (
        <>
          <h3 className="mt-3 text-[13px] font-medium text-hint">Asks</h3>
          <p className="py-1 text-[14px] text-hint">No rig is offering this model right now.</p>
        </>
      ) : (
        TIERS.map((tier) => (
          <AskLadder key={tier} tier={tier} asks={board.asks.filter((a) => a.tier === tier)} />
        ))
      )}
      <RigSpeeds rigs={board.rigs ?? []} />
      <h3 className="mt-3 text-[13px] font-medium text-hint">Price history (recent fills)</h3>
      {points.length === 0 ? (
        <p className="py-1 text-[14px] text-hint">No fills yet.</p>
      ) : (
        <>
          <div className="h-[120px]">
            <Suspense fallback={<Skeleton className="h-[120px] w-full" />}>
              <LineChart points={points} label={`${board.model} fill prices`} testId="price-chart" />
            </Suspense>
          </div>
          <ul className="mt-2 text-[13px] tabular">
            {board.recentFills.slice(0, 5).map((f, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: fills have no id
              <li key={i} className="flex justify-between gap-2 py-0.5">
                <span className="text-hint">{shortDate(f.at)}</span>
                <span>{f.tokens} tok</span>
                <span>{tonText(f.priceNanoPer1k, 'TON/1k')}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}

export function MarketPage() {
  const market = useMarket();
  return (
    <>
      <PageHeader title="Market" />
      <QueryList query={market} rows={5} items={(d) => d.models} empty="No models on the market yet.">
        {(models, d) => (
          <>
            <p className="px-4 pb-2 text-[13px] text-hint">
              Jobs go to the cheapest online rig with a free slot (or the fastest, when you ask for speed); a
              confidential job only to a rig in the TDX tier. Speeds are measured over each rig's recent jobs
              paid by others. Platform fee: {(d.feeBps / 100).toFixed(2)}% on top.
            </p>
            {models.map((m) => (
              <ModelCard key={m.model} board={m} />
            ))}
          </>
        )}
      </QueryList>
    </>
  );
}

const STANDING_LABELS = {
  operator: "operator's",
  probation: 'in probation',
  bonded: 'bonded',
  capped: 'at bond cap',
  quarantined: 'quarantined',
} as const;

/** "2 bonded · 1 in probation": how the rigs at an ask stand (audits and bonds). */
function standingText(s: Record<keyof typeof STANDING_LABELS, number>): string {
  const parts = (Object.keys(STANDING_LABELS) as Array<keyof typeof STANDING_LABELS>)
    .filter((k) => s[k] > 0)
    .map((k) => `${s[k]} ${STANDING_LABELS[k]}`);
  return parts.join(' · ') || '—';
}
