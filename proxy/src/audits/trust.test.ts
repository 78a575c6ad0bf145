// The decision rule of audits (trust.ts judge), verdict by verdict: who may convict, with what at stake.
import { describe, expect, it } from 'vitest';
import { chooseAuditor, judge, type Verdict } from './trust';

const TON = 1_000_000_000n;
let n = 0;
function v(outcome: 'pass' | 'fail', ownerId: string, more: Partial<Verdict> = {}): Verdict {
  n++;
  return {
    auditId: `a${n}`,
    id: `r${n}`,
    ownerId,
    operator: false,
    bondNano: TON,
    trusted: true,
    outcome,
    ...more,
  };
}
const ctx = { accusedIsOperator: false, refundNano: TON, bondsOn: true };

describe('judge', () => {
  it('convicts on fails of two owners whose bonds cover the refund, and on nothing less', () => {
    expect(judge([v('fail', 'x'), v('fail', 'y')], ctx).kind).toBe('convicted');
    // Two rigs of one owner: one voice.
    expect(judge([v('fail', 'x'), v('fail', 'x')], ctx).kind).toBe('second-opinion');
    // Bonds that don't cover the refund.
    const small = { bondNano: TON / 4n };
    expect(judge([v('fail', 'x', small), v('fail', 'y', small)], ctx).kind).toBe('disputed');
    // One fail: ask another.
    expect(judge([v('fail', 'x')], ctx).kind).toBe('second-opinion');
  });

  it('never counts a verdict of a rig that is no longer trusted', () => {
    expect(judge([v('fail', 'x'), v('fail', 'y', { trusted: false })], ctx).kind).toBe('second-opinion');
    expect(judge([v('pass', 'x', { trusted: false })], ctx).kind).toBe('none');
  });

  it('one pass against one fail is disputed, and nobody is outvoted; the trusted pass still vouches', () => {
    expect(judge([v('fail', 'x'), v('pass', 'y')], ctx)).toEqual({ kind: 'disputed', vouched: true });
  });

  it("lets the operator's rig decide, and names the auditors it outvoted", () => {
    const liar = v('fail', 'x');
    const op = v('pass', 'op', { operator: true, bondNano: 0n });
    expect(judge([liar, op], ctx)).toEqual({ kind: 'passed', paid: [op.auditId], outvoted: [liar] });
    const cheat = v('fail', 'op', { operator: true, bondNano: 0n });
    const accomplice = v('pass', 'y');
    expect(judge([cheat, accomplice], ctx)).toEqual({
      kind: 'convicted',
      paid: [cheat.auditId],
      outvoted: [accomplice],
    });
  });

  it("convicts the operator's own rig only on the operator's word", () => {
    expect(judge([v('fail', 'x'), v('fail', 'y')], { ...ctx, accusedIsOperator: true }).kind).toBe(
      'disputed',
    );
  });

  it('with bonds off, two owners are enough', () => {
    const none = { bondNano: 0n };
    expect(judge([v('fail', 'x', none), v('fail', 'y', none)], { ...ctx, bondsOn: false }).kind).toBe(
      'convicted',
    );
  });
});

describe('chooseAuditor', () => {
  it("asks the operator's rig first, else draws by bond", () => {
    const op = { id: 'op', operator: true, bondNano: 0n };
    const big = { id: 'big', operator: false, bondNano: 9n * TON };
    const small = { id: 'small', operator: false, bondNano: TON };
    expect(chooseAuditor([big, op, small], Math.random)?.id).toBe('op');
    let bigs = 0;
    for (let i = 0; i < 1000; i++) if (chooseAuditor([big, small], () => i / 1000)?.id === 'big') bigs++;
    expect(bigs).toBe(900);
  });
});
