import type { RigView } from '@cocoon/shared';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { shortDate } from '../../format';
import { apiError, renderWithClient } from '../../testing/render';
import { RigsPage } from './RigsPage';

afterEach(cleanup);

function rig(over: Partial<RigView> = {}): RigView {
  return {
    id: 'r1',
    name: 'basement-4090',
    online: true,
    paused: false,
    revoked: false,
    device: 'cuda',
    slots: 4,
    running: 1,
    models: [
      { id: 'textrank-summarizer', priceNanoPer1k: '1000000', demoGrade: false, digest: null, refused: null },
    ],
    jobsDone: 40,
    jobsFailed: 1,
    successRate: 0.975,
    avgJobMs: 900,
    earningsNano: '2500000000',
    fingerprint: 'ab12',
    lastSeenAt: new Date().toISOString(),
    auditsPassed: 12,
    auditsFailed: 0,
    quarantine: null,
    latencyMs: { p50: 850, p95: 2100 },
    uptime: 0.93,
    operator: false,
    probationJobsLeft: 0,
    bondNano: '1000000000',
    bondRequiredNano: '1000000000',
    exposureNano: '3000000',
    bondWithdrawableAt: null,
    trust: {
      tier: 'open',
      tee: 'none',
      code: null,
      reason: null,
      tcbStatus: null,
      image: null,
      measurements: null,
      checkedAt: null,
    },
    ...over,
  };
}

it("shows each model's measured speed beside its ask", async () => {
  const speed = { firstTokenMs: 1500, tokensPerS: 4.2, jobs: 3 };
  const client = {
    rigs: vi.fn(async () => ({
      rigs: [
        rig({
          models: [
            {
              id: 'demo-gen',
              priceNanoPer1k: '1000000',
              demoGrade: false,
              digest: null,
              refused: null,
              speed,
            },
            {
              id: 'textrank-summarizer',
              priceNanoPer1k: '1000000',
              demoGrade: false,
              digest: null,
              refused: null,
              speed: { firstTokenMs: null, tokensPerS: null, jobs: 0 },
            },
          ],
        }),
      ],
    })),
  };
  renderWithClient(<RigsPage />, client);
  const [gen, sum] = await screen.findAllByTestId('model-speed');
  expect(gen.textContent).toBe('first token 1.50 s · 4.2 tok/s · 3 jobs');
  expect(sum.textContent).toContain('not measured yet');
});

it('registers a rig and shows its token once, with the worker command', async () => {
  let rigs: RigView[] = [];
  const client = {
    rigs: vi.fn(async () => ({ rigs })),
    registerRig: vi.fn(async (name: string) => {
      rigs = [rig({ name, online: false, device: null })];
      return { rig: rigs[0], token: 'rig_SECRET123' };
    }),
  };
  renderWithClient(<RigsPage />, client);
  expect((await screen.findByTestId('empty')).textContent).toContain('No rigs yet');

  fireEvent.change(screen.getByTestId('rig-name'), { target: { value: 'garage' } });
  fireEvent.click(screen.getByTestId('register-rig'));

  expect((await screen.findByTestId('rig-token')).textContent).toContain('rig_SECRET123');
  expect(screen.getByTestId('worker-command').textContent).toMatch(
    /^COCOON_RIG_TOKEN=rig_SECRET123 npm run worker -- --proxy https?:\/\/\S+$/,
  );
  expect(client.registerRig).toHaveBeenCalledWith('garage');
  expect((await screen.findByTestId('rig-status')).textContent).toContain('offline');

  fireEvent.click(screen.getByTestId('token-done'));
  expect(screen.queryByTestId('rig-token')).toBeNull();
  expect(document.body.textContent).not.toContain('rig_SECRET123');
});

it('shows each rig with device, slots, jobs, success rate and earnings; asks are set in TON per 1k', async () => {
  const setAsk = vi.fn(async () => rig());
  renderWithClient(<RigsPage />, { rigs: async () => ({ rigs: [rig()] }), setAsk });
  expect((await screen.findByTestId('rig-device')).textContent).toContain('CUDA');
  expect(screen.getByTestId('rig-status').textContent).toContain('online');
  expect(screen.getByTestId('rig-jobs').textContent).toContain('40');
  expect(screen.getByText('97.5%')).toBeTruthy();
  expect(screen.getByTestId('rig-latency').textContent).toContain('0.85 s / 2.1 s');
  expect(screen.getByTestId('rig-uptime').textContent).toContain('93');
  expect(screen.getByTestId('rig-earnings').textContent).toContain('2.5 TON');
  expect(await screen.findByTestId('earnings-chart')).toBeTruthy();

  const input = screen.getByTestId('ask-input') as HTMLInputElement;
  expect(input.value).toBe('0.001');
  fireEvent.change(input, { target: { value: '0.002' } });
  fireEvent.click(screen.getByTestId('ask-save'));
  await waitFor(() => expect(setAsk).toHaveBeenCalledWith('r1', 'textrank-summarizer', 2_000_000n));
});

it('shows the error and a retry when the rigs cannot be loaded', async () => {
  renderWithClient(<RigsPage />, {
    rigs: async () => {
      throw new TypeError('Failed to fetch');
    },
  });
  expect((await screen.findByRole('alert')).textContent).toContain("Can't reach the Cocoon proxy");
  expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
});

it('keeps the form and says why when registration is refused', async () => {
  renderWithClient(<RigsPage />, {
    rigs: async () => ({ rigs: [] }),
    registerRig: async () => {
      throw apiError(400, 'bad_request', 'name: too long');
    },
  });
  fireEvent.change(await screen.findByTestId('rig-name'), { target: { value: 'x' } });
  fireEvent.click(screen.getByTestId('register-rig'));
  expect(await screen.findByText('name: too long')).toBeTruthy();
  expect(screen.queryByTestId('rig-token')).toBeNull();
});

it('shows audit standing, and a quarantined rig with its evidence and a way back to the market', async () => {
  let rigs = [
    rig({
      auditsPassed: 3,
      auditsFailed: 1,
      quarantine: { since: new Date().toISOString(), reason: 'audits of job 1234 found its result wrong' },
    }),
  ];
  const client = {
    rigs: vi.fn(async () => ({ rigs })),
    rigAudits: vi.fn(async () => ({
      audits: [
        {
          jobId: '0a1b2c3d-0000-4000-8000-000000000000',
          model: 'demo-gen',
          role: 'audited' as const,
          round: 1,
          state: 'fail' as const,
          agreement: 0.42,
          reason: 'the output does not end where the model ends it',
          jobAudit: 'refunded',
          at: new Date().toISOString(),
        },
      ],
    })),
    releaseRig: vi.fn(async () => {
      rigs = [rig({ auditsPassed: 3, auditsFailed: 1 })];
      return rigs[0];
    }),
  };
  renderWithClient(<RigsPage />, client);
  expect((await screen.findByTestId('rig-audits-count')).textContent).toContain('3 passed · 1 failed');
  expect(screen.getByTestId('rig-status').textContent).toContain('quarantined');
  expect(screen.getByTestId('rig-quarantine').textContent).toContain('found its result wrong');
  // The way back appears only once the evidence has been shown.
  expect(screen.queryByTestId('rig-release')).toBeNull();
  fireEvent.click(screen.getByTestId('rig-evidence'));
  expect((await screen.findByTestId('rig-audits')).textContent).toContain('42 % agreed');
  fireEvent.click(await screen.findByTestId('rig-release'));
  await waitFor(() => expect(client.releaseRig).toHaveBeenCalledWith('r1'));
  await waitFor(() => expect(screen.queryByTestId('rig-quarantine')).toBeNull());
});

it('shows probation, the bond against the unaudited work, and adds to the bond in TON', async () => {
  const addBond = vi.fn(async () => rig());
  renderWithClient(<RigsPage />, {
    rigs: async () => ({
      rigs: [rig({ probationJobsLeft: 0, bondNano: '400000000', exposureNano: '500000000' })],
    }),
    addBond,
  });
  expect((await screen.findByTestId('rig-standing')).textContent).toContain('Paused by its bond');
  expect(screen.getByTestId('rig-bond').textContent).toContain('kept from its earnings');
  fireEvent.change(screen.getByTestId('bond-input'), { target: { value: '0.6' } });
  fireEvent.click(screen.getByTestId('bond-add'));
  await waitFor(() => expect(addBond).toHaveBeenCalledWith('r1', 600_000_000n));
});

it('says a rig whose bond is asked back is off the market', async () => {
  renderWithClient(<RigsPage />, {
    rigs: async () => ({
      rigs: [rig({ probationJobsLeft: 0, bondWithdrawableAt: '2026-12-13T00:00:00.000Z' })],
    }),
  });
  expect((await screen.findByTestId('rig-standing')).textContent).toContain('Off the market');
});

it("says when a rig is in probation, or the operator's own", async () => {
  renderWithClient(<RigsPage />, {
    rigs: async () => ({
      rigs: [rig({ probationJobsLeft: 7, bondNano: '0' }), rig({ id: 'r2', operator: true })],
    }),
  });
  expect((await screen.findByTestId('rig-standing')).textContent).toContain('next 7 jobs are all audited');
  expect(screen.getByTestId('rig-operator').textContent).toContain("operator's own rig");
});

it('shows any rig its audit history on request', async () => {
  const rigAudits = vi.fn(async () => ({
    audits: [
      {
        jobId: '1b2c3d4e-0000-4000-8000-000000000000',
        model: 'demo-gen',
        role: 'auditor' as const,
        round: 1,
        state: 'pass' as const,
        agreement: 1,
        reason: null,
        jobAudit: 'passed',
        at: new Date().toISOString(),
      },
    ],
  }));
  renderWithClient(<RigsPage />, { rigs: async () => ({ rigs: [rig()] }), rigAudits });
  fireEvent.click(await screen.findByTestId('rig-audit-history'));
  expect((await screen.findByTestId('rig-audits')).textContent).toContain(
    'as auditor, round 1: pass · 100 % agreed',
  );
  expect(rigAudits).toHaveBeenCalledWith('r1');
});

it('shows a rig its last 30 days, its fill and what other asks would have won', async () => {
  const days = Array.from({ length: 30 }, (_, i) => ({
    day: new Date(Date.UTC(2026, 10, 1 + i)).toISOString().slice(0, 10),
    jobs: i === 29 ? 4 : 0,
    tokens: i === 29 ? 400 : 0,
    earningsNano: i === 29 ? '500000000' : '0',
  }));
  const rigHistory = vi.fn(async () => ({
    days,
    fill: { offered: 8, ran: 4 },
    askEstimate: [
      { askNanoPer1k: '500000', jobsWon: 9 },
      { askNanoPer1k: '1000000', jobsWon: 4 },
    ],
    jobsLastDay: 9,
  }));
  renderWithClient(<RigsPage />, { rigs: async () => ({ rigs: [rig()] }), rigHistory });
  fireEvent.click(await screen.findByTestId('rig-history-open'));
  expect((await screen.findByTestId('rig-history')).textContent).toContain(
    '4 jobs · 400 tokens · 0.5 TON earned',
  );
  expect(screen.getByTestId('rig-fill').textContent).toContain('ran 4 of the 8 jobs it was offered (50.0%)');
  expect(screen.getByTestId('rig-ask-estimate').textContent).toContain('it would have won, of 9');
  expect(await screen.findByTestId('rig-earnings-by-day')).toBeTruthy();
});

const MEASURED = {
  mrTd: 'a1'.repeat(48),
  rtmr0: 'b2'.repeat(48),
  rtmr1: 'c3'.repeat(48),
  rtmr2: 'd4'.repeat(48),
  rtmr3: 'e5'.repeat(48),
};

it('badges each rig with its trust tier: confidential TDX or open', async () => {
  renderWithClient(<RigsPage />, {
    rigs: async () => ({
      rigs: [
        rig({
          id: 'r1',
          trust: {
            tier: 'tdx',
            tee: 'tdx',
            code: null,
            reason: null,
            tcbStatus: 'UpToDate',
            image: 'cocoon-worker-0.1',
            measurements: MEASURED,
            checkedAt: new Date().toISOString(),
          },
        }),
        rig({ id: 'r2', name: 'laptop' }),
      ],
    }),
  });
  const tdx = await screen.findByTestId('rig-r1');
  const open = screen.getByTestId('rig-r2');
  expect(within(tdx).getByTestId('rig-tier').textContent).toBe('Confidential · TDX');
  expect(within(open).getByTestId('rig-tier').textContent).toBe('Open');
  expect(within(open).getByTestId('rig-trust-note').textContent).toContain(
    "this rig's owner can read the prompts it serves",
  );
  expect(within(open).getByTestId('rig-trust-note').textContent).toContain('--tee tdx');
  expect(within(tdx).queryByTestId('rig-trust-note')).toBeNull();
  expect(within(tdx).queryByTestId('rig-trust-reason')).toBeNull();
});

it('shows a TDX rig its TCB status, image and measurements, shortened with the full value on tap', async () => {
  const checkedAt = new Date().toISOString();
  renderWithClient(<RigsPage />, {
    rigs: async () => ({
      rigs: [
        rig({
          trust: {
            tier: 'tdx',
            tee: 'tdx',
            code: null,
            reason: null,
            tcbStatus: 'UpToDate',
            image: 'cocoon-worker-0.1',
            measurements: MEASURED,
            checkedAt,
          },
        }),
      ],
    }),
  });
  expect((await screen.findByTestId('rig-tcb-status')).textContent).toBe('UpToDate');
  expect(screen.getByTestId('rig-image').textContent).toBe('cocoon-worker-0.1');
  expect(screen.getByTestId('rig-checked-at').textContent).toBe(shortDate(checkedAt));
  for (const [key, value] of Object.entries(MEASURED)) {
    const el = screen.getByTestId(`rig-${key}`);
    expect(el.textContent).toBe(`${value.slice(0, 8)}…${value.slice(-8)}`);
    expect(el.getAttribute('title')).toBe(value);
  }
  fireEvent.click(screen.getByTestId('rig-mrTd'));
  expect(screen.getByTestId('rig-mrTd').textContent).toBe(MEASURED.mrTd);
  expect(screen.getByTestId('rig-evidence-tdx').textContent).toMatch(/MRTD.*RTMR0.*RTMR1.*RTMR2.*RTMR3/);
});

it('warns when a rig claims TDX but its evidence was refused, with the reason', async () => {
  renderWithClient(<RigsPage />, {
    rigs: async () => ({
      rigs: [
        rig({
          trust: {
            tier: 'open',
            tee: 'tdx',
            code: 'measurements',
            reason: 'its MRTD is not one of the images the policy allows',
            tcbStatus: 'UpToDate',
            image: null,
            measurements: MEASURED,
            checkedAt: new Date().toISOString(),
          },
        }),
      ],
    }),
  });
  expect((await screen.findByTestId('rig-tier')).textContent).toBe('Open');
  const warning = screen.getByTestId('rig-trust-reason');
  expect(warning.textContent).toContain('its MRTD is not one of the images the policy allows');
  expect(warning.textContent).toContain('measurements');
  expect(warning.className).toContain('text-destructive');
  expect(screen.getByTestId('rig-mrTd').getAttribute('title')).toBe(MEASURED.mrTd);
  expect(screen.queryByTestId('rig-trust-note')).toBeNull();
});

it('asks an online TDX rig for fresh evidence, and shows why when the proxy refuses', async () => {
  const tdxTrust = {
    tier: 'open' as const,
    tee: 'tdx' as const,
    code: 'stale_challenge',
    reason: 'the quote answers an old challenge, not the latest one',
    tcbStatus: null,
    image: null,
    measurements: null,
    checkedAt: new Date().toISOString(),
  };
  const client = {
    rigs: async () => ({ rigs: [rig({ trust: tdxTrust })] }),
    attestRig: vi
      .fn()
      .mockResolvedValueOnce(rig({ trust: tdxTrust }))
      .mockRejectedValueOnce(
        apiError(409, 'not_connected', 'the rig is not connected to this proxy right now'),
      ),
  };
  renderWithClient(<RigsPage />, client);
  fireEvent.click(await screen.findByTestId('rig-attest'));
  await waitFor(() => expect(client.attestRig).toHaveBeenCalledWith('r1'));
  expect((await screen.findByTestId('rig-attest-sent')).textContent).toMatch(/fresh quote/);
  fireEvent.click(screen.getByTestId('rig-attest'));
  expect((await screen.findByTestId('rig-attest-error')).textContent).toMatch(/not connected to this proxy/);
});

it('saves a rig’s jobs as a CSV file, fetched with the Mini App’s own credentials', async () => {
  const created: Blob[] = [];
  const createObjectURL = vi.fn((b: Blob) => {
    created.push(b);
    return 'blob:csv';
  });
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
  const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
  const client = {
    rigs: async () => ({ rigs: [rig()] }),
    text: vi.fn(async () => 'job_id,finished_at\n1,2026-11-30\n'),
  };
  renderWithClient(<RigsPage />, client);
  fireEvent.click(await screen.findByTestId('rig-jobs-csv'));
  await waitFor(() => expect(click).toHaveBeenCalled());
  expect(client.text).toHaveBeenCalledWith('/v1/rigs/r1/jobs.csv');
  expect(await created[0].text()).toBe('job_id,finished_at\n1,2026-11-30\n');
  click.mockRestore();
  vi.unstubAllGlobals();
});

it('says how much of a rig’s earnings is held for Stars, and until when', async () => {
  const releaseAt = '2026-12-27T12:00:00.000Z';
  renderWithClient(<RigsPage />, {
    rigs: async () => ({
      rigs: [
        rig({ heldStarsNano: '400000000', starsReleaseAt: releaseAt }),
        rig({ id: 'r2', name: 'attic' }),
      ],
    }),
  });
  const held = await screen.findByTestId('rig-stars-held');
  expect(held.textContent).toContain('0.4 TON of its earnings came from jobs paid with Telegram Stars');
  expect(screen.getByTestId('rig-stars-release').textContent).toBe(shortDate(releaseAt));
  // Nothing held: no line.
  expect(screen.getAllByTestId('rig-stars-held')).toHaveLength(1);
});
