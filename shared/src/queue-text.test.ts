import { describe, expect, it } from 'vitest';
import { ordinal, waitingForRigText } from './queue-text';

describe('the queue as people read it', () => {
  it('says places as ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '101st',
      '111th',
    ]);
  });

  it('says the place and the time waited', () => {
    expect(waitingForRigText(2)).toBe('Waiting for a rig (2nd in line)');
    expect(waitingForRigText(1, 12_700)).toBe('Waiting for a rig (1st in line, 12 s so far)');
  });
});
