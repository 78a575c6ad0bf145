import type { RunJobOptions } from '@cocoon/shared';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { renderWithClient } from '../test/render';
import { buildJobBody, PlaygroundPage } from './PlaygroundPage';

afterEach(cleanup);

const models = async () => ({
  object: 'list' as const,
  data: [
    { id: 'demo-gen', object: 'model' as const, owned_by: 'cocoon', demo_grade: true, digest: null },
    {
      id: 'textrank-summarizer',
      object: 'model' as const,
      owned_by: 'cocoon',
      demo_grade: false,
      digest: null,
    },
  ],
});

it('runs a summarize job through runJob, streaming deltas into the output, then shows the receipt', async () => {
  const runJob = vi.fn(async (o: RunJobOptions) => {
    o.onDelta?.('Alice ');
    o.onDelta?.('and Bob met.');
    return {
      text: 'Alice and Bob met.',
      promptTokens: 12,
      completionTokens: 5,
      finishReason: 'stop' as const,
      jobId: 'j1',
      rigId: 'rig-abcdef12',
      costNano: 17_000n,
    };
  });
  renderWithClient(<PlaygroundPage />, { models, runJob });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).value).toBe('textrank-summarizer'),
  );
  fireEvent.change(screen.getByTestId('playground-input'), { target: { value: 'Alice: hi\n\nBob: hello' } });
  fireEvent.click(screen.getByTestId('playground-run'));
  expect((await screen.findByTestId('playground-receipt')).textContent).toContain('0.000017 TON');
  expect(screen.getByTestId('playground-output').textContent).toBe('Alice and Bob met.');
  expect(runJob.mock.calls[0][0]).toMatchObject({
    model: 'textrank-summarizer',
    body: { kind: 'summarize', messages: [{ text: 'Alice: hi' }, { text: 'Bob: hello' }], maxTokens: 128 },
  });
});

it('shows why a job failed', async () => {
  const runJob = vi.fn(async () => {
    throw Object.assign(new Error('no rig is online for this model'), {
      name: 'ApiError',
      status: 409,
      code: 'no_rigs',
    });
  });
  renderWithClient(<PlaygroundPage />, { models, runJob });
  fireEvent.change(await screen.findByTestId('playground-input'), { target: { value: 'hello' } });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).disabled).toBe(false),
  );
  fireEvent.click(screen.getByTestId('playground-run'));
  expect((await screen.findByTestId('playground-error')).textContent).toContain('no rig is online');
});

it('builds generate bodies from the prompt as is', () => {
  expect(buildJobBody('generate', ' Once\nupon ', 64)).toEqual({
    kind: 'generate',
    prompt: ' Once\nupon ',
    maxTokens: 64,
  });
});
