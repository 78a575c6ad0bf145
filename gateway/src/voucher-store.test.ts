import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileVoucherStore, VoucherStoreError } from './voucher-store';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the gateway voucher store', () => {
  it('starts empty, keeps the last voucher as exact bigints, 0600 in a 0700 folder, with no temporary left', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vstore-'));
    const file = path.join(dir, 'nested', 'voucher.json');
    const store = fileVoucherStore(file);
    expect(store.get()).toBeNull();
    store.set({ amountNano: 123_456_789_012_345_678_901n, seq: 1n });
    store.set({ amountNano: 123_456_789_012_345_678_999n, seq: 2n });
    expect(fileVoucherStore(file).get()).toEqual({ amountNano: 123_456_789_012_345_678_999n, seq: 2n });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(readdirSync(path.dirname(file))).toEqual(['voucher.json']);
  });

  it('refuses to start over from a store it can not read', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vstore-'));
    const file = path.join(dir, 'voucher.json');
    writeFileSync(file, '{"amountNano": 5}');
    expect(() => fileVoucherStore(file).get()).toThrow(VoucherStoreError);
    writeFileSync(file, 'garbage');
    expect(() => fileVoucherStore(file).get()).toThrow(/is not readable JSON/);
  });
});
