// CSV exports for a rig owner's books: a rig's finished jobs and the owner's payouts, for the owner alone.
import { describe, expect, it } from 'vitest';
import { userAuth, userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { csvField } from './routes/exports';

const bed = useTestBed();

describe('CSV exports', () => {
  it("exports a rig's jobs and the owner's payouts, for the owner alone", async () => {
    await bed.start();
    const rig = await bed.rig(1001, 1_000_000n);
    const user = userClient(bed.proxy, 2001);
    for (let i = 0; i < 2; i++)
      await user.runJob({
        model: 'test-echo',
        body: { kind: 'generate', prompt: `csv ${i} job`, maxTokens: 5 },
      });
    const get = (path: string, telegramId?: number) => {
      const auth = telegramId === undefined ? undefined : userAuth(bed.proxy, telegramId);
      return fetch(`${bed.proxy.url}${path}`, {
        headers: auth?.kind === 'tma' ? { authorization: `tma ${auth.initData}` } : {},
      });
    };
    const res = await get(`/v1/rigs/${rig.id}/jobs.csv`, 1001);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe(
      'finished_at_utc,job_id,model,kind,prompt_tokens,completion_tokens,ask_nanoton_per_1k,earned_nanoton,earned_ton,audit',
    );
    expect(lines).toHaveLength(3);
    const earned = lines.slice(1).reduce((n, l) => n + BigInt(l.split(',')[7]), 0n);
    expect(earned.toString()).toBe((await rig.owner.rigs()).rigs[0].earningsNano);
    expect((await get(`/v1/rigs/${rig.id}/jobs.csv`, 2001)).status).toBe(404);
    expect((await get(`/v1/rigs/${rig.id}/jobs.csv`)).status).toBe(401);
    const payouts = await get('/v1/me/withdrawals.csv', 1001);
    expect((await payouts.text()).trim()).toBe(
      'requested_at_utc,withdrawal_id,to_address,amount_nanoton,amount_ton,fee_nanoton,status,tx_hash',
    );
  });

  it('writes fields a spreadsheet reads as text', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b "c"')).toBe('"a,b ""c"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-12')).toBe('-12');
    expect(csvField(null)).toBe('');
  });

  it('defuses every formula a spreadsheet would run: a sign before an operator, a tab or a line break first', () => {
    // OWASP's rule: a cell starting with = + - @ tab or CR is prefixed with ' and quoted.
    expect(csvField("-2+3+cmd|' /C calc'!A0")).toBe(`"'-2+3+cmd|' /C calc'!A0"`);
    expect(csvField('+1+cmd|x')).toBe(`"'+1+cmd|x"`);
    expect(csvField('-1e3')).toBe(`"'-1e3"`);
    expect(csvField('\t=1+2')).toBe(`"'\t=1+2"`);
    expect(csvField('\r=1+2')).toBe(`"'\r=1+2"`);
    expect(csvField('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvField('=1')).toBe(`"'=1"`);
    // Plain numbers (what the server writes in its money and count columns) stay numbers.
    expect(csvField('-12.5')).toBe('-12.5');
    expect(csvField(-7)).toBe('-7');
    expect(csvField('1000000000')).toBe('1000000000');
    expect(csvField(-3n)).toBe('-3');
  });
});
