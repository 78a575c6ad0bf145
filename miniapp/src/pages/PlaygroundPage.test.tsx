import type { RunJobOptions } from '@cocoon/shared';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { renderWithClient } from '../testing/render';
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
  let streamed = '';
  const runJob = vi.fn(async (o: RunJobOptions) => {
    o.onDelta?.('Alice: hi');
    // While it streams, the output is the raw text.
    await waitFor(() => expect(screen.getByTestId('playground-output').textContent).toBe('Alice: hi'));
    streamed = screen.getByTestId('playground-output').textContent ?? '';
    o.onDelta?.('\nBob: hello');
    return {
      text: 'Alice: hi\nBob: hello',
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
  expect(streamed).toBe('Alice: hi');
  expect(screen.getByTestId('playground-summary-header').textContent).toBe('Summary of the last 2 messages');
  expect(runJob.mock.calls[0][0]).toMatchObject({
    model: 'textrank-summarizer',
    body: {
      kind: 'summarize',
      messages: [
        { author: 'Alice', text: 'hi' },
        { author: 'Bob', text: 'hello' },
      ],
      maxTokens: 128,
    },
  });
});

it('shows a summary as the bot does: a header, then the speaker in bold, the text and the message link per line', async () => {
  const pasted = [
    'Alice: we meet Thursday 10am, room 4B https://t.me/c/777/41',
    'Bob: ok',
    "Carol: I'll book the room by 5pm",
  ].join('\n');
  const runJob = vi.fn(async (_o: RunJobOptions) => ({
    ...receipt,
    text: "Alice: we meet Thursday 10am, room 4B\nCarol: I'll book the room by 5pm",
  }));
  renderWithClient(<PlaygroundPage />, { models, runJob });
  fireEvent.change(await screen.findByTestId('playground-input'), { target: { value: pasted } });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).disabled).toBe(false),
  );
  fireEvent.click(screen.getByTestId('playground-run'));
  await screen.findByTestId('playground-receipt');
  // The link stays in this browser; the rig gets the message id.
  expect(runJob.mock.calls[0][0].body).toMatchObject({
    messages: [
      { author: 'Alice', text: 'we meet Thursday 10am, room 4B', id: 41 },
      { author: 'Bob' },
      { author: 'Carol' },
    ],
  });
  expect(screen.getByTestId('playground-summary-header').textContent).toBe('Summary of the last 3 messages');
  const lines = screen.getAllByTestId('playground-summary-line');
  expect(lines.map((l) => l.textContent)).toEqual([
    '• Alice: we meet Thursday 10am, room 4B ↗',
    "• Carol: I'll book the room by 5pm",
  ]);
  expect(lines.map((l) => l.querySelector('b')?.textContent)).toEqual(['Alice', 'Carol']);
  expect(lines[0].querySelector('a')?.getAttribute('href')).toBe('https://t.me/c/777/41');
  expect(lines[1].querySelector('a')).toBeNull();
});

it('an empty summary (only stickers, nothing to quote) says so instead of showing nothing', async () => {
  const runJob = vi.fn(async (_o: RunJobOptions) => ({ ...receipt, text: '', completionTokens: 0 }));
  renderWithClient(<PlaygroundPage />, { models, runJob });
  fireEvent.change(await screen.findByTestId('playground-input'), { target: { value: '🙂\n👍' } });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).disabled).toBe(false),
  );
  fireEvent.click(screen.getByTestId('playground-run'));
  await screen.findByTestId('playground-receipt');
  expect(screen.getByTestId('playground-summary-header').textContent).toBe('Summary of the last 2 messages');
  expect(screen.getByTestId('playground-summary-empty').textContent).toBe(
    'Nothing in these messages to sum up.',
  );
});

it('a generate job shows its text as is, with no summary header', async () => {
  const runJob = vi.fn(async (_o: RunJobOptions) => ({ ...receipt, text: 'Alice: once upon a time' }));
  renderWithClient(<PlaygroundPage />, { models, runJob });
  fireEvent.click(await screen.findByTestId('mode-generate'));
  fireEvent.change(screen.getByTestId('playground-input'), { target: { value: 'Alice: once' } });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).disabled).toBe(false),
  );
  fireEvent.click(screen.getByTestId('playground-run'));
  await screen.findByTestId('playground-receipt');
  expect(screen.getByTestId('playground-output').textContent).toBe('Alice: once upon a time');
  expect(screen.queryByTestId('playground-summary')).toBeNull();
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

const receipt = {
  text: 'ok',
  promptTokens: 1,
  completionTokens: 1,
  finishReason: 'stop' as const,
  jobId: 'j1',
  rigId: 'rig-abcdef12',
  costNano: 1n,
};

it('runs a confidential job with minTrust tdx on the checking client, and says what the check rests on', async () => {
  const runJob = vi.fn(async (_o: RunJobOptions) => receipt);
  const { getClient } = renderWithClient(<PlaygroundPage />, { models, runJob });
  fireEvent.change(await screen.findByTestId('playground-input'), { target: { value: 'hello' } });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).disabled).toBe(false),
  );
  expect(screen.queryByTestId('playground-confidential-note')).toBeNull();
  fireEvent.click(screen.getByTestId('playground-confidential'));
  // Turning it on gets the policy key and the checking client ready.
  expect(getClient).toHaveBeenCalledWith({ confidential: true });
  const note = screen.getByTestId('playground-confidential-note').textContent;
  expect(note).toContain('only as good as the code the proxy serves');
  expect(note).toContain('The bot and the gateway check with a key they are configured with');

  fireEvent.click(screen.getByTestId('playground-run'));
  await screen.findByTestId('playground-receipt');
  expect(runJob.mock.calls[0][0]).toMatchObject({ model: 'textrank-summarizer', minTrust: 'tdx' });
  expect(getClient).toHaveBeenLastCalledWith({ confidential: true });

  fireEvent.click(screen.getByTestId('playground-confidential'));
  fireEvent.click(screen.getByTestId('playground-run'));
  await waitFor(() => expect(runJob).toHaveBeenCalledTimes(2));
  expect(runJob.mock.calls[1][0].minTrust).toBeUndefined();
  expect(getClient).toHaveBeenLastCalledWith({ confidential: false });
});

it('asks for the fastest rig first when the switch is on, and the cheapest (the default) when off', async () => {
  const runJob = vi.fn(async (_o: RunJobOptions) => receipt);
  renderWithClient(<PlaygroundPage />, { models, runJob });
  fireEvent.change(await screen.findByTestId('playground-input'), { target: { value: 'hello' } });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).disabled).toBe(false),
  );
  fireEvent.click(screen.getByTestId('playground-run'));
  await waitFor(() => expect(runJob).toHaveBeenCalledTimes(1));
  expect(runJob.mock.calls[0][0].priority).toBeUndefined();
  await screen.findByTestId('playground-receipt');
  fireEvent.click(screen.getByTestId('playground-speed'));
  fireEvent.click(screen.getByTestId('playground-run'));
  await waitFor(() => expect(runJob).toHaveBeenCalledTimes(2));
  expect(runJob.mock.calls[1][0].priority).toBe('speed');
});

it.each([
  ['no_confidential_capacity', 503, 'no rig in the confidential tier serves textrank-summarizer'],
  ['no_verified_rig', 503, "no candidate's TDX evidence verified here, so nothing was sealed"],
  ['policy_rejected', 502, 'the attestation policy is not signed by the operator key 0a1b…'],
  ['policy_rolled_back', 502, 'the attestation policy served (sequence 4) is older than one accepted'],
  ['policy_expired', 502, 'the attestation policy served was issued 2020-06-01'],
  ['attestation_not_configured', 400, "Confidential jobs can't be checked here: the proxy serves no policy"],
])('shows why a confidential job was refused: %s', async (code, status, message) => {
  const runJob = vi.fn(async () => {
    throw Object.assign(new Error(message), { name: 'ApiError', status, code });
  });
  renderWithClient(<PlaygroundPage />, { models, runJob });
  fireEvent.change(await screen.findByTestId('playground-input'), { target: { value: 'hello' } });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).disabled).toBe(false),
  );
  fireEvent.click(screen.getByTestId('playground-confidential'));
  fireEvent.click(screen.getByTestId('playground-run'));
  expect((await screen.findByTestId('playground-error')).textContent).toContain(message);
  expect(screen.getByTestId('playground-confidential-hint').textContent).toContain(
    'Nothing was sent to a rig',
  );
});

it('while every rig is busy, shows the place in line, then the text once a rig takes the job', async () => {
  const runJob = vi.fn(async (o: RunJobOptions) => {
    o.onQueued?.({ position: 2, waitDeadline: null });
    await waitFor(() =>
      expect(screen.getByTestId('playground-queued').textContent).toBe('Waiting for a rig (2nd in line)…'),
    );
    o.onQueued?.({ position: 1, waitDeadline: null });
    await waitFor(() =>
      expect(screen.getByTestId('playground-queued').textContent).toBe('Waiting for a rig (1st in line)…'),
    );
    o.onRunning?.();
    await waitFor(() => expect(screen.queryByTestId('playground-queued')).toBeNull());
    o.onDelta?.('Alice: hi');
    return {
      text: 'Alice: hi',
      promptTokens: 3,
      completionTokens: 2,
      finishReason: 'stop' as const,
      jobId: 'j1',
      rigId: 'rig-abcdef12',
      costNano: 1_000n,
    };
  });
  renderWithClient(<PlaygroundPage />, { models, runJob });
  await waitFor(() =>
    expect((screen.getByTestId('playground-model') as HTMLSelectElement).value).toBe('textrank-summarizer'),
  );
  fireEvent.change(screen.getByTestId('playground-input'), { target: { value: 'Alice: hi' } });
  fireEvent.click(screen.getByTestId('playground-run'));
  await screen.findByTestId('playground-receipt');
  expect(runJob).toHaveBeenCalledTimes(1);
});
