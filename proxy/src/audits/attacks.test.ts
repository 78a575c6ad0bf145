// Attacks on the audit rules that an attack review found (A1, A4, A5, A7), each scene the real proxy with
// protocol-real test workers: a user cooling down rigs with bad-input jobs, a hostile trusted auditor
// disputing an honest rig off the market, a cheater taking its bond back while its work is unvouched, an
// auditor that never answers.
import { describe, expect, it } from 'vitest';
import { bondAccount } from '../bonds/bonds';
import { standingSql } from '../bonds/repository';
import { balanceOf } from '../ledger/ledger';
import { clientMayHaveCaused } from '../rigs/standing';
import { decided, fund, trustedRig } from '../testing/audit-scenes';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { trustedAuditorSql } from './trust-repository';

const BOND = 1_000_000_000n;
const OPERATOR = 1009;
const bed = useTestBed({
  TRIAL_CREDIT_NANO: '0',
  AUDIT_RATE: '1',
  AUDIT_PROBATION_JOBS: '3',
  BOND_NANO: String(BOND),
  OPERATOR_OWNER_IDS: String(OPERATOR),
});
const price = 1_000_000n;

/** A rig past probation with a bond: a trusted auditor (audits/trust.ts). */
const trusted = (
  ownerId: number,
  ask: bigint,
  behaviour?: Parameters<typeof bed.rig>[2],
  opts?: Parameters<typeof bed.rig>[3],
  bond = BOND,
) => trustedRig(bed, bond, ownerId, ask, behaviour, opts);

async function rigRow(id: string) {
  const r = await bed.db.query<{
    quarantined_at: Date | null;
    cooldown_until: Date | null;
    consecutive_failures: number;
    standing: string;
  }>(
    `SELECT quarantined_at, cooldown_until, consecutive_failures, ${standingSql(bed.proxy.ctx.config)} AS standing
     FROM rigs r WHERE id = $1`,
    [id],
  );
  return r.rows[0];
}

const job = (user: number, i: number) =>
  userClient(bed.proxy, user).runJob({
    model: 'test-echo',
    body: { kind: 'generate', prompt: `honest words number ${i}`, maxTokens: 10 },
  });

describe('A1: refusals a user can cause cool no rig down by themselves', () => {
  it("a user's bad-input jobs never cool the operator's rig down; it stays the anchor and colluders can't convict", async () => {
    await bed.start();
    const ATTACKER = 1004;
    await fund(bed.db, ATTACKER, 10n * BOND);
    await fund(bed.db, 2001, 10n * BOND);
    // The operator's rig refuses the attacker's jobs as bad input, as the real worker does for a body sealed
    // with more maxTokens than quoted, a longer prompt or another kind (worker/src/job-runner.ts).
    const op = await bed.rig(OPERATOR, price * 2n, (n) => (n < 3 ? 'fail-final' : 'ok'), {
      answerAudits: () => 'pass',
    });
    for (let i = 0; i < 3; i++) await expect(job(ATTACKER, 100 + i)).rejects.toThrow();
    expect((await rigRow(op.id)).cooldown_until).toBeNull();
    expect((await rigRow(op.id)).consecutive_failures).toBe(0);
    const honest = await trusted(1001, price);
    await trusted(1002, price + 1n, 'lying-auditor');
    await trusted(1003, price + 2n, 'lying-auditor');
    const q = await userClient(bed.proxy, 2001).quote({
      model: 'test-echo',
      kind: 'generate',
      inputTokens: 5,
      maxTokens: 10,
    });
    expect(q.candidates.map((c) => c.rigId)).toContain(op.id);
    for (let i = 0; i < 4; i++) {
      const r = await job(i % 2 === 0 ? ATTACKER : 2001, i);
      if (r.rigId === honest.id) expect(await decided(bed.db, r.jobId)).toBe('passed');
    }
    expect((await rigRow(honest.id)).quarantined_at).toBeNull();
  }, 60_000);

  it('bad-input jobs between honest traffic cool nobody down; the colluders never convict the honest rig', async () => {
    await bed.start();
    const ATTACKER = 1004;
    await fund(bed.db, ATTACKER, 10n * BOND);
    await fund(bed.db, 2001, 10n * BOND);
    let malformed = false; // the job in flight is the attacker's: every honest worker refuses it
    const refuse = () => (malformed ? 'fail-final' : 'ok') as 'fail-final' | 'ok';
    const honest = await trusted(1001, price, refuse);
    const op = await bed.rig(OPERATOR, price + 1n, refuse, { answerAudits: () => 'pass' });
    await trusted(1002, price + 2n, 'lying-auditor');
    await trusted(1003, price + 3n, 'lying-auditor');
    for (let i = 0; i < 3; i++) {
      malformed = true;
      await expect(job(ATTACKER, 100 + i)).rejects.toThrow();
      malformed = false;
      await decided(bed.db, (await job(2001, 200 + i)).jobId);
    }
    expect((await rigRow(op.id)).cooldown_until).toBeNull();
    expect((await rigRow(honest.id)).cooldown_until).toBeNull();
    for (let i = 0; i < 3; i++) {
      const r = await job(2001, 300 + i);
      if (r.rigId === honest.id) expect(await decided(bed.db, r.jobId)).toBe('passed');
    }
    expect((await rigRow(honest.id)).quarantined_at).toBeNull();
  }, 60_000);

  it('a rig that says "input invalid" of good jobs other rigs then do is still cooled down', async () => {
    await bed.start({ RIG_COOLDOWN_MS: '600000' });
    await fund(bed.db, 2001, 10n * BOND);
    const liar = await bed.rig(1001, price, 'fail-final');
    await bed.rig(1002, price + 1n);
    const { RIG_COOLDOWN_AFTER_FAILURES: n } = bed.proxy.ctx.config;
    for (let i = 0; i < n; i++) {
      expect((await rigRow(liar.id)).cooldown_until).toBeNull();
      expect((await job(2001, i)).rigId).not.toBe(liar.id);
    }
    expect((await rigRow(liar.id)).cooldown_until!.getTime()).toBeGreaterThan(Date.now());
  }, 60_000);

  it("the operator's rig cooling down still anchors and audits, and never runs the job", async () => {
    await bed.start();
    await fund(bed.db, 2001, 10n * BOND);
    const op = await bed.rig(OPERATOR, price, 'ok', { answerAudits: () => 'pass' });
    await bed.db.query("UPDATE rigs SET cooldown_until = now() + interval '1 hour' WHERE id = $1", [op.id]);
    const honest = await trusted(1001, price + 1n);
    await trusted(1002, price + 2n, 'lying-auditor');
    for (let i = 0; i < 3; i++) {
      const r = await job(2001, i);
      expect(r.rigId).not.toBe(op.id);
      if (r.rigId === honest.id) expect(await decided(bed.db, r.jobId)).toBe('passed');
    }
    expect(op.worker.received).toHaveLength(0);
    expect(op.worker.audits.length).toBeGreaterThan(0);
    expect((await rigRow(honest.id)).quarantined_at).toBeNull();
  }, 60_000);

  it('an audit-only operator rig skipped on the way to the rig that ran the job still audits it', async () => {
    await bed.start();
    await fund(bed.db, 2001, 10n * BOND);
    await bed.rig(1001, price, 'fail');
    const op = await bed.rig(OPERATOR, price + 1n, 'ok', { answerAudits: () => 'pass' });
    await bed.db.query("UPDATE rigs SET cooldown_until = now() + interval '1 hour' WHERE id = $1", [op.id]);
    const honest = await trusted(1002, price + 2n);
    const r = await job(2001, 0);
    expect(r.rigId).toBe(honest.id);
    expect(await decided(bed.db, r.jobId)).toBe('passed');
    expect(op.worker.audits).toHaveLength(1);
  }, 60_000);

  it('counts as client-caused only "input invalid" and an envelope the rig could not open', () => {
    expect(clientMayHaveCaused('rig failed the job: your input is invalid', false)).toBe(true);
    expect(
      clientMayHaveCaused('rig failed the job: could not open the envelope with this rig key', true),
    ).toBe(true);
    expect(clientMayHaveCaused('rig failed the job: the model failed on this rig (Error)', true)).toBe(false);
    expect(clientMayHaveCaused('the lease expired', true)).toBe(false);
  });
});

describe('A5: a bond that is leaving backs no new work', () => {
  it('from the request for the bond back the rig is not offered to clients and does not audit', async () => {
    await bed.start();
    await fund(bed.db, 2001, 10n * BOND);
    const cheater = await trusted(1001, price, 'ok', {
      output: async () => ({ text: 'JUNK', promptTokens: 4, completionTokens: 10 }),
    });
    const other = await trusted(1002, price + 1n);
    expect((await rigRow(cheater.id)).standing).toBe('bonded');
    expect((await job(2001, 0)).rigId).toBe(cheater.id);
    await cheater.owner.withdrawBond(cheater.id);
    expect((await rigRow(cheater.id)).standing).toBe('capped');
    const trustedNow = await bed.db.query<{ t: boolean }>(
      `SELECT ${trustedAuditorSql(bed.proxy.ctx.config)} AS t FROM rigs r WHERE id = $1`,
      [cheater.id],
    );
    expect(trustedNow.rows[0].t).toBe(false);
    const q = await userClient(bed.proxy, 2001).quote({
      model: 'test-echo',
      kind: 'generate',
      inputTokens: 5,
      maxTokens: 10,
    });
    expect(q.candidates.map((c) => c.rigId)).toEqual([other.id]);
    for (let i = 1; i < 4; i++) expect((await job(2001, i)).rigId).toBe(other.id);
    expect(await balanceOf(bed.db, bondAccount(cheater.id))).toBe(BOND);
  }, 60_000);
});

describe('A7: an auditor that never answers', () => {
  const junk = { output: async () => ({ text: 'JUNK', promptTokens: 4, completionTokens: 10 }) };

  it("a fail whose second auditor stays silent is disputed, not unaudited; the silent one's timeouts cool it down", async () => {
    await bed.start({ AUDIT_TIMEOUT_MS: '300', RIG_COOLDOWN_MS: '600000' });
    await fund(bed.db, 2001, 10n * BOND);
    const cheater = await trusted(1001, price, 'ok', junk);
    // Asked first (its bond weighs 1000 to 1), it fails the junk; the silent one is asked second.
    const failer = await trusted(1003, price + 2n, 'ok', { answerAudits: () => 'fail' }, 1000n * BOND);
    const silent = await trusted(1002, price + 1n);
    const { RIG_COOLDOWN_AFTER_FAILURES: n } = bed.proxy.ctx.config;
    for (let i = 0; i < n; i++) {
      const r = await job(2001, i);
      expect(r.rigId).toBe(cheater.id);
      expect(await decided(bed.db, r.jobId)).toBe('disputed');
    }
    expect(failer.worker.audits).toHaveLength(n);
    expect(silent.worker.audits).toHaveLength(n);
    expect((await rigRow(silent.id)).cooldown_until!.getTime()).toBeGreaterThan(Date.now());
  }, 60_000);

  it('a silent first auditor: the job goes to a second one, whose fail leaves it disputed', async () => {
    await bed.start({ AUDIT_TIMEOUT_MS: '300' });
    await fund(bed.db, 2001, 10n * BOND);
    const cheater = await trusted(1001, price, 'ok', junk);
    const silent = await trusted(1002, price + 1n, 'ok', {}, 1000n * BOND);
    const failer = await trusted(1003, price + 2n, 'ok', { answerAudits: () => 'fail' });
    const r = await job(2001, 0);
    expect(r.rigId).toBe(cheater.id);
    expect(await decided(bed.db, r.jobId)).toBe('disputed');
    expect(silent.worker.audits).toHaveLength(1);
    expect(failer.worker.audits).toHaveLength(1);
  }, 60_000);
});

describe('A4: a lying trusted auditor', () => {
  it("failing every honest job never gets the honest rig capped: another trusted auditor's pass vouches", async () => {
    const SMALL = 40_000_000n;
    await bed.start({ BOND_NANO: String(SMALL) });
    await fund(bed.db, 2001, 10n * BOND);
    const MAX = 1_000_000_000n; // asks high enough that a few jobs reach the small bond
    const honest = await trusted(1001, MAX - 2n, 'ok', { answerAudits: () => 'pass' }, SMALL);
    await trusted(1003, MAX - 1n, 'ok', { answerAudits: () => 'pass' }, SMALL);
    // Its bond weighs 100 to 1: it is nearly always asked first.
    const liar = await trusted(1002, MAX, 'lying-auditor', {}, 100n * SMALL);
    const states: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await job(2001, i);
      const state = await decided(bed.db, r.jobId);
      if (r.rigId === honest.id) states.push(state);
      expect((await rigRow(honest.id)).standing).toBe('bonded');
    }
    expect(states).toContain('disputed');
    expect(liar.worker.audits.length).toBeGreaterThan(0);
    expect((await rigRow(honest.id)).quarantined_at).toBeNull();
  }, 90_000);
});

describe("A2: the operator's rig anchors at any ask", () => {
  const quote = () =>
    userClient(bed.proxy, 2001).quote({
      model: 'test-echo',
      kind: 'generate',
      inputTokens: 5,
      maxTokens: 10,
    });

  it('a cheater at the default ask keeps no dearer operator rig out: it audits, and raises no hold', async () => {
    await bed.start();
    await fund(bed.db, 2001, 10n * BOND);
    const cheater = await trusted(1001, price, 'ok', {
      output: async () => ({ text: 'JUNK', promptTokens: 4, completionTokens: 10 }),
    });
    await trusted(1002, price + 1n, 'ok', { answerAudits: () => 'pass' });
    const hold = (await quote()).holdNano;
    const op = await bed.rig(OPERATOR, price * 4n, 'ok', { answerAudits: () => 'fail' });
    const q = await quote();
    expect(q.candidates.map((c) => c.rigId)).toContain(op.id);
    expect(q.holdNano).toBe(hold);
    const r = await job(2001, 0);
    expect(r.rigId).toBe(cheater.id);
    expect(await decided(bed.db, r.jobId)).not.toBe('passed');
    expect(op.worker.audits).toHaveLength(1);
    expect((await rigRow(cheater.id)).quarantined_at).not.toBeNull();
  }, 60_000);

  it('a job never fails over to an operator rig above the hold ceiling', async () => {
    await bed.start({ RIG_COOLDOWN_MS: '0' });
    await fund(bed.db, 2001, 10n * BOND);
    await bed.rig(1001, price, 'fail');
    await trusted(1002, price + 1n, 'fail');
    const op = await bed.rig(OPERATOR, price * 4n);
    expect((await quote()).candidates.map((c) => c.rigId)).toContain(op.id);
    await expect(job(2001, 0)).rejects.toThrow();
    expect(op.worker.received).toHaveLength(0);
  }, 60_000);
});
