// Playground: summarize or generate with streamed output. `runJob` seals the text in this browser before
// anything leaves it; the proxy only ever sees the envelope.
import type { JobBody } from '@cocoon/shared';
import { useRef, useState } from 'react';
import { useModels, useRunJob } from '../api/hooks';
import { MainAction } from '../components/MainAction';
import { PageHeader } from '../components/PageHeader';
import { ErrorState } from '../components/states';
import { Section } from '../components/ui';
import { tonText } from '../format';
import { haptic } from '../telegram/ui';

type Mode = 'summarize' | 'generate';

/** The sealed job body for the form: one summarize message per non-empty paragraph line. */
export function buildJobBody(mode: Mode, text: string, maxTokens: number): JobBody {
  if (mode === 'generate') return { kind: 'generate', prompt: text, maxTokens };
  const messages = text
    .split(/\n+/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => ({ text: line }));
  return { kind: 'summarize', messages, maxTokens };
}

/** Prefers a model whose id names the mode (e.g. "…summar…" for summarize), else the first one. */
export function defaultModel(ids: string[], mode: Mode): string | undefined {
  const hint = mode === 'summarize' ? /summar|extract|rank/ : /gpt|llama|lm|qwen|phi|gen/;
  return ids.find((id) => hint.test(id)) ?? ids[0];
}

export function PlaygroundPage() {
  const models = useModels();
  const run = useRunJob();
  const [mode, setMode] = useState<Mode>('summarize');
  const [picked, setPicked] = useState<string>('');
  const [text, setText] = useState('');
  const [maxTokens, setMaxTokens] = useState(128);
  const [output, setOutput] = useState('');
  const abort = useRef<AbortController | null>(null);

  const ids = models.data?.data.map((m) => m.id) ?? [];
  const model = picked && ids.includes(picked) ? picked : defaultModel(ids, mode);
  const canRun = Boolean(model) && text.trim().length > 0 && !run.isPending;

  function start() {
    if (!model || !canRun) return;
    setOutput('');
    abort.current = new AbortController();
    run.mutate(
      {
        model,
        body: buildJobBody(mode, text, maxTokens),
        onDelta: (d) => setOutput((o) => o + d),
        onRestart: () => setOutput(''), // moved to another rig mid-stream: its text starts over
        signal: abort.current.signal,
        timeoutMs: 120_000,
      },
      {
        onSuccess: (r) => {
          setOutput(r.text);
          haptic('success');
        },
        onError: () => haptic('error'),
      },
    );
  }

  return (
    <>
      <PageHeader title="Playground" />
      <Section title="Job">
        <fieldset className="mb-3 grid grid-cols-2 rounded-lg border-0 bg-bg2 p-0.5" aria-label="Kind">
          {(['summarize', 'generate'] as const).map((m) => (
            <button
              key={m}
              type="button"
              aria-pressed={mode === m}
              data-testid={`mode-${m}`}
              onClick={() => setMode(m)}
              className={`rounded-md py-1.5 text-[14px] capitalize ${mode === m ? 'bg-section font-medium shadow-sm' : 'text-hint'}`}
            >
              {m}
            </button>
          ))}
        </fieldset>
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
              onChange={(e) => setPicked(e.target.value)}
              disabled={ids.length === 0}
            >
              {ids.length === 0 && (
                <option value="">{models.isPending ? 'Loading…' : 'No models online'}</option>
              )}
              {models.data?.data.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id}
                  {m.demo_grade ? ' (demo grade)' : ''}
                </option>
              ))}
            </select>
          )}
        </div>
        <label className="block">
          <span className="mb-1 block text-[13px] text-hint">
            {mode === 'summarize' ? 'Text to summarize (one message per line)' : 'Prompt'}
          </span>
          <textarea
            data-testid="playground-input"
            className="h-36 w-full resize-none rounded-lg border border-separator bg-bg px-3 py-2 text-text outline-none focus:border-button"
            value={text}
            onChange={(e) => setText(e.target.value)}
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
            onChange={(e) => setMaxTokens(Math.max(1, Math.min(4096, Number(e.target.value) || 1)))}
          />
        </label>
        <MainAction
          testId="playground-run"
          text={run.isPending ? 'Running…' : 'Run privately'}
          onClick={start}
          enabled={canRun}
          loading={run.isPending}
        />
      </Section>
      <Section
        title="Output"
        aside={
          run.isPending ? (
            <button type="button" className="text-[13px] text-link" onClick={() => abort.current?.abort()}>
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
          {output || (
            <span className="text-hint">
              {run.isPending ? 'Waiting for a rig…' : 'The result streams here.'}
            </span>
          )}
        </div>
        {run.isError && <ErrorState error={run.error} testId="playground-error" />}
        {run.isSuccess && (
          <p className="mt-2 text-[13px] text-hint tabular" data-testid="playground-receipt">
            Cost {tonText(run.data.costNano)} · {run.data.promptTokens}+{run.data.completionTokens} tokens ·
            rig {run.data.rigId.slice(0, 8)}
          </p>
        )}
      </Section>
    </>
  );
}
