import { bullPriority } from './queue-names';

describe('bullPriority', () => {
  it('maps 0..1000 (higher first) onto BullMQ 1001..1 (lower first), never 0 (the plain wait list BullMQ takes before all prioritized work)', () => {
    expect(bullPriority()).toBe(1001);
    expect(bullPriority(0)).toBe(1001);
    expect(bullPriority(1)).toBe(1000);
    expect(bullPriority(1000)).toBe(1);
    for (let p = 0; p < 1000; p++) expect(bullPriority(p + 1)).toBeLessThan(bullPriority(p));
  });
});
