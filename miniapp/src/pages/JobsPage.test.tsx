import type { JobView } from '@cocoon/shared';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { renderWithClient } from '../testing/render';
import { JobsPage } from './JobsPage';

afterEach(cleanup);

const job = (state: JobView['state']): JobView => ({
  id: '00000000-0000-4000-8000-000000000001',
  model: 'demo-gen',
  kind: 'generate',
  state,
  rigId: null,
  rigName: null,
  attempts: 1,
  holdNano: '66000',
  costNano: null,
  promptTokens: null,
  completionTokens: null,
  failReason: null,
  createdAt: new Date(0).toISOString(),
  finishedAt: null,
  result: null,
  commitment: null,
});

it('a job waiting in the queue says so and can be cancelled (its hold goes back)', async () => {
  let state: JobView['state'] = 'queued';
  const cancelJob = vi.fn(async () => {
    state = 'failed';
    return job('failed');
  });
  const myJobs = vi.fn(async () => ({ jobs: [job(state)] }));
  renderWithClient(<JobsPage />, { myJobs, cancelJob } as never);
  expect((await screen.findByTestId('job-row')).textContent).toContain('waiting for a rig');
  fireEvent.click(screen.getByTestId('job-cancel'));
  await waitFor(() => expect(cancelJob).toHaveBeenCalledWith(job('queued').id));
  await waitFor(() => expect(screen.queryByTestId('job-cancel')).toBeNull());
  expect(screen.getByTestId('job-row').textContent).toContain('failed');
});
