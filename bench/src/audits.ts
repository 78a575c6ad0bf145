// Audits and bonds: how fast a cheater is caught, what audits cost the network in compute, and what auditors
// are paid against the fees that pay them.
//   npx tsx bench/src/audits.ts
// - jobs until caught: the proxy's own audit decision (shouldAudit) over many simulated runs of a rig that is
//   honest through probation and 50 jobs, then cheats on every job; a job is caught when it is audited and
//   has an auditor (a share of jobs has none: one candidate, or no other owner online). Against 1/p.
// - audit compute: the real models run a set of jobs, then audit them as an auditing rig does (a scoring pass
//   for sampled generation, a re-run for the summarizer); the baseline is running them.
// - auditor pay vs fee income: the proxy's own pricing (chargeFor) and pay rule (auditorPay) for the same
//   jobs, at the default rate and in probation.
import { auditorPay, loadConfig, shouldAudit } from '@cocoon/proxy';
import { chargeFor, type JobBody } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { DEMO_MODEL_ID, loadModels, SUMMARIZER_ID } from '@cocoon/worker';
import type { BenchResult } from './result';

const RUNS = 20_000;
const HONEST = 70;
/** Share of jobs with an eligible auditor online (the rest can't be audited). */
const AUDITABLE = [1, 0.8];

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** A seeded generator, so the simulation gives the same figures run after run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function simulateCatch(rate: number, probation: number, auditable: number): number[] {
  const config = { AUDIT_RATE: rate, AUDIT_PROBATION_JOBS: probation, OPERATOR_OWNER_IDS: [] };
  const random = mulberry32(42);
  const cheatedUntilCaught: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let cheated = 0;
    for (let done = HONEST + 1; cheated < 100_000; done++) {
      cheated++;
      const audited = shouldAudit({ owner_id: '1', jobs_done: done, probation_from: 0 }, config, random);
      if (audited && random() < auditable) break;
    }
    cheatedUntilCaught.push(cheated);
  }
  return cheatedUntilCaught.sort((a, b) => a - b);
}

function jobs(): Array<{ model: string; body: JobBody }> {
  const out: Array<{ model: string; body: JobBody }> = [];
  for (let i = 0; i < 24; i++) {
    if (i % 4 === 3)
      out.push({
        model: SUMMARIZER_ID,
        body: {
          kind: 'summarize',
          messages: Array.from({ length: 30 }, (_, k) => ({
            author: ['ann', 'bo', 'cy'][k % 3],
            text: `Message ${k} of chat ${i}: we agreed to meet on Friday at ${k % 12} and bring the ${['map', 'tent', 'food'][k % 3]}.`,
          })),
          maxTokens: 300,
        },
      });
    else
      out.push({
        model: DEMO_MODEL_ID,
        body: {
          kind: 'generate',
          prompt: `The committee said that ${i}`,
          maxTokens: 64,
          temperature: 0.8,
          topP: 0.95,
          seed: i,
        },
      });
  }
  return out;
}

export async function benchAudits(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent' });
  const p = config.AUDIT_RATE;
  for (const auditable of AUDITABLE) {
    const caught = simulateCatch(p, config.AUDIT_PROBATION_JOBS, auditable);
    const mean = caught.reduce((a, b) => a + b, 0) / caught.length;
    const expected = 1 / (p * auditable);
    rows.push({
      name: `cheated jobs until caught (${auditable * 100} % auditable)`,
      value: round(mean, 2),
      unit: 'jobs',
      baseline: round(expected, 2),
      ratio: round(mean / expected, 3),
      note: `${RUNS} simulated runs at AUDIT_RATE ${p}; median ${caught[caught.length >> 1]}, p95 ${caught[Math.floor(caught.length * 0.95)]}; baseline 1/(p × auditable share)`,
    });
  }

  // Compute: running the jobs vs auditing them, on the real models.
  const models = await loadModels({ device: 'cpu', logger: createLogger('silent') });
  try {
    const set = jobs();
    let runMs = 0;
    let auditMs = 0;
    let tokens = 0;
    let pay = 0n;
    let fees = 0n;
    for (const { model, body } of set) {
      const m = models.get(model)!;
      if (body.kind === 'chat') continue;
      let t = performance.now();
      const r = await m.run(body, () => {});
      runMs += performance.now() - t;
      t = performance.now();
      if (body.kind === 'generate')
        await m.score!(body, { text: r.text, finishReason: r.finishReason ?? 'stop' });
      else await m.run(body, () => {});
      auditMs += performance.now() - t;
      tokens += r.promptTokens + r.completionTokens;
      const ask = config.DEFAULT_ASK_NANO_PER_1K;
      const charge = chargeFor(r.promptTokens + r.completionTokens, ask, config.FEE_BPS);
      fees += charge.feeNano;
      const asked = auditorPay(
        {
          prompt_tokens: r.promptTokens,
          completion_tokens: r.completionTokens,
          price_nano_per_1k: ask.toString(),
        },
        ask,
      );
      // What the auditor is paid: what it asks, at most the job's fee (the proxy's payAuditor).
      pay += asked < charge.feeNano ? asked : charge.feeNano;
    }
    const perAudit = auditMs / runMs;
    rows.push(
      {
        name: 'audit compute, one audit vs running the job',
        value: round(auditMs, 1),
        unit: 'ms',
        baseline: round(runMs, 1),
        ratio: round(perAudit, 3),
        note: `${set.length} jobs (3 of 4 sampled generation: one scoring pass; 1 of 4 summaries: a re-run), ${tokens} tokens`,
      },
      {
        name: 'audit compute share at AUDIT_RATE',
        value: round(p * perAudit, 4),
        unit: 'share',
        note: `the network's extra work past probation (a failed audit adds a second: rare); in probation: ${round(perAudit, 3)} (every job audited)`,
      },
      {
        name: 'auditor pay vs fee income',
        value: round(Number(pay) * p, 0),
        unit: 'nanoTON',
        baseline: Number(fees),
        ratio: round((Number(pay) * p) / Number(fees), 3),
        note: `same asks for rig and auditor, FEE_BPS ${config.FEE_BPS}; in probation the ratio is ${round(Number(pay) / Number(fees), 2)} (every job audited: audit pay is capped at each job's fee)`,
      },
    );
  } finally {
    for (const m of models.values()) await m.dispose();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchAudits()) console.log(r);
}
