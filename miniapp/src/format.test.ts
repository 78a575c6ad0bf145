import { describe, expect, it } from 'vitest';
import { parseTonInput, percent, tonText } from './format';

describe('tonText', () => {
  it('formats nanoTON digit strings exactly, without floats', () => {
    expect(tonText('1500000000')).toBe('1.5 TON');
    expect(tonText('1')).toBe('0.000000001 TON');
    expect(tonText('123456789012345678901')).toBe('123456789012.345678901 TON');
    expect(tonText(-2_000_000_000n)).toBe('-2 TON');
  });
  it('shows a dash for missing or malformed values', () => {
    expect(tonText(null)).toBe('—');
    expect(tonText('abc')).toBe('—');
  });
});

describe('parseTonInput', () => {
  it('parses decimal TON (dot or comma) into nanoTON', () => {
    expect(parseTonInput('1.5')).toBe(1_500_000_000n);
    expect(parseTonInput(' 0,001 ')).toBe(1_000_000n);
  });
  it('returns null for input that is not an amount', () => {
    expect(parseTonInput('')).toBeNull();
    expect(parseTonInput('1.0000000001')).toBeNull();
    expect(parseTonInput('-1')).toBeNull();
  });
});

it('percent accepts rates as fractions', () => {
  expect(percent(0.975)).toBe('97.5%');
  expect(percent(1)).toBe('100%');
  expect(percent(null)).toBe('—');
});
