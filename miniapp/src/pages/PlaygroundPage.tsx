// Playground: summarize or generate with streamed output. `runJob` seals the text in this browser before
// anything leaves it; the proxy only ever sees the envelope. A summary ends in the structure the bot shows:
// a header, then one line per unit (speaker in bold, the text, a link to the message where there is one).
import {
  EMPTY_SUMMARY_NOTE,
  type JobBody,
  jobTimeoutMs,
  parseTranscript,
  type SummaryView,
  summaryView,
  type TranscriptMessage,
  waitingForRigText,
} from '@cocoon/shared';
import { useRef, useState } from 'react';
import { useGetClient } from '../api/client';
import { isApiError } from '../api/errors';
import { useModels, useRunJob } from '../api/hooks';
import { MainAction } from '../components/MainAction';
import { PageHeader } from '../components/PageHeader';
import { ErrorState } from '../components/states';
import { Section } from '../components/ui';
import { tonText } from '../format';
import { haptic } from '../telegram/ui';

type Mode = 'summarize' | 'generate';

/** runJob's refusals of a confidential job: no TDX rig, none verified here, a bad policy, or no policy key. */
const CONFIDENTIAL_CODES = new Set([
  'no_confidential_capacity',
  'no_verified_rig',
  'policy_rejected',
  'policy_rolled_back',
  'policy_expired',
  'attestation_not_configured',
]);

/**
 * The sealed job body for the form: for summarize, one message per non-empty line, "Name: text" lines with
 * their speaker and a trailing Telegram message link as the message's id (the link itself stays here).
 */
export function buildJobBody(mode: Mode, text: string, maxTokens: number): JobBody {
  if (mode === 'generate') return { kind: 'generate', prompt: text, maxTokens };
  const messages = parseTranscript(text).map(({ link: _link, ...m }) => m);
  return { kind: 'summarize', messages, maxTokens };
}

/** A finished summary as the bot shows it, its lines linked to the pasted messages' links. */
export function playgroundSummary(summary: string, messages: readonly TranscriptMessage[]): SummaryView {
  return summaryView({
    summary,
    messages,
    nowSeconds: Math.floor(Date.now() / 1000),
    linkOf: (_line, message) => message?.link,
  });
}

function SummaryResult({ view }: { view: SummaryView }) {
  return (
    <div data-testid="playground-summary">
      <p className="mb-1 font-semibold" data-testid="playground-summary-header">
        {view.header}
      </p>
      {view.lines.length === 0 ? (
        <p className="text-hint" data-testid="playground-summary-empty">
          {EMPTY_SUMMARY_NOTE}
        </p>
      ) : (
        <ul className="space-y-1">
          {view.lines.map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines are a fixed list, in chat order
            <li key={i} data-testid="playground-summary-line">
              {'• '}
              {l.author && (
                <>
                  <b>{l.author}</b>:{' '}
                </>
              )}
              {l.text}
              {l.link && (
                <>
                  {' '}
                  <a
                    href={l.link}
                    target="_blank"
                    rel="noreferrer"
                    className="text-link"
                    aria-label="Open message"
                  >
                    ↗
                  </a>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Prefers a model whose id names the mode (e.g. "…summar…" for summarize), else the first one. */
export function defaultModel(ids: string[], mode: Mode): string | undefined {
  const hint = mode === 'summarize' ? /summar|extract|rank/ : /gpt|llama|lm|qwen|phi|gen/;
  return ids.find((id) => hint.test(id)) ?? ids[0];
}

interface JobSettings {
  mode: Mode;
  model: string;
  text: string;
  maxTokens: number;
  confidential: boolean;
  fastest: boolean;
}

/** Runs a job and keeps what the page shows of it: the streamed text, the summary, its place in the queue. */
function useJobRunner() {
  const run = useRunJob();
  const [output, setOutput] = useState('');
  // The summary's structure, once a summarize job has finished (null while streaming or for generate).
  const [summary, setSummary] = useState<SummaryView | null>(null);
  const abort = useRef<AbortController | null>(null);
  // The job's place in the proxy's queue while every rig is busy (0: not waiting).
  const [queued, setQueued] = useState(0);
  function start(s: JobSettings) {
    setOutput('');
    setSummary(null);
    setQueued(0);
    abort.current = new AbortController();
    const body = buildJobBody(s.mode, s.text, s.maxTokens);
    const pasted = body.kind === 'summarize' ? parseTranscript(s.text) : undefined;
    run.mutate(
      {
        model: s.model,
        body,
        onDelta: (d) => {
          setQueued(0);
          setOutput((o) => o + d);
        },
        // Every rig busy: the job waits in line (Cancel gives its hold back at once).
        onQueued: ({ position }) => setQueued(position),
        onRunning: () => setQueued(0),
        onRestart: () => setOutput(''), // moved to another rig mid-stream: its text starts over
        signal: abort.current.signal,
        // At least two minutes, more for a long answer: a slow rig that keeps producing isn't cut off.
        timeoutMs: jobTimeoutMs(body.maxTokens, 120_000),
        ...(s.confidential ? { minTrust: 'tdx' as const } : {}),
        ...(s.fastest ? { priority: 'speed' as const } : {}),
      },
      {
        onSettled: () => setQueued(0),
        onSuccess: (r) => {
          setOutput(r.text);
          if (pasted) setSummary(playgroundSummary(r.text, pasted));
          haptic('success');
        },
        onError: () => haptic('error'),
      },
    );
  }
  return { run, output, summary, queued, start, cancel: () => abort.current?.abort() };
}

function ModeSwitch({ mode, onChange }: { mode: Mode; onChange: (m: Mode) => void }) {
  return (
    <fieldset className="mb-3 grid grid-cols-2 rounded-lg border-0 bg-bg2 p-0.5" aria-label="Kind">
      {(['summarize', 'generate'] as const).map((m) => (
        <button
          key={m}
          type="button"
          aria-pressed={mode === m}
          data-testid={`mode-${m}`}
          onClick={() => onChange(m)}
          className={`rounded-md py-1.5 text-[14px] capitalize ${mode === m ? 'bg-section font-medium shadow-sm' : 'text-hint'}`}
        >
          {m}
        </button>
      ))}
    </fieldset>
  );
}

function ModelPicker({
  models,
  model,
  onPick,
}: {
  models: ReturnType<typeof useModels>;
  model: string | undefined;
  onPick: (id: string) => void;
}) {
  const ids = models.data?.data.map((m) => m.id) ?? [];
  return (
    <div className="mb-3">
      <label htmlFor="playground-model" className="mb-1 block text-[13px] text-hint">
        Model
      </label>
      {models.isError ? (
        <ErrorState error={models.error} onRetry={() => void models.refetch()} testId="models-error" />
      ) : (
        <select
          id="playground-model"
          data-testid="playground-model"
          className="w-full rounded-lg border border-separator bg-bg px-3 py-2 text-text"
          value={model ?? ''}
          onChange={(e) => onPick(e.target.value)}
          disabled={ids.length === 0}
        >
          {ids.length === 0 && <option value="">{models.isPending ? 'Loading…' : 'No models online'}</option>}
          {models.data?.data.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
              {m.demo_grade ? ' (demo grade)' : ''}
            </option>
          ))}
        </select>
      )}
    </div>
  );
}

function JobText({
  mode,
  text,
  onText,
  maxTokens,
  onMaxTokens,
}: {
  mode: Mode;
  text: string;
  onText: (t: string) => void;
  maxTokens: number;
  onMaxTokens: (n: number) => void;
}) {
  return (
    <>
      <label className="block">
        <span className="mb-1 block text-[13px] text-hint">
          {mode === 'summarize' ? 'Text to summarize (one message per line)' : 'Prompt'}
        </span>
        <textarea
          data-testid="playground-input"
          className="h-36 w-full resize-none rounded-lg border border-separator bg-bg px-3 py-2 text-text outline-none focus:border-button"
          value={text}
          onChange={(e) => onText(e.target.value)}
          placeholder={mode === 'summarize' ? 'Paste a chat or an article…' : 'Once upon a time'}
        />
      </label>
      <label className="mt-2 flex items-center justify-between text-[14px]">
        <span className="text-hint">Max tokens</span>
        <input
          type="number"
          min={1}
          max={4096}
          data-testid="playground-max-tokens"
          className="w-24 rounded-lg border border-separator bg-bg px-2 py-1 text-right text-text"
          value={maxTokens}
          onChange={(e) => onMaxTokens(Math.max(1, Math.min(4096, Number(e.target.value) || 1)))}
        />
      </label>
    </>
  );
}

function RigChoice({
  fastest,
  onFastest,
  confidential,
  onConfidential,
}: {
  fastest: boolean;
  onFastest: (on: boolean) => void;
  confidential: boolean;
  onConfidential: (on: boolean) => void;
}) {
  const getClient = useGetClient();
  return (
    <>
      <label className="mt-3 flex items-center justify-between gap-3 text-[14px]">
        <span>
          Fastest rig first
          <span className="block text-[12px] text-hint">
            By measured speed, among rigs asking at most a few times the cheapest; off: cheapest first
          </span>
        </span>
        <input
          type="checkbox"
          data-testid="playground-speed"
          className="h-5 w-5 accent-button"
          checked={fastest}
          onChange={(e) => onFastest(e.target.checked)}
        />
      </label>
      <label className="mt-3 flex items-center justify-between gap-3 text-[14px]">
        <span>Confidential rigs only (TDX)</span>
        <input
          type="checkbox"
          data-testid="playground-confidential"
          className="h-5 w-5 accent-button"
          checked={confidential}
          onChange={(e) => {
            onConfidential(e.target.checked);
            // Get the operator's policy key (and the checking client) ready; a failure shows when the job runs.
            if (e.target.checked) getClient({ confidential: true }).catch(() => undefined);
          }}
        />
      </label>
      {confidential && (
        <p className="mt-1 text-[12px] text-hint" data-testid="playground-confidential-note">
          This app checks each rig's Intel TDX quote itself before it seals your text, with the operator's
          policy key. In the Mini App that check is only as good as the code the proxy serves (the proxy
          serves this app, and without a key built in, the key comes from the proxy too). The bot and the
          gateway check with a key they are configured with.
        </p>
      )}
    </>
  );
}

function Output({
  runner,
  confidential,
}: {
  runner: ReturnType<typeof useJobRunner>;
  confidential: boolean;
}) {
  const { run, output, summary, queued } = runner;
  const waiting = run.isPending
    ? queued
      ? `${waitingForRigText(queued)}…`
      : 'Waiting for a rig…'
    : 'The result streams here.';
  return (
    <Section
      title="Output"
      aside={
        run.isPending ? (
          <button type="button" className="text-[13px] text-link" onClick={runner.cancel}>
            Cancel
          </button>
        ) : undefined
      }
    >
      <div
        data-testid="playground-output"
        aria-live="polite"
        className="min-h-24 whitespace-pre-wrap break-words text-[15px]"
      >
        {summary ? (
          <SummaryResult view={summary} />
        ) : (
          output || (
            <span className="text-hint" data-testid={queued ? 'playground-queued' : undefined}>
              {waiting}
            </span>
          )
        )}
      </div>
      {run.isError && <ErrorState error={run.error} testId="playground-error" />}
      {run.isError && confidential && isApiError(run.error) && CONFIDENTIAL_CODES.has(run.error.code) && (
        <p className="mt-1 text-[13px] text-hint" data-testid="playground-confidential-hint">
          Nothing was sent to a rig. Turn off “Confidential rigs only” to run on any rig (its owner could read
          the text).
        </p>
      )}
      {run.isSuccess && (
        <p className="mt-2 text-[13px] text-hint tabular" data-testid="playground-receipt">
          Cost {tonText(run.data.costNano)} · {run.data.promptTokens}+{run.data.completionTokens} tokens · rig{' '}
          {run.data.rigId.slice(0, 8)}
        </p>
      )}
    </Section>
  );
}

export function PlaygroundPage() {
  const models = useModels();
  const runner = useJobRunner();
  const [mode, setMode] = useState<Mode>('summarize');
  const [picked, setPicked] = useState<string>('');
  const [text, setText] = useState('');
  const [maxTokens, setMaxTokens] = useState(128);
  const [confidential, setConfidential] = useState(false);
  // Off: the cheapest rig first (the market's default); on: the rig expected to answer soonest.
  const [fastest, setFastest] = useState(false);
  const ids = models.data?.data.map((m) => m.id) ?? [];
  const model = picked && ids.includes(picked) ? picked : defaultModel(ids, mode);
  const canRun = Boolean(model) && text.trim().length > 0 && !runner.run.isPending;
  const start = () => {
    if (model && canRun) runner.start({ mode, model, text, maxTokens, confidential, fastest });
  };
  return (
    <>
      <PageHeader title="Playground" />
      <Section title="Job">
        <ModeSwitch mode={mode} onChange={setMode} />
        <ModelPicker models={models} model={model} onPick={setPicked} />
        <JobText mode={mode} text={text} onText={setText} maxTokens={maxTokens} onMaxTokens={setMaxTokens} />
        <RigChoice
          fastest={fastest}
          onFastest={setFastest}
          confidential={confidential}
          onConfidential={setConfidential}
        />
        <MainAction
          testId="playground-run"
          text={runner.run.isPending ? 'Running…' : 'Run privately'}
          onClick={start}
          enabled={canRun}
          loading={runner.run.isPending}
        />
      </Section>
      <Output runner={runner} confidential={confidential} />
    </>
  );
}
